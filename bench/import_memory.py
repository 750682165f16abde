"""Lead import memory: peak RSS of `channelhub import leads` for growing files.

Streaming keeps memory flat: the peak for 50,000 rows should match the one for 5,000. The
same file is then imported again into the same database: every row finds its lead (by the
customer) and changes nothing, which prices the re-import's lookups next to the first import.
Run: .venv/bin/python -m bench.import_memory [--rows 5000,50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hub import identity, product_lines
from hub.settings import load_settings
from web.app import create_app

CHANNELHUB = Path(sys.executable).parent / "channelhub"
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR"]
LINES = ["NETWORKING", "SECURITY", "CLOUD", "STORAGE"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    with path.open("w") as handle:
        handle.write("customer_company,country,product_line,value_minor,currency,email\n")
        for n in range(rows):
            handle.write(
                f"Company {n},{rng.choice(COUNTRIES)},{rng.choice(LINES)},{rng.randint(1, 10**7)},USD,"
                f"buyer{n}@company{n}.example\n"
            )


async def add_product_lines(env: dict[str, str]) -> None:
    """The lines the file's rows name, added by the vendor admin (unknown lines are refused)."""
    app = create_app(load_settings(env))
    async with app.router.lifespan_context(app):
        hub = app.state.hub
        admin = await identity.login(hub, email="bench@vendor.example", password="bench-password-1")
        vendor = identity.principal_of(admin.user)
        for code in LINES:
            data = product_lines.ProductLineInput(code, code.title())
            await product_lines.create(hub, principal=vendor, data=data)


Run = tuple[tuple[float, float], tuple[float, float], float]


def run(rows: int) -> Run:
    """Import `rows` leads into a fresh embedded database, then again; return (MiB peak,
    seconds) of each import and the file's MiB."""
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
        env["CHANNELHUB_VAR_DIR"] = f"{folder}/var"
        subprocess.run(
            [
                str(CHANNELHUB),
                "create-admin",
                "--email",
                "bench@vendor.example",
                "--password",
                "bench-password-1",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        asyncio.run(add_product_lines(env))
        source = Path(folder) / "leads.csv"
        write_csv(source, rows)
        return _import(env, source), _import(env, source), source.stat().st_size / 2**20


def _import(env: dict[str, str], source: Path) -> tuple[float, float]:
    """One `channelhub import leads` run: (MiB peak, seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CHANNELHUB), "import", "leads", str(source), "--no-route"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"import of {source} failed")
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="5000,50000")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for rows in (int(value) for value in args.rows.split(",")):
        first, again, size = run(rows)
        for label, (peak, elapsed) in (("import", first), ("again ", again)):
            print(
                f"{label} {rows:6} leads ({size:5.1f} MiB CSV): peak RSS {peak:6.1f} MiB, "
                f"{rows / elapsed:,.0f} rows/s"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
