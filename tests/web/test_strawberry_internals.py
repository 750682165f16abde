"""The strawberry internals of schema.strawberry_internals still are what ChannelHub uses:
this fails when a strawberry release moves or changes one."""

from __future__ import annotations

import enum
import inspect

import strawberry
from graphql import GraphQLSchema, parse
from graphql.validation import specified_rules
from strawberry.extensions import SchemaExtension

from hub.settings import load_settings
from resolvers.root import build_schema
from schema import strawberry_internals as internals
from schema.fanout import OneConnectionExecution


def test_the_core_schema_is_the_one_strawberry_executes() -> None:
    schema = build_schema(load_settings({}))

    core = internals.core_schema(schema)

    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None and core.query_type.name == "Query"
    assert schema.execution_context_class is OneConnectionExecution


@strawberry.type
class Plain:
    answer: int = 42


def test_the_execution_context_is_strawberrys_default_with_the_overridden_method() -> None:
    context = internals.CoreExecutionContext

    assert strawberry.Schema(query=Plain).execution_context_class is context
    assert issubclass(OneConnectionExecution, context)
    assert list(inspect.signature(context.execute_operation).parameters) == ["self", "serially"]


def test_validation_takes_a_core_schema_a_document_and_rule_classes() -> None:
    core = internals.core_schema(build_schema(load_settings({})))

    valid = internals.validate_document(core, parse("{ __typename }"), tuple(specified_rules))
    invalid = internals.validate_document(core, parse("{ qqqqqqqqqqqq }"), tuple(specified_rules))

    assert valid == []
    assert [error.message for error in invalid] == [
        "Cannot query field 'qqqqqqqqqqqq' on type 'Query'."
    ]


def test_origins_are_normalised_as_strawberrys_websocket_views_do() -> None:
    allowed = internals.normalize_allowed_origins(["https://Portal.Example.com:443"])

    assert internals.normalize_origin("https://portal.example.com") in allowed
    assert internals.normalize_origin("https://evil.example.com") not in allowed


class Colour(enum.Enum):
    RED = "red"


def test_a_registered_enums_values_are_the_ones_its_graphql_enum_is_built_from() -> None:
    strawberry.enum(Colour)

    values = internals.enum_values(Colour)
    values[0].description = "The colour of stop."

    @strawberry.type
    class Query:
        colour: Colour = Colour.RED

    core = internals.core_schema(strawberry.Schema(query=Query))
    assert [value.name for value in values] == ["RED"]
    assert core.type_map["Colour"].values["RED"].description == "The colour of stop."  # type: ignore[attr-defined]


def test_the_provided_operation_name_is_what_the_request_sent() -> None:
    seen: list[str | None] = []

    class Spy(SchemaExtension):
        def on_validate(self):  # type: ignore[no-untyped-def]
            seen.append(internals.provided_operation_name(self.execution_context))
            yield

    schema = strawberry.Schema(query=Plain, extensions=[Spy])
    document = "query A { answer } query B { answer }"

    assert schema.execute_sync(document, root_value=Plain(), operation_name="B").data == {
        "answer": 42
    }
    schema.execute_sync("{ answer }", root_value=Plain())

    assert seen == ["B", None]  # None: not the name strawberry picked (the only operation)
