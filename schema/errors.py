"""Error contract: every error carries extensions.code; unexpected ones are masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from hub.errors import HubError, RateLimited

logger = logging.getLogger("channelhub.errors")
INTERNAL_MESSAGE = "Internal server error; quote the request id when reporting it."


def shape(error: GraphQLError, request_id: str) -> GraphQLError:
    """Give an error its code (and field); mask and log anything unexpected."""
    original = error.original_error
    if isinstance(original, HubError):
        extensions: dict[str, Any] = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        if isinstance(original, RateLimited):
            extensions["retryAfter"] = original.retry_after
        return _copy(error, original.message, extensions)
    if original is None:
        code = (error.extensions or {}).get("code") or "BAD_USER_INPUT"
        return _copy(error, error.message, {**(error.extensions or {}), "code": code})
    if isinstance(original, GraphQLError):
        return shape(original, request_id)
    logger.error(
        "unexpected error in request %s at %s",
        request_id,
        ".".join(str(step) for step in error.path or ()),
        exc_info=original,
    )
    return _copy(error, INTERNAL_MESSAGE, {"code": "INTERNAL", "requestId": request_id})


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorContract(SchemaExtension):
    """Rewrite the errors of every result to follow the error contract."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            request_id = str(getattr(self.execution_context.context, "request_id", "-"))
            result.errors = [shape(error, request_id) for error in result.errors]
