"""Parsing and validation of documents: shared caches, the caller's budget, client errors.

Whatever goes wrong while a document is parsed or validated is the client's doing: it is
reported as GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED (BAD_USER_INPUT where it names
a field), never as an internal error, on HTTP and WebSocket alike.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    get_named_type,
    parse,
    specified_rules,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from schema.cost import cost_refusal
from schema.limits import BudgetedOverlapRule, literal_problems, operation_limits, unstorable_text
from schema.strawberry_internals import core_schema, provided_operation_name, validate_document

logger = logging.getLogger("channelhub.documents")
CACHE_SIZE = 512
# Longer documents are parsed and validated each time: 512 of them, each up to the body
# limit, would keep hundreds of megabytes alive in the caches.
CACHED_LENGTH = 20_000
ABORTED = (
    "Validation aborted: the document repeats fields or fragments too often, or nests "
    "fragments too deeply; simplify it."
)
Rules = tuple[type[ASTValidationRule], ...]


@dataclass(frozen=True)
class Budget:
    """What a document may cost: the tokens it may have, the rules it must pass, and the
    cost (schema.cost) its operation may reach with pages of at most max_page."""

    max_tokens: int
    rules: Rules
    max_cost: int
    max_page: int


@dataclass(frozen=True)
class Budgets:
    member: Budget
    anonymous: Budget

    @classmethod
    def of(
        cls,
        *,
        max_depth: int,
        max_aliases: int,
        max_tokens: int,
        max_anonymous_tokens: int,
        max_directives: int,
        max_cost: int,
        max_page: int,
    ) -> Budgets:
        """Budgets for signed-in callers and a smaller one for anonymous requests."""

        def budget(tokens: int) -> Budget:
            limits = operation_limits(
                max_depth=max_depth,
                max_aliases=max_aliases,
                max_fields=tokens,
                max_directives=max_directives,
            )
            return Budget(tokens, (*_BASE_RULES, limits), max_cost, max_page)

        return cls(budget(max_tokens), budget(min(max_anonymous_tokens, max_tokens)))


_BASE_RULES: Rules = tuple(
    BudgetedOverlapRule if rule is OverlappingFieldsCanBeMergedRule else rule
    for rule in specified_rules
)


class Documents(SchemaExtension):
    """Parse and validate each document once, within the budget of who sends it."""

    def __init__(self, budgets: Budgets) -> None:
        self.budgets = budgets
        self.budget = budgets.anonymous

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        signed_in = getattr(context.context, "principal", None) is not None
        self.budget = self.budgets.member if signed_in else self.budgets.anonymous
        context.parse_options["max_tokens"] = self.budget.max_tokens
        context.validation_rules = self.budget.rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # On a syntax error the document stays unset: Strawberry parses again where it
        # reports the error (raised from here, it would fail a WebSocket operation).
        with contextlib.suppress(GraphQLError):
            context.graphql_document = parsed(context.query or "", self.budget.max_tokens)
            if hasattr(context.context, "operation_name"):  # for the request's log line
                context.context.operation_name = context.operation_name
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        errors = validated(core_schema(context.schema), context.graphql_document, self.budget.rules)
        if not errors:
            errors = _unnamed_choice(context.graphql_document, provided_operation_name(context))
        if not errors:
            errors = self._over_cost(context.graphql_document, provided_operation_name(context))
        if not errors:
            unstorable = unstorable_text(context.variables)
            errors = [unstorable] if unstorable is not None else []
        context.pre_execution_errors = errors
        yield

    def _over_cost(self, document: DocumentNode, operation_name: str | None) -> list[GraphQLError]:
        operation = operation_of(document, operation_name)
        if operation is None:
            return []
        refusal = cost_refusal(
            core_schema(self.execution_context.schema),
            document,
            operation,
            self.execution_context.variables,
            max_cost=self.budget.max_cost,
            max_page=self.budget.max_page,
        )
        return [refusal] if refusal is not None else []


def _unnamed_choice(document: DocumentNode, operation_name: str | None) -> list[GraphQLError]:
    """Refuse a document of several operations sent without the name of the one to run."""
    count = sum(isinstance(node, OperationDefinitionNode) for node in document.definitions)
    if operation_name is not None or count < 2:
        return []
    message = f"the document has {count} operations: send operationName to choose one"
    return [GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": "operationName"})]


def parsed(query: str, max_tokens: int) -> DocumentNode:
    """Parse a document within the token limit, once per distinct (short) text."""
    if len(query) > CACHED_LENGTH:
        return parse(query, max_tokens=max_tokens)
    return _parse(query, max_tokens)


@lru_cache(maxsize=CACHE_SIZE)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


def parses(query: str, max_tokens: int) -> bool:
    """Whether a document parses within the token limit."""
    try:
        parsed(query, max_tokens)
    except GraphQLError:
        return False
    return True


def validated(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
    """The document's validation errors, as client errors; a rule that raises counts too."""
    long = document.loc is not None and len(document.loc.source.body) > CACHED_LENGTH
    try:
        return list((_checked if long else _validate)(schema, document, rules))
    except Exception:
        logger.warning("a validation rule failed on a document", exc_info=True)
        return [GraphQLError("the document could not be validated; simplify it")]


def _checked(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules
) -> tuple[GraphQLError, ...]:
    # Literals first: a number too long for int() would make the rules fail on it.
    errors = literal_problems(document) or validate_document(schema, document, rules)
    return tuple(_clients(error) for error in errors)


_validate = lru_cache(maxsize=CACHE_SIZE)(_checked)


def _clients(error: GraphQLError) -> GraphQLError:
    """The same error without a Python exception behind it, so it is not masked."""
    if isinstance(error, ValidationAbortedError) and error.message == "Validation aborted.":
        return GraphQLError(ABORTED, error.nodes)
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return error
    return GraphQLError(error.message, error.nodes, extensions=error.extensions)


# Root fields anyone may use without logging in (besides __typename and introspection).
OPEN_FIELDS = frozenset(
    {
        "login",
        "applyAsPartner",
        "acceptInvite",
        "requestPasswordReset",
        "resetPassword",
        "refreshToken",
    }
)


def needs_login(query: str, operation_name: str | None, max_tokens: int) -> bool:
    """Whether an operation selects a root field that needs a caller (or cannot be told).

    A stale token sent with `login` must not block the login that replaces it.
    """
    try:
        document = parsed(query, max_tokens)
    except GraphQLError:
        return True
    operation = operation_of(document, operation_name)
    if operation is None:
        return True
    names = root_fields(operation, document)
    return any(name not in OPEN_FIELDS and not name.startswith("__") for name in names)


# Answers that carry a secret ChannelHub keeps only as a hash (or not at all): never stored
# for an Idempotency-Key replay.
SECRET_ANSWERS = frozenset(
    {"LoginPayload", "InvitationPayload", "ApiKeySecret", "WebhookEndpointSecret"}
)


@lru_cache(maxsize=4)
def secret_fields(schema: GraphQLSchema) -> frozenset[str]:
    """The root fields whose answer is one of SECRET_ANSWERS."""
    return frozenset(
        name
        for root in (schema.query_type, schema.mutation_type)
        if root is not None
        for name, field in root.fields.items()
        if get_named_type(field.type).name in SECRET_ANSWERS
    )


def selected_secret(
    query: str, operation_name: str | None, secrets: frozenset[str], max_tokens: int
) -> str | None:
    """The first root field of the operation that answers a secret, if it selects one."""
    try:
        document = parsed(query, max_tokens)
    except GraphQLError:
        return None
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    return next((name for name in root_fields(operation, document) if name in secrets), None)


def operation_of(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The one operation a request runs, or None when it cannot be told."""
    operations = [
        node
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
        and (
            operation_name is None or (node.name is not None and node.name.value == operation_name)
        )
    ]
    return operations[0] if len(operations) == 1 else None


def root_fields(operation: OperationDefinitionNode, document: DocumentNode) -> list[str]:
    """The names of the root fields an operation selects, through its fragments."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    return _root_fields(operation.selection_set, fragments, set())


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> list[str]:
    names: list[str] = []
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names.extend(_root_fields(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                seen.add(name)
                names.extend(_root_fields(fragments[name].selection_set, fragments, seen))
            elif name not in fragments:
                names.append(f"...{name}")  # an unknown fragment: validation will refuse it
    return names
