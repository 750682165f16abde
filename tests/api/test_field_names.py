"""Every error of an operation called with unknown ids names one of that operation's arguments."""

from __future__ import annotations

import re
import secrets
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)

from hub.roles import Role
from hub.settings import load_settings
from resolvers.root import build_schema
from tests.factories import Actor, Factory
from tests.wsclient import graphql_socket

SIMPLE = {"String": "probe", "Int": 3, "Float": 1.0, "Boolean": True}


def schema() -> GraphQLSchema:
    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )
    return build_schema(settings)._schema


def probe_value(argument: GraphQLArgument) -> tuple[bool, Any]:
    """A value for an argument: an unknown id, a plain scalar, an enum's first value."""
    kind = argument.type.of_type if isinstance(argument.type, GraphQLNonNull) else argument.type
    if isinstance(kind, GraphQLScalarType) and kind.name == "ID":
        return True, secrets.token_hex(16)
    if isinstance(kind, GraphQLScalarType) and kind.name in SIMPLE:
        return True, SIMPLE[kind.name]
    if isinstance(kind, GraphQLEnumType):
        return True, next(iter(kind.values))
    return False, None


def probes(
    operation: str, fields: dict[str, GraphQLField]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """A document per field taking an ID whose required arguments can all be made up."""
    found = {}
    for name, field in fields.items():
        ids = [arg for arg, spec in field.args.items() if "ID" in str(spec.type)]
        values = {arg: probe_value(spec) for arg, spec in field.args.items()}
        required = [
            arg for arg, spec in field.args.items() if isinstance(spec.type, GraphQLNonNull)
        ]
        if not ids or any(not values[arg][0] for arg in required):
            continue
        given = {arg: value for arg, (ok, value) in values.items() if ok}
        declared = ", ".join(f"${arg}: {field.args[arg].type}" for arg in given)
        passed = ", ".join(f"{arg}: ${arg}" for arg in given)
        selection = "" if _is_leaf(field) else " { __typename }"
        document = f"{operation}({declared}) {{ {name}({passed}){selection} }}"
        found[name] = (document, given)
    return found


def _is_leaf(field: GraphQLField) -> bool:
    kind: Any = field.type
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return isinstance(kind, GraphQLScalarType | GraphQLEnumType)


def misnamed(name: str, given: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """Fields named by errors that are no argument of the operation."""
    named = [error["extensions"].get("field") for error in body.get("errors", [])]
    return [field for field in named if field and re.split(r"[.\[]", field)[0] not in given]


async def people(factory: Factory) -> list[Actor]:
    partner = await factory.partner("Probe Co")
    return [await factory.vendor_admin(), await factory.user(partner.id, Role.PARTNER_ADMIN)]


async def test_queries_and_mutations_name_their_own_arguments(factory: Factory) -> None:
    graph = schema()
    assert graph.query_type is not None and graph.mutation_type is not None
    documents = {
        **probes("query", graph.query_type.fields),
        **probes("mutation", graph.mutation_type.fields),
    }
    wrong = {}
    for actor in await people(factory):
        for name, (document, given) in documents.items():
            body = await factory.gql(document, given, actor=actor)
            if misnamed(name, given, body):
                wrong[(name, actor.user.role)] = misnamed(name, given, body)

    assert len(documents) >= 30
    assert wrong == {}


async def test_subscriptions_name_their_own_arguments(factory: Factory, ws_url: str) -> None:
    graph = schema()
    assert graph.subscription_type is not None
    documents = probes("subscription", graph.subscription_type.fields)
    wrong = {}
    for actor in await people(factory):
        async with graphql_socket(ws_url, actor.token) as socket:
            for name, (document, given) in documents.items():
                await socket.subscribe(document, given, id=name)
                body = await socket.result(name)
                if misnamed(name, given, body):
                    wrong[(name, actor.user.role)] = misnamed(name, given, body)

    assert set(documents) == {"orderEvents", "messageEvents"}
    assert wrong == {}
