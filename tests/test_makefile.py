"""The Makefile: a bare `make` only explains; `make run` installs what serving needs alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bare_make_prints_the_targets_and_installs_nothing() -> None:
    bare = make()
    planned = make("-n")

    assert bare.returncode == 0
    assert "make run" in bare.stdout and "make test" in bare.stdout
    assert "apt-get" not in planned.stdout.replace("(apt-get installs them when missing)", "")
    assert "pip install" not in planned.stdout


def test_make_run_installs_the_runtime_without_the_dev_extras() -> None:
    planned = make("-n", "-B", "run").stdout

    assert "pip install --quiet -e ." in planned
    assert "[dev]" not in planned
    assert "apt-get" not in planned.split("pip install")[1]
