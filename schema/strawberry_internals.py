"""The strawberry internals ChannelHub relies on, named in this one module.

Strawberry has no public way to reach these; each is pinned by tests/web/test_strawberry_
internals.py, which fails when a strawberry release moves or changes one:

- the graphql-core schema behind a strawberry Schema (`Schema._schema`), for document
  analysis with graphql-core's visitors;
- strawberry's graphql-core execution context, subclassed so that one execution reads over
  one database connection (schema.fanout.OneConnectionExecution);
- its document validation, called with ChannelHub's cached rule classes (schema.documents);
- the WebSocket origin normalisation its own views use, so the hub's check matches them;
- the values of a registered enum (`__strawberry_definition__.values`), to describe each value
  of a hub enum, which cannot use `strawberry.enum_value` (the hub knows no strawberry);
- strawberry's own Date and DateTime scalars, re-described with their formats (same parsing);
- the operation name a request gave (`ExecutionContext.operation_name` falls back to the
  document's first operation, which hides a missing name).
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLSchema
from strawberry.http.websocket_origin import normalize_allowed_origins, normalize_origin
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext as CoreExecutionContext
from strawberry.schema.schema import validate_document
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types import ExecutionContext
from strawberry.types.enum import EnumValue, StrawberryEnumDefinition

__all__ = [
    "CoreExecutionContext",
    "DateDefinition",
    "DateTimeDefinition",
    "core_schema",
    "enum_values",
    "normalize_allowed_origins",
    "normalize_origin",
    "provided_operation_name",
    "validate_document",
]


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a strawberry Schema executes."""
    core: GraphQLSchema = schema._schema
    return core


def enum_values(enum: type) -> list[EnumValue]:
    """The values of an enum registered with `strawberry.enum`, in definition order."""
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"{enum.__name__} is not a registered enum")
    return definition.values


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The operationName the request sent, None when it sent none."""
    name: str | None = context._provided_operation_name
    return name
