"""What an operation costs: graphql-armor's field costs, weighted by the pages above them.

A leaf costs 1 and a field with a selection 2 (armor's scalarCost and objectCost), times the
number of items the lists above it may return: a list's page is its `first` (or `limit`)
argument, literal or variable, else that argument's default (DEFAULT_PAGE for `first`),
capped at the largest page; a connection's page applies to the lists right inside it
(`edges`), and a plain list without one counts as LIST_SIZE items. Introspection and
`__typename` are free. Armor's depth factor is left out: the pages weigh nesting already.

Page sizes may come from variables, so the cost is priced per request rather than cached
with the document; each fragment is priced once per page it sits in, so the work stays
linear in the document's size, and a spread closing a cycle adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)

from hub.pagination import DEFAULT_PAGE
from schema.limits import CAP, count_text

SCALAR_COST = 1
OBJECT_COST = 2
# The items a list without a page argument is counted with (an asset's versions, a course's
# modules): such lists hold what one record owns, a handful.
LIST_SIZE = 5
PAGE_ARGUMENTS = ("first", "limit")
# A fragment priced at a page: its name and the page of the connection it sits in, if any.
Key = tuple[str, int | None]


@dataclass(frozen=True)
class _Own:
    cost: int
    # Each spread: the fragment and page it is priced at, and how many times it counts.
    spreads: tuple[tuple[Key, int], ...]


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    *,
    max_page: int,
) -> int:
    """The cost of running an operation with these variables, at most CAP."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    values.update(variables or {})
    pricing = _Pricing(schema, fragments, values, max_page)
    return pricing.total(pricing.own(operation.selection_set, root, None))


class _Pricing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        max_page: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page = max_page
        self.owns: dict[Key, _Own] = {}
        self.totals: dict[Key, int] = {}

    def total(self, own: _Own) -> int:
        """An own cost plus its spreads', each fragment priced once per page."""
        for key, _times in own.spreads:
            if key not in self.totals:
                self._price(key)
        return self._combine(own)

    def own(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, page: int | None
    ) -> _Own:
        """The cost of one definition alone, and the fragments it spreads."""
        cost = 0
        spreads: list[tuple[Key, int]] = []
        stack: list[tuple[SelectionSetNode, GraphQLNamedType | None, int, int | None]] = [
            (selection_set, parent, 1, page)
        ]
        while stack:
            current, parent, times, page = stack.pop()
            for selection in current.selections:
                if isinstance(selection, FragmentSpreadNode):
                    spreads.append(((selection.name.value, page), times))
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner = parent if condition is None else self._type(condition.name.value)
                    stack.append((selection.selection_set, inner, times, page))
                elif isinstance(selection, FieldNode):
                    field = _field(parent, selection.name.value)
                    if field is None:
                        continue
                    if selection.selection_set is None:
                        cost = min(cost + SCALAR_COST * times, CAP)
                        continue
                    cost = min(cost + OBJECT_COST * times, CAP)
                    stack.append(self._below(selection, field, times, page))
        return _Own(cost, tuple(spreads))

    def _below(
        self, node: FieldNode, field: GraphQLField, times: int, page: int | None
    ) -> tuple[SelectionSetNode, GraphQLNamedType, int, int | None]:
        """The selection of a field, with how many times it counts and the page it opens."""
        assert node.selection_set is not None
        own_page = self._page(node, field)
        if is_list_type(get_nullable_type(field.type)):
            items = own_page or page or LIST_SIZE
            times, own_page = min(times * items, CAP), None
        return node.selection_set, get_named_type(field.type), times, own_page

    def _page(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The page a field asks for, between 1 and the largest page; None without one."""
        name = next((name for name in PAGE_ARGUMENTS if name in field.args), None)
        if name is None:
            return None
        value: Any = field.args[name].default_value
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = self._value(argument.value)
        size: int = value if type(value) is int else DEFAULT_PAGE
        return max(1, min(size, self.max_page))

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        return int(node.value) if isinstance(node, IntValueNode) else None

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def _price(self, root: Key) -> None:
        """Price a fragment after the fragments it spreads, without recursion."""
        path: list[tuple[Key, Iterator[tuple[Key, int]]]] = [(root, iter(self._own(root).spreads))]
        on_path = {root}
        while path:
            key, pending = path[-1]
            for spread, _times in pending:
                if spread not in self.totals and spread not in on_path:
                    path.append((spread, iter(self._own(spread).spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(key)
                self.totals[key] = self._combine(self._own(key))

    def _own(self, key: Key) -> _Own:
        if key not in self.owns:
            fragment = self.fragments.get(key[0])
            if fragment is None:
                self.owns[key] = _Own(0, ())
            else:
                parent = self._type(fragment.type_condition.name.value)
                self.owns[key] = self.own(fragment.selection_set, parent, key[1])
        return self.owns[key]

    def _combine(self, own: _Own) -> int:
        cost = own.cost
        for key, times in own.spreads:
            cost = min(cost + times * self.totals.get(key, 0), CAP)
        return cost


def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    """The schema field a selection names; None for introspection and unknown fields."""
    if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    field: GraphQLField | None = parent.fields.get(name)
    return field


def cost_refusal(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: object,
    *,
    max_cost: int,
    max_page: int,
) -> GraphQLError | None:
    """The error refusing an operation that costs more than max_cost, with its cost."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    given = variables if isinstance(variables, Mapping) else None
    cost = operation_cost(schema, operation, fragments, given, max_page=max_page)
    if cost <= max_cost:
        return None
    name = operation.name.value if operation.name else "anonymous"
    return GraphQLError(
        f"'{name}' costs {count_text(cost)} once each field counts for every item of the pages "
        f"above it. Allowed: {max_cost}",
        operation,
        extensions={"code": "GRAPHQL_VALIDATION_FAILED", "cost": cost, "maxCost": max_cost},
    )
