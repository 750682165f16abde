"""scripts/check_descriptions.py: every part of the schema says what it is, or `make check`
fails naming the parts that do not."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import pytest
import strawberry

from schema.strawberry_internals import core_schema
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_descriptions.py"


def _checker() -> ModuleType:
    return load_script(SCRIPT)


class Shade(Enum):
    LIGHT = "LIGHT"
    DARK = strawberry.enum_value("DARK", description="Below half brightness.")


strawberry.enum(Shade, description="How bright a colour is.")


@strawberry.input(description="Which colours to list.")
class ColourFilter:
    shade: Shade | None = None
    name: str | None = strawberry.field(default=None, description="Only colours of this name.")


@strawberry.type(description="A colour of the palette.")
class Colour:
    name: str = strawberry.field(description="The colour's name, e.g. teal.")
    hex: str
    rgb: str = strawberry.field(description="Red, green and blue,\n0 to 255 each.")


@strawberry.type
class Query:
    @strawberry.field(description="Colours of the palette, by name.")
    def colours(
        self,
        first: Annotated[int, strawberry.argument(description="How many at most.")],
        filter: ColourFilter | None = None,
    ) -> list[Colour]:
        return []


def test_every_undescribed_part_is_named_by_its_coordinate() -> None:
    schema = core_schema(strawberry.Schema(query=Query))

    missing = _checker().undescribed(schema)

    assert missing == [
        "Query",
        "Query.colours(filter:)",
        "Colour.hex",
        "Colour.rgb",
        "ColourFilter.shade",
        "Shade.LIGHT",
    ]


@strawberry.type(description="The root of a schema with nothing left undescribed.")
class Described:
    answer: int = strawberry.field(description="The answer, a whole number.")


def test_the_report_lists_them_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    schema = core_schema(strawberry.Schema(query=Query))

    status = _checker().report(schema)

    assert status == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "no one-line description: Query"
    assert lines[-1] == "6 parts of the schema have no one-line description"


def test_a_fully_described_schema_passes() -> None:
    schema = core_schema(strawberry.Schema(query=Described))

    assert _checker().undescribed(schema) == []


def test_the_hubs_schema_is_fully_described() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False, cwd=ROOT
    )

    assert (result.returncode, result.stderr) == (0, "")
