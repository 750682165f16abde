"""scripts/check_schema_changes.py: `make check` fails on a breaking change to the schema that
the previous release did not announce with @deprecated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import build_schema

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_schema_changes.py"


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    return load_script(SCRIPT)


RELEASED = """
type Query {
  partner(id: ID!, legacyId: Int @deprecated(reason: "Use id.")): Partner
  partners(first: Int): [Partner!]!
  oldTier: Tier @deprecated(reason: "Use Partner.tier.")
  legacy: Legacy @deprecated(reason: "Gone in 0.3.")
  kept: Kept
}
type Partner { id: ID! name: String! tier: Tier! code: String @deprecated(reason: "Use id.") }
type Legacy { x: Int }
type Kept { x: Int }
enum Tier { GOLD SILVER BRONZE @deprecated(reason: "Merged into SILVER.") }
input PartnerInput { name: String! region: String @deprecated(reason: "Use country.") }
type Mutation { createPartner(input: PartnerInput!): Partner }
"""


def test_what_the_release_deprecated_may_go(checker: ModuleType) -> None:
    new = build_schema("""
type Query { partner(id: ID!): Partner partners(first: Int): [Partner!]! kept: Kept }
type Partner { id: ID! name: String! tier: Tier! }
type Kept { x: Int }
enum Tier { GOLD SILVER }
input PartnerInput { name: String! }
type Mutation { createPartner(input: PartnerInput!): Partner }
""")

    assert checker.unannounced(build_schema(RELEASED), new) == []


def test_every_unannounced_break_is_named(checker: ModuleType) -> None:
    new = build_schema("""
type Query { partner(id: ID!, legacyId: Int): Partner legacy: Legacy oldTier: Tier }
type Partner { id: ID! name: Int tier: Tier! code: String }
type Legacy { x: Int }
enum Tier { GOLD BRONZE }
input PartnerInput { name: String! region: String country: String! }
type Mutation { createPartner(input: PartnerInput!): Partner }
""")

    assert sorted(checker.unannounced(build_schema(RELEASED), new)) == sorted(
        [
            "Kept was removed.",
            "Field Query.partners was removed.",
            "Field Query.kept was removed.",
            "Field Partner.name changed type from String! to Int.",
            "Enum value Tier.SILVER was removed.",
            "A required field PartnerInput.country was added.",
        ]
    )


def test_a_type_goes_only_once_everything_that_used_it_was_deprecated(
    checker: ModuleType,
) -> None:
    old = build_schema(RELEASED)
    without_legacy = RELEASED.replace('  legacy: Legacy @deprecated(reason: "Gone in 0.3.")\n', "")
    without_legacy = without_legacy.replace("type Legacy { x: Int }\n", "")
    without_kept = RELEASED.replace("  kept: Kept\n", "").replace("type Kept { x: Int }\n", "")

    assert checker.unannounced(old, build_schema(without_legacy)) == []
    assert checker.unannounced(old, build_schema(without_kept)) == [
        "Kept was removed.",
        "Field Query.kept was removed.",
    ]


def test_the_newest_release_is_compared(checker: ModuleType, tmp_path: Path) -> None:
    for version in ("0.9.2", "0.10.0", "0.2.0"):
        (tmp_path / f"{version}.graphql").write_text("type Query { a: Int }")

    assert checker.newest_release(tmp_path).stem == "0.10.0"


def test_the_exported_schema_keeps_the_released_contract() -> None:
    checked = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )

    assert checked.returncode == 0, checked.stderr
    assert "breaking change" not in checked.stderr
