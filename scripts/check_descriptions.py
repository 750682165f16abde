"""Fail when any part of the GraphQL schema has no one-line description.

Every type, field, argument, enum value, input field and custom scalar of the schema
`channelhub export-schema` writes must say, in one line, what it is; introspection types and
the built-in scalars are left out. Each undescribed one (or one described over several lines)
is listed by its schema coordinate (`Query.partners(first:)`), one a line on stderr, and the
exit status is 1.

    python scripts/check_descriptions.py
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    introspection_types,
    specified_scalar_types,
)

BUILT_IN = {*introspection_types, *specified_scalar_types}


def undescribed(schema: GraphQLSchema) -> list[str]:
    """The coordinates of every part of `schema` without a one-line description, in schema
    order."""
    return [
        coordinate
        for name, named in schema.type_map.items()
        if name not in BUILT_IN
        for coordinate, description in _parts(named)
        if not (description or "").strip() or "\n" in (description or "")
    ]


def _parts(named: GraphQLNamedType) -> Iterator[tuple[str, str | None]]:
    """The type (a custom scalar, a union) and each of its fields, arguments and values."""
    yield named.name, named.description
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in named.fields.items():
            yield from _field(f"{named.name}.{field_name}", field)
    elif isinstance(named, GraphQLInputObjectType):
        for field_name, input_field in named.fields.items():
            yield f"{named.name}.{field_name}", input_field.description
    elif isinstance(named, GraphQLEnumType):
        for value_name, value in named.values.items():
            yield f"{named.name}.{value_name}", value.description


def _field(coordinate: str, field: GraphQLField) -> Iterator[tuple[str, str | None]]:
    yield coordinate, field.description
    for argument_name, argument in field.args.items():
        yield f"{coordinate}({argument_name}:)", argument.description


def report(schema: GraphQLSchema) -> int:
    """List the undescribed parts of `schema` on stderr; 1 when there are any, else 0."""
    missing = undescribed(schema)
    for coordinate in missing:
        print(f"no one-line description: {coordinate}", file=sys.stderr)
    if missing:
        print(f"{len(missing)} parts of the schema have no one-line description", file=sys.stderr)
    return 1 if missing else 0


def main() -> int:
    # Imported here: the checker itself (undescribed, report) needs graphql-core alone.
    from hub.settings import load_settings
    from resolvers.root import build_schema
    from schema.strawberry_internals import core_schema

    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )
    return report(core_schema(build_schema(settings)))


if __name__ == "__main__":
    sys.exit(main())
