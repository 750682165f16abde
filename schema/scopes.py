"""What an API key may call: queries and subscriptions with READ, each mutation with the
scope it belongs to; anything else is FORBIDDEN before a field runs. Logins are bound by
their role alone."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension

from hub.api_keys import Scope
from schema.documents import operation_of, root_fields

MUTATION_SCOPES: dict[str, Scope] = {
    **dict.fromkeys(("updateOrderStatus", "updateOrderStatuses"), Scope.ORDERS),
    **dict.fromkeys(
        (
            "createProduct",
            "updateProduct",
            "setTierDiscount",
            "createProductLine",
            "updateProductLine",
            "upsertProducts",
        ),
        Scope.CATALOG,
    ),
    **dict.fromkeys(
        ("setStock", "setStockLevels", "addInboundReceipt", "createWarehouse"), Scope.STOCK
    ),
    **dict.fromkeys(
        (
            "createLead",
            "updateLeadStatus",
            "addLeadNote",
            "routeLead",
            "assignLead",
            "recycleLead",
            "upsertLeads",
            "importLeads",
        ),
        Scope.LEADS,
    ),
    **dict.fromkeys(
        ("markFundClaimPaid", "recordIncentivePayout", "setExchangeRate"), Scope.PAYMENTS
    ),
}


class ApiKeyScopes(SchemaExtension):
    """Refuse what a key's scopes do not cover, naming the field and the scope it needs."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        scopes = getattr(principal, "scopes", None)
        document = context.graphql_document
        if scopes is not None and document is not None and not context.pre_execution_errors:
            operation = operation_of(document, context.operation_name)
            if operation is not None:
                refused = _refused(operation, document, scopes)
                if refused is not None:
                    context.pre_execution_errors = [refused]
        yield


def _refused(
    operation: OperationDefinitionNode, document: DocumentNode, scopes: frozenset[str]
) -> GraphQLError | None:
    for name in root_fields(operation, document):
        if name.startswith("__"):
            continue
        if operation.operation is OperationType.MUTATION:
            needed = MUTATION_SCOPES.get(name)
            if needed is None:
                return _error(f"an API key may not call {name}", name)
        else:
            needed = Scope.READ
        if needed not in scopes:
            return _error(f"this API key lacks the {needed} scope that {name} needs", name)
    return None


def _error(message: str, field: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN", "field": field})
