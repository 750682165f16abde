"""Validation rules that bound what a document may cost, in time linear in its size.

Strawberry's depth and alias limiters walk every fragment spread anew, so 22 fragments that
each spread the previous one twice cost 2^22 steps. Here each fragment is measured once and
a spread adds its fragment's figures: depth, aliases and fields are counted as if every
fragment were written out, without ever writing it out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    SKIP,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)

# Counts stop growing here: a fragment chain multiplies them beyond anything worth printing.
CAP = 1_000_000_000
MAX_NUMBER_LENGTH = 100
# graphql-core's default (500,000) lets one 2,000-token document of repeated fields keep
# the event loop busy for seconds; real documents spend next to nothing of it.
OVERLAP_BUDGET = 50_000
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Shape:
    """What a definition costs with its fragments written out; depth is its deepest level."""

    depth: int
    aliases: int
    fields: int
    directives: int


@dataclass(frozen=True)
class _Own:
    shape: Shape
    # Each spread with the level it sits at (None inside introspection, whose depth is free).
    spreads: tuple[tuple[str, int | None], ...]


def operation_limits(
    *, max_depth: int, max_aliases: int, max_fields: int, max_directives: int
) -> type[ValidationRule]:
    """A rule refusing operations too deep, with too many aliases, fields or directives."""

    class OperationLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            operations, shapes = document_shapes(node)
            aliases, directives = 0, 0
            for operation in operations:
                shape = shapes[id(operation)]
                name = operation.name.value if operation.name else "anonymous"
                if shape.depth > max_depth:
                    self.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}", operation
                        )
                    )
                if shape.fields > max_fields:
                    self.report_error(
                        GraphQLError(
                            f"'{name}' selects {count_text(shape.fields)} fields once its "
                            f"fragments are written out. Allowed: {max_fields}",
                            operation,
                        )
                    )
                aliases = min(aliases + shape.aliases, CAP)
                directives = min(directives + shape.directives, CAP)
            if aliases > max_aliases:
                self.report_error(
                    GraphQLError(f"{count_text(aliases)} aliases found. Allowed: {max_aliases}")
                )
            if directives > max_directives:
                self.report_error(
                    GraphQLError(
                        f"{count_text(directives)} directives found. Allowed: {max_directives}"
                    )
                )

    return OperationLimits


def document_shapes(
    document: DocumentNode,
) -> tuple[list[OperationDefinitionNode], dict[int, Shape]]:
    """The operations, and the shape of every definition by id, each fragment measured once."""
    own = {
        id(definition): _own_shape(definition.selection_set, len(definition.directives or ()))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    }
    fragments = {
        definition.name.value: id(definition)
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    shapes: dict[int, Shape] = {}
    for key in own:
        if key not in shapes:
            _measure(key, own, fragments, shapes)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations, shapes


def _own_shape(selection_set: SelectionSetNode, directives: int) -> _Own:
    """Depth, aliases, fields and directives of one definition alone, and where it spreads
    fragments."""
    depth, aliases, fields = 0, 0, 0
    spreads: list[tuple[str, int | None]] = []
    stack: list[tuple[SelectionSetNode, int | None]] = [(selection_set, 0)]
    while stack:
        current, level = stack.pop()
        if level is not None:
            depth = max(depth, level)
        for selection in current.selections:
            directives += len(selection.directives or ())
            if isinstance(selection, FragmentSpreadNode):
                spreads.append((selection.name.value, level))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level))
            elif isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                if selection.selection_set is not None:
                    # Strawberry's limiter let introspection nest freely: so do we.
                    introspection = selection.name.value.startswith("__")
                    below = None if level is None or introspection else level + 1
                    stack.append((selection.selection_set, below))
    return _Own(Shape(depth, aliases, fields, directives), tuple(spreads))


def _measure(
    root: int, own: dict[int, _Own], fragments: dict[str, int], shapes: dict[int, Shape]
) -> None:
    """Shape a definition after the fragments it spreads, without recursion.

    A spread of an unknown fragment, or one closing a cycle, adds nothing: other rules
    report those.
    """
    path: list[tuple[int, Iterator[tuple[str, int | None]]]] = [(root, iter(own[root].spreads))]
    on_path = {root}
    while path:
        key, pending = path[-1]
        for name, _level in pending:
            spread = fragments.get(name)
            if spread is not None and spread not in shapes and spread not in on_path:
                path.append((spread, iter(own[spread].spreads)))
                on_path.add(spread)
                break
        else:
            path.pop()
            on_path.discard(key)
            shapes[key] = _combine(own[key], fragments, shapes)


def _combine(own: _Own, fragments: dict[str, int], shapes: dict[int, Shape]) -> Shape:
    depth, aliases, fields = own.shape.depth, own.shape.aliases, own.shape.fields
    directives = own.shape.directives
    for name, level in own.spreads:
        spread = shapes.get(fragments.get(name, -1))
        if spread is None:
            continue
        if level is not None:
            depth = max(depth, level + spread.depth)
        aliases = min(aliases + spread.aliases, CAP)
        fields = min(fields + spread.fields, CAP)
        directives = min(directives + spread.directives, CAP)
    return Shape(depth, aliases, fields, directives)


def count_text(value: int) -> str:
    """A count as printed in an error: exact below CAP."""
    return f"{value}" if value < CAP else f"more than {CAP:,}"


class BudgetedOverlapRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule with a smaller work budget; over it, validation is aborted."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET


def literal_problems(document: DocumentNode) -> list[GraphQLError]:
    """Number literals too large to read and strings with NUL, named by argument path."""
    finder = _LiteralFinder()
    visit(document, finder)
    return finder.problems


class _LiteralFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[GraphQLError] = []

    def enter_argument(self, node: Any, *_args: Any) -> Any:
        self._check(node.name.value, node.value)
        return SKIP

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> Any:
        if node.default_value is not None:
            self._check(node.variable.name.value, node.default_value)
        return SKIP

    def _check(self, field: str, value: ValueNode) -> None:
        stack: list[tuple[str, Node]] = [(field, value)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, ObjectValueNode):
                stack.extend((f"{path}.{item.name.value}", item.value) for item in node.fields)
            elif isinstance(node, ListValueNode):
                stack.extend((f"{path}[{index}]", item) for index, item in enumerate(node.values))
            elif isinstance(node, StringValueNode) and "\x00" in node.value:
                # The lexer refuses unpaired surrogates in strings already.
                self._problem(f"{path} must not contain NUL characters", node, path)
            elif isinstance(node, IntValueNode | FloatValueNode):
                self._check_number(path, node)

    def _check_number(self, path: str, node: IntValueNode | FloatValueNode) -> None:
        if len(node.value) > MAX_NUMBER_LENGTH:
            self._problem(
                f"the number given for {path} is too long ({len(node.value)} characters, "
                f"at most {MAX_NUMBER_LENGTH})",
                node,
                path,
            )
        elif not math.isfinite(float(node.value)):
            self._problem(f"the number given for {path} is out of range", node, path)

    def _problem(self, message: str, node: Node, field: str) -> None:
        self.problems.append(GraphQLError(message, node, extensions={"field": field}))


def unstorable_text(variables: dict[str, Any] | None) -> GraphQLError | None:
    """The first string or key in the variables a database cannot store, as an error naming
    its path: NUL characters (PostgreSQL) and unpaired surrogates (no UTF-8 for them)."""
    stack: list[tuple[str, Any]] = [("variables", variables or {})]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem is not None:
                return GraphQLError(f"{path} {problem}", extensions={"field": path})
        elif isinstance(value, dict):
            for key, item in value.items():
                if _text_problem(key) is not None:
                    return GraphQLError(f"{path} has an unusable key", extensions={"field": path})
                stack.append((key if path == "variables" else f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


def _text_problem(text: str) -> str | None:
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain NUL characters"
    return "must be valid Unicode text (it has an unpaired surrogate)"
