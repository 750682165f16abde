"""Fail on a breaking change to the GraphQL schema that had no deprecation period.

The exported SDL (`schema/schema.graphql`, kept current by `channelhub export-schema --check`)
is compared with the newest released one (`schema/releases/<version>.graphql`) by graphql-core's
find_breaking_changes. A field, argument, enum value or input field may go only when that
release marked it @deprecated, and a type only when everything that used it was deprecated
there. Every other breaking change is listed on stderr, one a line, and the exit status is 1;
dangerous changes (an enum value or optional argument added, a default changed) are printed as
notes only.

    python scripts/check_schema_changes.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_named_type,
)

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "schema" / "schema.graphql"
RELEASES = ROOT / "schema" / "releases"
REMOVED = re.compile(r"(?:Field|Argument|Enum value) (\S+) was removed\.")
TYPE_REMOVED = re.compile(r"(\w+) was removed\.")


def unannounced(old: GraphQLSchema, new: GraphQLSchema) -> list[str]:
    """The breaking changes from `old` to `new` that `old` did not announce by deprecation."""
    deprecated = deprecated_coordinates(old)
    changes = []
    for change in find_breaking_changes(old, new):
        removed = REMOVED.fullmatch(change.description)
        if removed is not None and removed.group(1) in deprecated:
            continue
        gone = TYPE_REMOVED.fullmatch(change.description)
        if gone is not None and (uses := users(old, gone.group(1))) and uses <= deprecated:
            continue
        changes.append(change.description)
    return changes


def deprecated_coordinates(schema: GraphQLSchema) -> set[str]:
    """`Type.field`, `Type.field(argument:)`, `Enum.VALUE` and `Input.field` marked deprecated."""
    found: set[str] = set()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in named.fields.items():
                if field.deprecation_reason is not None:
                    found.add(f"{named.name}.{name}")
                found |= {
                    f"{named.name}.{name}({arg_name}:)"
                    for arg_name, argument in field.args.items()
                    if argument.deprecation_reason is not None
                }
        elif isinstance(named, GraphQLInputObjectType):
            found |= {
                f"{named.name}.{name}"
                for name, input_field in named.fields.items()
                if input_field.deprecation_reason is not None
            }
        elif isinstance(named, GraphQLEnumType):
            found |= {
                f"{named.name}.{name}"
                for name, value in named.values.items()
                if value.deprecation_reason is not None
            }
    return found


def users(schema: GraphQLSchema, type_name: str) -> set[str]:
    """The coordinates of the fields, arguments and input fields typed by `type_name`."""
    found: set[str] = set()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in named.fields.items():
                if get_named_type(field.type).name == type_name:
                    found.add(f"{named.name}.{name}")
                found |= {
                    f"{named.name}.{name}({arg_name}:)"
                    for arg_name, argument in field.args.items()
                    if get_named_type(argument.type).name == type_name
                }
        elif isinstance(named, GraphQLInputObjectType):
            found |= {
                f"{named.name}.{name}"
                for name, input_field in named.fields.items()
                if get_named_type(input_field.type).name == type_name
            }
    return found


def newest_release(folder: Path = RELEASES) -> Path:
    """The SDL of the highest released version (`0.10.0` after `0.9.2`)."""
    releases = sorted(folder.glob("*.graphql"), key=lambda path: _version(path.stem))
    if not releases:
        raise SystemExit(f"no released schema in {folder}: add one with `make schema-release`")
    return releases[-1]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in text.split("."))


def report(old: GraphQLSchema, new: GraphQLSchema, released: str) -> int:
    """List the unannounced breaking changes on stderr (1 when any), dangerous ones as notes."""
    for change in find_dangerous_changes(old, new):
        print(f"note (since {released}): {change.description}", file=sys.stderr)
    breaking = unannounced(old, new)
    for description in breaking:
        print(f"breaking change since {released}: {description}", file=sys.stderr)
    if breaking:
        print(
            f"{len(breaking)} breaking changes since {released} had no deprecation period: "
            "keep the old field, argument or value with @deprecated(reason: ...) for a release "
            "first (README: Schema evolution)",
            file=sys.stderr,
        )
    return 1 if breaking else 0


def main() -> int:
    release = newest_release()
    old, new = build_schema(release.read_text()), build_schema(CURRENT.read_text())
    return report(old, new, release.stem)


if __name__ == "__main__":
    sys.exit(main())
