"""Who may introspect the schema: anyone in development, vendor staff in production.

The published contract (schema/schema.graphql) is the same for everyone; closing
introspection to anonymous and partner callers in production keeps scanners from mapping
every field, while the vendor's developers and tools can still introspect once logged in.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, FieldNode, GraphQLError, Visitor, visit
from strawberry.extensions import SchemaExtension

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
REFUSED = (
    "introspection is off in production; log in as vendor staff to introspect, or use the "
    "published schema.graphql"
)


class IntrospectionPolicy(SchemaExtension):
    """Refuse __schema and __type to callers other than vendor staff (when not open)."""

    def __init__(self, *, open_to_all: bool) -> None:
        self.open_to_all = open_to_all

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        allowed = self.open_to_all or (principal is not None and principal.is_vendor_staff)
        document = context.graphql_document
        refused = not allowed and not context.pre_execution_errors
        if refused and document is not None and introspects(document):
            context.pre_execution_errors = [GraphQLError(REFUSED, extensions={"code": "FORBIDDEN"})]
        yield


def introspects(document: DocumentNode) -> bool:
    """Whether a document selects __schema or __type anywhere (fragments included)."""
    found = _Finder()
    visit(document, found)
    return found.seen


class _Finder(Visitor):
    seen = False

    def enter_field(self, node: FieldNode, *_args: object) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.seen = True
