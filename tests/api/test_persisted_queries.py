"""Persisted queries over HTTP, on PostgreSQL and the embedded SQLite: Apollo's automatic
persisted queries (POST and GET), the hash check, what is kept and for whom, racing
registrations, and the vendor's allow-list imported with `channelhub persisted-queries import`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub import jobs
from hub.clock import ManualClock
from hub.persisted_queries import caller_key, sha256_of
from storage.models.persisted_queries import PersistedQuery
from tests.factories import Actor, Factory
from tests.wsclient import graphql_socket

ME = "query Me { me { email } }"
CHANNELHUB = Path(sys.executable).parent / "channelhub"


def apq(sha256: str, query: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}}}
    return {**body, **({"query": query} if query is not None else {}), **fields}


async def send(
    factory: Factory, body: dict[str, Any], actor: Actor | None = None, *, get: bool = False
) -> httpx.Response:
    headers = {"accept": "application/graphql-response+json"}
    if actor is not None:
        headers["authorization"] = f"Bearer {actor.token}"
    if get:
        params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
        return await factory.client.get("/graphql", params=params, headers=headers)
    return await factory.client.post("/graphql", json=body, headers=headers)


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def kept(factory: Factory) -> int:
    async with factory.hub.read() as session:
        return int(await session.scalar(select(func.count()).select_from(PersistedQuery)) or 0)


def forget_cache(factory: Factory) -> None:
    """What another process would see: only the database."""
    factory.hub.caches.pop("persisted_queries", None)


def configure(factory: Factory, **settings: Any) -> None:
    factory.hub.settings = dataclasses.replace(factory.hub.settings, **settings)


@pytest.mark.parametrize("get", [False, True], ids=["POST", "GET"])
async def test_an_unknown_hash_is_not_found_then_registered_by_the_full_request(
    any_factory: Factory, get: bool
) -> None:
    factory = any_factory
    admin = await factory.vendor_admin()
    sha256 = sha256_of(ME)

    missing = await send(factory, apq(sha256), admin, get=get)
    registered = await send(factory, apq(sha256, ME), admin, get=get)
    forget_cache(factory)
    by_hash = await send(factory, apq(sha256, operationName="Me"), admin, get=get)

    assert missing.status_code == 200
    assert missing.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert "no-cache" in missing.headers["cache-control"]
    expected = {"data": {"me": {"email": admin.user.email}}}
    assert registered.status_code == by_hash.status_code == 200
    assert registered.json() == by_hash.json() == expected
    assert await kept(factory) == 1


async def test_bad_hashes_and_versions_are_refused_and_nothing_is_kept(
    any_factory: Factory,
) -> None:
    factory = any_factory
    admin = await factory.vendor_admin()
    wrong = await send(factory, apq(sha256_of("{ me { id } }"), ME), admin)
    short = await send(factory, apq("abc123", ME), admin)
    version = {"query": ME, "extensions": {"persistedQuery": {"version": 2, "sha256Hash": "a"}}}
    newer = await send(factory, version, admin)
    invalid = "query Me { me { nothingHere } }"
    refused = await send(factory, apq(sha256_of(invalid), invalid), admin)

    assert wrong.status_code == short.status_code == newer.status_code == 400
    assert wrong.json()["errors"][0]["message"] == "provided sha does not match query"
    assert "64 hexadecimal digits" in short.json()["errors"][0]["message"]
    assert "version 1" in newer.json()["errors"][0]["message"]
    assert code_of(wrong) == code_of(short) == code_of(newer) == "BAD_USER_INPUT"
    assert code_of(refused) == "GRAPHQL_VALIDATION_FAILED"
    assert await kept(factory) == 0  # a document that does not validate is never kept


async def test_each_caller_keeps_a_bounded_number_of_documents_a_day(
    any_factory: Factory, clock: ManualClock
) -> None:
    factory = any_factory
    configure(factory, persisted_queries_per_client=2, persisted_query_max_bytes=100)
    admin = await factory.vendor_admin()
    other = await factory.partner_admin(await factory.partner())
    documents = [f"query Q{n} {{ me {{ email }} }}" for n in range(3)]
    for document in documents:
        answer = await send(factory, apq(sha256_of(document), document), admin)
        assert answer.json() == {"data": {"me": {"email": admin.user.email}}}
    long = "query Long { me { email } }" + " " * 100
    ran = await send(factory, apq(sha256_of(long), long), other)
    forget_cache(factory)
    found = [
        "data" in (await send(factory, apq(sha256_of(document)), admin)).json()
        for document in [*documents, long]
    ]
    third = await send(factory, apq(sha256_of(documents[2]), documents[2]), other)
    forget_cache(factory)
    after = await send(factory, apq(sha256_of(documents[2])), admin)

    assert "data" in ran.json()  # too long to keep, but it ran
    assert found == [True, True, False, False]
    assert "data" in third.json() and "data" in after.json()  # the other caller's share
    clock.advance(seconds=86_400 + 1)
    fourth = "query Q3 { me { email } }"
    await send(factory, apq(sha256_of(fourth), fourth), factory.fresh(admin))
    forget_cache(factory)
    assert "data" in (await send(factory, apq(sha256_of(fourth)), factory.fresh(admin))).json()


async def test_racing_registrations_keep_one_row_and_respect_the_cap(
    any_factory: Factory,
) -> None:
    factory = any_factory
    configure(factory, persisted_queries_per_client=3)
    admin = await factory.vendor_admin()
    same = await asyncio.gather(*(send(factory, apq(sha256_of(ME), ME), admin) for _ in range(8)))
    documents = [f"query R{n} {{ me {{ email }} }}" for n in range(8)]
    distinct = await asyncio.gather(
        *(send(factory, apq(sha256_of(doc), doc), admin) for doc in documents)
    )

    assert all(answer.json() == {"data": {"me": {"email": admin.user.email}}} for answer in same)
    assert all("data" in answer.json() for answer in distinct)
    assert await kept(factory) == 3  # ME, then two of the eight: the cap held under the race


async def test_anonymous_callers_register_by_address_and_can_log_in_by_hash(
    any_factory: Factory,
) -> None:
    factory = any_factory
    admin = await factory.vendor_admin()
    login = (
        "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { user { email } } }"
    )
    variables = {"e": admin.user.email, "p": "wrong-password"}
    first = await send(factory, apq(sha256_of(login), login, variables=variables))
    again = await send(factory, apq(sha256_of(login), variables=variables))

    async with factory.hub.read() as session:
        who = await session.scalar(select(PersistedQuery.registered_by))
    assert first.json() == again.json()
    assert first.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert who is not None and who.startswith("ip:")


def _import(factory: Factory, manifest: Path) -> subprocess.CompletedProcess[str]:
    settings = factory.hub.settings
    env = {
        "PATH": "/usr/bin:/bin",
        "CHANNELHUB_ENV": "test",
        "CHANNELHUB_DATABASE_URL": settings.database_url,
        "CHANNELHUB_JWT_SECRET": settings.jwt_secret,
        "CHANNELHUB_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [str(CHANNELHUB), "persisted-queries", "import", str(manifest)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


LISTED = "query Listed { me { email } }"
RELAYED = "query RelayMe { me { email role } }"


async def test_the_allow_list_runs_only_imported_documents(
    any_factory: Factory, tmp_path: Path
) -> None:
    factory = any_factory
    admin = await factory.vendor_admin()
    apollo = tmp_path / "persisted-query-manifest.json"
    operation = {"id": sha256_of(LISTED), "name": "Listed", "type": "query", "body": LISTED}
    apollo.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )
    relay = tmp_path / "persisted_queries.json"
    relay.write_text(json.dumps({"4f6a3b0c9d": RELAYED}))
    imported = [_import(factory, apollo), _import(factory, relay), _import(factory, apollo)]
    configure(factory, persisted_queries="allow-list")

    by_hash = await send(factory, apq(sha256_of(LISTED)), admin)
    by_text = await send(factory, {"query": LISTED}, admin)
    by_relay_id = await send(factory, {"documentId": "4f6a3b0c9d"}, admin, get=True)
    by_prefixed = await send(factory, {"documentId": f"sha256:{sha256_of(RELAYED)}"}, admin)
    unlisted = await send(factory, {"query": ME}, admin)
    unlisted_apq = await send(factory, apq(sha256_of(ME), ME), admin)
    unknown = await send(factory, apq(sha256_of(ME)), admin)

    assert [result.returncode for result in imported] == [0, 0, 0], imported
    assert "1 documents added, 0 already kept" in imported[0].stdout
    assert "0 documents added, 1 already kept" in imported[2].stdout
    me = {"me": {"email": admin.user.email}}
    assert by_hash.json() == by_text.json() == {"data": me}
    assert (
        by_relay_id.json()
        == by_prefixed.json()
        == {"data": {"me": {"email": admin.user.email, "role": "VENDOR_ADMIN"}}}
    )
    assert unlisted.status_code == unlisted_apq.status_code == 400
    assert code_of(unlisted) == code_of(unlisted_apq) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert await kept(factory) == 2  # nothing registered while the allow-list holds


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "0" * 64, "name": "X", "body": LISTED}],
            },
            "id is not the SHA-256 of its body",
        ),
        ({"a1": LISTED, "b2": "query Broken { me { nothingHere } }"}, "does not fit the schema"),
        ([LISTED], "neither Apollo's"),
    ],
)
async def test_a_bad_manifest_is_refused_whole(
    factory: Factory, tmp_path: Path, manifest: Any, message: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    result = _import(factory, path)

    assert result.returncode == 2
    assert message in result.stderr
    assert await kept(factory) == 0


async def test_with_persisted_queries_off_a_hash_is_not_supported(factory: Factory) -> None:
    configure(factory, persisted_queries="off")
    admin = await factory.vendor_admin()
    answer = await send(factory, apq(sha256_of(ME)), admin)
    plain = await send(factory, {"query": ME}, admin)

    assert answer.json()["errors"][0] == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }
    assert "data" in plain.json()


def test_an_anonymous_callers_share_is_its_address_or_its_ipv6_network() -> None:
    assert caller_key("u1", "10.0.0.1") == "user:u1"
    assert caller_key(None, "10.0.0.1") == "ip:10.0.0.1"
    assert caller_key(None, "::ffff:10.0.0.1") == "ip:10.0.0.1"
    assert caller_key(None, "2001:db8:1:2::17") == caller_key(None, "2001:db8:1:2:ffff::1")
    assert caller_key(None, "2001:db8:1:2::17") == "ip:2001:db8:1:2::/64"
    assert caller_key(None, "2001:db8:1:3::17") != caller_key(None, "2001:db8:1:2::17")
    assert caller_key(None, None) == "ip:-"


async def test_registered_documents_are_forgotten_after_30_days_imported_ones_stay(
    any_factory: Factory, clock: ManualClock, tmp_path: Path
) -> None:
    factory = any_factory
    admin = await factory.vendor_admin()
    manifest = tmp_path / "relay.json"
    manifest.write_text(json.dumps({"listed-1": LISTED}))
    assert _import(factory, manifest).returncode == 0
    await send(factory, apq(sha256_of(ME), ME), admin)
    clock.advance(days=29)
    await jobs.run_once(factory.hub, collect_objects=True)
    kept_a_while = await send(factory, apq(sha256_of(ME)), factory.fresh(admin))
    clock.advance(days=2)
    await jobs.run_once(factory.hub, collect_objects=True)
    after = factory.fresh(admin)

    assert "data" in kept_a_while.json()
    assert code_of(await send(factory, apq(sha256_of(ME)), after)) == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" in (await send(factory, apq(sha256_of(LISTED)), after)).json()
    assert await kept(factory) == 1


async def test_the_allow_list_holds_over_the_websocket_too(
    factory: Factory, ws_url: str, tmp_path: Path
) -> None:
    admin = await factory.vendor_admin()
    manifest = tmp_path / "relay.json"
    manifest.write_text(json.dumps({"listed-1": LISTED}))
    assert _import(factory, manifest).returncode == 0
    configure(factory, persisted_queries="allow-list")

    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.subscribe(ME, id="unlisted")
        refused = await socket.result("unlisted")
        await socket.subscribe(LISTED, id="listed")
        ran = await socket.result("listed")

    assert refused["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_NOT_IN_LIST"}
    assert ran == {"data": {"me": {"email": admin.user.email}}}
