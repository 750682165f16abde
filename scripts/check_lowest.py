"""Prove the lower bounds in pyproject.toml: every direct requirement is installed at its bound.

`make check-lowest` installs ChannelHub into a fresh virtualenv with
`uv pip install --resolution lowest-direct`, then runs this script with that virtualenv's
interpreter. A bound that no release matches exactly (say `>=0.32` when 0.32.0 is the release)
still passes; a bound that the resolver had to raise (the bound cannot be installed) fails.

    python scripts/check_lowest.py                    # check the running interpreter's packages
    python scripts/check_lowest.py --build-requires   # print the build requirements, one a line
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def direct_requirements() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def build_requirements() -> list[str]:
    return list(tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"])


def lower_bound(requirement: str) -> tuple[str, str | None]:
    match = REQUIREMENT.match(requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    name, spec = match.groups()
    bound = next((part[2:].strip() for part in spec.split(",") if part.strip()[:2] == ">="), None)
    return name, bound


def release(version: str) -> tuple[int, ...]:
    """1.36 and 1.36.0 are one release: compare the numeric parts with trailing zeros dropped."""
    parts = [int(part) for part in re.findall(r"\d+", version.split("+")[0])]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def main(argv: list[str]) -> int:
    if argv == ["--build-requires"]:
        print("\n".join(build_requirements()))
        return 0
    if argv:
        raise SystemExit(__doc__)
    failures = []
    for requirement in [*build_requirements(), *direct_requirements()]:
        name, bound = lower_bound(requirement)
        if bound is None:
            failures.append(f"{requirement}: no lower bound")
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            failures.append(f"{requirement}: not installed")
            continue
        verdict = "ok" if release(installed) == release(bound) else "NOT AT ITS BOUND"
        if verdict != "ok":
            failures.append(f"{requirement}: {installed} installed")
        print(f"{name:24} bound {bound:10} installed {installed:10} {verdict}")
    if failures:
        print("\nLower bounds that do not hold:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"\nall {len(build_requirements()) + len(direct_requirements())} lower bounds installed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
