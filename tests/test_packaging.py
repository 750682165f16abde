"""The package declares its license as an SPDX expression and ships the license text."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_is_an_spdx_expression_with_its_text() -> None:
    metadata = importlib.metadata.metadata("channelhub")

    assert metadata.get("License-Expression") == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text


def test_the_lower_bound_check_names_each_requirement_above_its_bound() -> None:
    """`make check-lowest` runs the check in a lowest-direct virtualenv, where it passes; here,
    in the everyday virtualenv with newer releases, it must fail and say which."""
    script = ROOT / "scripts" / "check_lowest.py"
    checked = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    build = subprocess.run(
        [sys.executable, str(script), "--build-requires"], capture_output=True, text=True
    )
    installed = importlib.metadata.version("starlette")

    assert checked.returncode == 1
    assert f"starlette>=0.41.2,<1: {installed} installed" in checked.stderr
    assert build.stdout.split() == ["setuptools>=77.0.1"]
