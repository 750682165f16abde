"""Vendor GraphiQL's browser bundles into web/graphiql/vendor/ with npm.

The development IDE at /graphql loads nothing from a CDN: the UMD builds of GraphiQL, React,
ReactDOM and graphql-ws live in the repository, each beside its license, so `make run` needs
Python alone. Change a version below and run this script to update them:

    python scripts/vendor_graphiql.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "web" / "graphiql" / "vendor"
# npm package, version, and the files taken from it (the first one that exists of each
# license name). GraphiQL 3 is the last major with a UMD bundle; its bundle includes the
# toolkit's createGraphiQLFetcher (as GraphiQL.createFetcher).
PACKAGES = {
    "graphiql": ("3.9.0", ["graphiql.min.js", "graphiql.min.css"]),
    "react": ("18.3.1", ["umd/react.production.min.js"]),
    "react-dom": ("18.3.1", ["umd/react-dom.production.min.js"]),
    "graphql-ws": ("5.16.2", ["umd/graphql-ws.min.js"]),
}
LICENSES = ("LICENSE", "LICENSE.md", "LICENSE.txt")


def vendor(name: str, version: str, files: list[str], work: Path) -> str:
    """Unpack one package's files and license into VENDOR/<name>; return its line for the list."""
    packed = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(work)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    with tarfile.open(work / packed) as archive:
        archive.extractall(work / name, filter="data")
    source, target = work / name / "package", VENDOR / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for file in files:
        shutil.copyfile(source / file, target / Path(file).name)
    license_file = next(source / found for found in LICENSES if (source / found).exists())
    shutil.copyfile(license_file, target / "LICENSE")
    return f"{name}@{version} (npm): {', '.join(Path(file).name for file in files)}"


def main() -> None:
    """Vendor every package of PACKAGES and write the list of what is there."""
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        lines = [vendor(name, *spec, Path(folder)) for name, spec in PACKAGES.items()]
    (VENDOR / "PACKAGES.txt").write_text(
        "Vendored by scripts/vendor_graphiql.py; each folder holds the package's LICENSE.\n"
        + "".join(f"{line}\n" for line in lines)
    )
    size = sum(path.stat().st_size for path in VENDOR.rglob("*") if path.is_file())
    print(f"vendored {len(lines)} packages into {VENDOR} ({size / 1024:.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
