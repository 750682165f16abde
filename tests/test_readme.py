"""README.md documents every setting the hub reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_in_the_readme() -> None:
    source = (ROOT / "hub" / "settings.py").read_text()
    names = set(re.findall(r'source\.\w+\(\s*"([A-Z0-9_]+)"', source))
    readme = (ROOT / "README.md").read_text()

    assert len(names) > 50  # the pattern still finds how settings are read
    assert sorted(name for name in names if f"`{name}`" not in readme) == []
