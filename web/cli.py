"""The `channelhub` command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from importlib import metadata
from pathlib import Path

import graphql
import uvicorn
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from hub import csvrows, demo, files, persisted_queries
from hub import users as user_service
from hub.analytics import rates_import as rates_importer
from hub.analytics import service as analytics_service
from hub.clock import SystemClock
from hub.errors import HubError
from hub.leads import importer
from hub.orders import importer as product_importer
from hub.roles import Principal
from hub.runtime import Hub
from hub.settings import ConfigError, Settings, load_settings
from resolvers.root import build_schema
from schema.strawberry_internals import core_schema
from storage import migrate
from storage.db import DatabaseUnavailable, create_engine, is_sqlite
from web import logs, reports
from web.app import build_hub

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


class CommandError(Exception):
    """A failure to report as one line."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; errors print one line and exit non-zero."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = args.handler(args)
    except (ConfigError, CommandError, HubError) as error:
        print(f"channelhub: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except DatabaseUnavailable as error:
        print(f"channelhub: {str(error).splitlines()[0]}", file=sys.stderr)
        raise SystemExit(1) from None
    except (SQLAlchemyError, OSError) as error:
        print(f"channelhub: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="channelhub", description="ChannelHub, the open PRM hub.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the GraphQL API over HTTP and WebSocket")
    serve.add_argument("--host", help="interface to bind (default CHANNELHUB_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default CHANNELHUB_PORT, else 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--no-demo",
        action="store_true",
        help="do not seed demo data into an empty embedded database",
    )
    serve.set_defaults(handler=_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(handler=_migrate)
    admin = commands.add_parser(
        "create-admin",
        help="create a vendor admin (and the vendor)",
        description="Create a VENDOR_ADMIN user, creating the vendor organization if needed.",
    )
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--password",
        help="the password (asked for on a terminal, or read as one line from stdin, when left "
        "out, so it stays out of the shell history)",
    )
    admin.add_argument("--name", default="Vendor Admin")
    admin.set_defaults(handler=_create_admin)
    commands.add_parser("demo", help="seed demo data into an empty database").set_defaults(
        handler=_demo
    )
    gc = commands.add_parser(
        "gc-objects",
        help="delete what failed or abandoned uploads left in the object store",
        description="Once older than the grace period: delete objects no asset version or open "
        "upload refers to, abort unfinished multipart uploads (or remove temporary files) and "
        "drop expired upload records. A periodic job in every hub process does this too.",
    )
    gc.add_argument(
        "--grace-hours", type=float, default=24.0, help="keep younger objects (default 24)"
    )
    gc.set_defaults(handler=_gc_objects)
    analytics = commands.add_parser("analytics", help="channel analytics upkeep")
    analytics_commands = analytics.add_subparsers(dest="what", required=True, metavar="WHAT")
    analytics_commands.add_parser(
        "rebuild",
        help="recompute the revenue rollups from raw orders",
        description="Delete and recompute every revenue rollup from the orders' delivery and "
        "return history at the current exchange rates, in one transaction. The hub keeps "
        "them current by itself; this repairs them after a restore or a manual data fix.",
    ).set_defaults(handler=_rebuild_analytics)
    reports.add_parser(commands).set_defaults(handler=_report)
    persisted = commands.add_parser("persisted-queries", help="the persisted query allow-list")
    persisted_commands = persisted.add_subparsers(dest="what", required=True, metavar="WHAT")
    manifest = persisted_commands.add_parser(
        "import",
        help="put the documents of a persisted query manifest on the allow-list",
        description="Read an Apollo persisted query manifest (generate-persisted-query-manifest) "
        "or a Relay one (relay-compiler's persisted queries file), check every document against "
        "the schema, and keep them all in one transaction. With PERSISTED_QUERIES=allow-list "
        "only these documents run; clients send them by hash (or by the Relay id as documentId).",
    )
    manifest.add_argument("manifest", type=Path, help="the manifest's JSON file")
    manifest.set_defaults(handler=_import_persisted_queries)
    importing = commands.add_parser("import", help="import records from a CSV file")
    kinds = importing.add_subparsers(dest="kind", required=True, metavar="KIND")
    leads = kinds.add_parser(
        "leads",
        help="import leads from CSV",
        description="Import leads from a CSV file with a header line. Columns: "
        + ", ".join(importer.COLUMNS)
        + ". Importing a file again updates instead of duplicating: a row is the lead with its "
        "external_id, or without one the open lead of the same customer and product line.",
    )
    leads.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    leads.add_argument(
        "--no-route", action="store_true", help="keep the leads NEW instead of routing"
    )
    leads.add_argument(
        "--as", dest="actor", metavar="EMAIL", help="vendor staff member recorded as creator"
    )
    leads.set_defaults(handler=_import_leads)
    products = kinds.add_parser(
        "products",
        help="import or update catalog products from CSV",
        description="Import products from a CSV file with a header line: sku, name, product_line, "
        "optional description and active, and one price_<currency> column per currency "
        "(whole minor units, e.g. price_usd). Known SKUs are updated.",
    )
    products.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    products.add_argument(
        "--as", dest="actor", metavar="EMAIL", help="vendor staff member to act as"
    )
    products.set_defaults(handler=_import_products)
    rates = kinds.add_parser(
        "rates",
        help="import exchange rates from CSV",
        description="Import exchange rates from a CSV file with the header line currency, "
        "valid_from, rate (units of the reporting currency one unit is worth, from that day "
        "on). The good rows are set together; revenue they cover is converted anew once.",
    )
    rates.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    rates.add_argument("--as", dest="actor", metavar="EMAIL", help="vendor admin to act as")
    rates.set_defaults(handler=_import_rates)
    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument(
        "--output",
        type=Path,
        default=SCHEMA_FILE,
        help=f"file to write (default {SCHEMA_FILE.name} in schema/)",
    )
    export.add_argument(
        "--check", action="store_true", help="fail if the file differs instead of writing it"
    )
    export.set_defaults(handler=_export_schema)
    return parser


def _run(settings: Settings, work: Callable[[Hub, AsyncEngine], Awaitable[int]]) -> int:
    async def runner() -> int:
        engine = create_engine(settings.database_url, pool_size=2)
        hub = build_hub(settings, engine, SystemClock())
        try:
            return await work(hub, engine)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


async def _prepare(hub: Hub, engine: AsyncEngine, *, seed_demo: bool) -> None:
    if is_sqlite(hub.settings.database_url):
        hub.settings.var_dir.mkdir(parents=True, exist_ok=True)
        await migrate.upgrade(engine)
    elif await migrate.current_revision(engine) != _head():
        raise CommandError(
            "the database is not migrated to the latest revision: run `channelhub migrate`"
        )
    # Demo accounts with a published password have no place in production: there the demo
    # is seeded only by running `channelhub demo` by hand.
    production = hub.settings.environment == "production"
    if production or not (seed_demo and is_sqlite(hub.settings.database_url)):
        return
    if not await demo.seeded(hub):
        _print_logins(hub.settings, await _seed(hub))
    elif hub.settings.development:
        _print_logins(hub.settings, await demo.logins(hub))


async def _seed(hub: Hub) -> list[demo.Login]:
    started = time.perf_counter()
    made = await demo.seed(hub)
    print(f"Demo data seeded in {time.perf_counter() - started:.1f} s.", flush=True)
    return made


def _head() -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _serve(args: argparse.Namespace) -> int:
    # Flags act as the settings would, so the download links and allowed origins every worker
    # derives (create_app reads the environment) follow the host and port really served.
    for name, value in (("HOST", args.host), ("PORT", args.port)):
        if value is not None:
            os.environ[f"CHANNELHUB_{name}"] = str(value)
    settings = load_settings()
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    _check_free(settings.host, settings.port)

    async def prepare(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=not args.no_demo)
        if not await demo.seeded(hub):
            print(
                "No users yet: create the first vendor admin with `channelhub create-admin "
                "--email you@example.com --password '<a long password>'`, then sign in and "
                "list your product lines with createProductLine",
                flush=True,
            )
        return 0

    _run(settings, prepare)
    # Thousands of long-lived sockets keep many objects alive; the default thresholds make
    # full collections (which walk all of them) frequent enough to stall live fan-out.
    gc.set_threshold(50_000, 20, 100)
    print(f"ChannelHub serving {settings.public_base_url}/graphql", flush=True)
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        # Every worker applies this config; the request log line replaces uvicorn's access log.
        log_config=logs.dict_config(settings),
        access_log=False,
        ws="websockets-sansio",
        # Events are small JSON documents: compressing each one for every socket costs
        # more CPU than it saves bandwidth, and fan-out latency is what matters here.
        ws_per_message_deflate=False,
    )
    return 0


def _check_free(host: str, port: int) -> None:
    """Refuse to start (before announcing anything) when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"cannot serve on {host}:{port} ({error.strerror or error}); another program "
                "may be using it: pass --port, or set CHANNELHUB_PORT (make run PORT=...)"
            ) from None


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        if is_sqlite(settings.database_url):
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        await migrate.upgrade(engine)
        print("database migrated to", await migrate.current_revision(engine))
        return 0

    return _run(settings, work)


def _create_admin(args: argparse.Namespace) -> int:
    settings = load_settings()
    password = args.password if args.password is not None else _read_password()

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        user = await user_service.create_admin(
            hub, email=args.email, password=password, name=args.name
        )
        print(f"created vendor admin {user.email}")
        return 0

    return _run(settings, work)


def _read_password() -> str:
    """Ask twice on a terminal; otherwise take the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise CommandError("the passwords differ")
    return password


def _version() -> str:
    try:
        return metadata.version("channelhub")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        if await demo.seeded(hub):
            raise CommandError(
                "the database already holds users; demo data goes into an empty database"
            )
        _print_logins(settings, await _seed(hub))
        return 0

    return _run(settings, work)


Reader = Callable[..., Iterator[csvrows.Row]]
ImportWork = Callable[[Hub, Principal, Iterator[csvrows.Row]], Awaitable[None]]


def _import_leads(args: argparse.Namespace) -> int:
    report = importer.ImportReport()

    async def work(hub: Hub, actor: Principal, rows: Iterator[csvrows.Row]) -> None:
        await importer.import_leads(
            hub, principal=actor, rows=rows, route_now=not args.no_route, report=report
        )

    def summary() -> str:
        return (
            f"imported {report.imported} leads ({report.offered} offered, "
            f"{report.unassignable} unassignable), updated {report.updated}, unchanged "
            f"{report.unchanged}; rejected {len(report.rejected)} rows"
        )

    return _import(args, "leads", importer.read_rows, work, report, summary)


def _import_products(args: argparse.Namespace) -> int:
    report = product_importer.ProductImportReport()

    async def work(hub: Hub, actor: Principal, rows: Iterator[csvrows.Row]) -> None:
        await product_importer.import_products(hub, principal=actor, rows=rows, report=report)

    def summary() -> str:
        return (
            f"created {report.created} products, updated {report.updated}; "
            f"rejected {len(report.rejected)} rows"
        )

    return _import(args, "products", product_importer.read_rows, work, report, summary)


def _import_rates(args: argparse.Namespace) -> int:
    report = rates_importer.RateImportReport()

    async def work(hub: Hub, actor: Principal, rows: Iterator[csvrows.Row]) -> None:
        await rates_importer.import_rates(hub, principal=actor, rows=rows, report=report)

    def summary() -> str:
        return f"set {report.imported} exchange rates; rejected {len(report.rejected)} rows"

    return _import(args, "rates", rates_importer.read_rows, work, report, summary)


def _import(
    args: argparse.Namespace,
    kind: str,
    read: Reader,
    run: ImportWork,
    report: csvrows.Report,
    summary: Callable[[], str],
) -> int:
    """Stream a CSV file into an importer; bad rows go to stderr by line, the summary always."""

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        actor = await user_service.vendor_actor(hub, email=args.actor)
        with (
            args.file.open("rb") as handle,
            tqdm(
                total=args.file.stat().st_size,
                unit="B",
                unit_scale=True,
                desc=f"importing {kind}",
                file=sys.stderr,
            ) as bar,
        ):
            report.on_rejected = lambda line, reason: bar.write(
                f"line {line}: {reason}", file=sys.stderr
            )
            await run(hub, actor, read(handle, progress=bar.update))
        return 1 if report.rejected else 0

    try:
        if not args.file.is_file():
            raise CommandError(f"{args.file} is not a readable file")
        return _run(load_settings(), work)
    except csvrows.FormatError as error:
        raise CommandError(f"{args.file}: {error}") from None
    finally:
        print(summary())
        if report.stopped_at is not None:
            print(
                f"channelhub: stopped at line {report.stopped_at}: it and the lines after it "
                "were not imported",
                file=sys.stderr,
            )


def _gc_objects(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.grace_hours < 0:
        raise CommandError("--grace-hours must not be negative")

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        await hub.objects.ensure_ready()
        removed = await files.collect_garbage(hub, grace=timedelta(hours=args.grace_hours))
        print(
            f"removed {removed.objects} unreferenced objects, {removed.incomplete} unfinished "
            f"uploads and {removed.records} upload records"
        )
        return 0

    return _run(settings, work)


def _rebuild_analytics(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        orders = await analytics_service.rebuild(hub)
        print(f"revenue rollups rebuilt from {orders} delivered or returned orders")
        return 0

    return _run(settings, work)


def _report(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        actor = await user_service.vendor_actor(hub, email=args.actor)
        await reports.write(hub, actor, args, sys.stdout)
        return 0

    return _run(settings, work)


def _import_persisted_queries(args: argparse.Namespace) -> int:
    settings = load_settings()
    entries = persisted_queries.read_manifest(args.manifest)
    schema = core_schema(build_schema(settings))
    for entry in entries:
        try:
            errors = graphql.validate(schema, graphql.parse(entry.document))
        except graphql.GraphQLError as error:
            errors = [error]
        if errors:
            what = entry.operation_name or entry.document_id or entry.document[:60]
            raise CommandError(
                f"the document {what!r} does not fit the schema: {errors[0].message}"
            )

    async def work(hub: Hub, engine: AsyncEngine) -> int:
        await _prepare(hub, engine, seed_demo=False)
        added, kept = await persisted_queries.import_entries(hub, entries)
        print(f"allow-list: {added} documents added, {kept} already kept")
        return 0

    return _run(settings, work)


def _export_schema(args: argparse.Namespace) -> int:
    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )
    sdl = build_schema(settings).as_str() + "\n"
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != sdl:
            raise CommandError(f"{args.output} is out of date: run `channelhub export-schema`")
        return 0
    args.output.write_text(sdl)
    print(f"wrote {args.output}")
    return 0


def _print_logins(settings: Settings, logins: list[demo.Login]) -> None:
    """Show the demo logins, except in production, where none is printed."""
    if settings.environment == "production":
        print("Demo logins are not printed in production (the README lists them).", flush=True)
        return
    if not logins:
        return
    print("Log in with:")
    for email, password, role in logins:
        print(f"  {email:32} {password:18} {role}", flush=True)
