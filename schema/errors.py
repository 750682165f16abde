"""Error contract: every error carries extensions.code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from graphql.error import GraphQLError, GraphQLSyntaxError

from hub.db import as_unavailable
from hub.errors import HubError, RateLimited, Unavailable

logger = logging.getLogger("channelhub.errors")
INTERNAL_MESSAGE = "Internal server error; quote the request id when reporting it."
SHAPED = "channelhub_shaped"
COERCION_PATH = re.compile(r" has invalid value at ((?:\.\w+|\[\d+\])+)")
COERCION_VARIABLE = re.compile(r"Variable '\$(\w+)'")


def shape(error: GraphQLError, request_id: str) -> None:
    """Give an error its code (and field) in place; mask and log anything unexpected."""
    if already_shaped(error):
        return
    original = _root_cause(error)
    unavailable = as_unavailable(original) if original is not None else None
    if unavailable is not None and unavailable is not original:
        logger.warning("database unavailable in request %s: %s", request_id, original)
        original = unavailable
    if isinstance(original, HubError):
        formatted = hub_error(original)
        extensions: dict[str, Any] = formatted["extensions"]
        error.message = formatted["message"]
    elif original is None:
        extensions = dict(error.extensions or {})
        field = _coerced_field(error.message)
        if field and "field" not in extensions:
            extensions["field"] = field
        extensions["code"] = extensions.get("code") or _client_code(error, extensions)
    else:
        logger.error(
            "unexpected error in request %s at %s",
            request_id,
            ".".join(str(step) for step in error.path or ()),
            exc_info=original,
        )
        masked = internal_error(request_id)
        error.message = masked["message"]
        extensions = masked["extensions"]
    error.extensions = extensions
    error.__dict__[SHAPED] = True


def _client_code(error: GraphQLError, extensions: dict[str, Any]) -> str:
    """Apollo's names: a document that does not parse, one that does not validate (an error
    at no path that names no field), or a value (at its field) the schema does not take."""
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.path is None and "field" not in extensions:
        return "GRAPHQL_VALIDATION_FAILED"
    return "BAD_USER_INPUT"


def new_request_id() -> str:
    """A short id that ties a masked error to its logged trace."""
    return uuid.uuid4().hex[:16]


def internal_error(request_id: str) -> dict[str, Any]:
    """The one shape of an unexpected error, over HTTP, WebSocket and shared streams alike."""
    return {
        "message": INTERNAL_MESSAGE,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }


def hub_error(error: HubError) -> dict[str, Any]:
    """A hub error as a GraphQL error object: its message, code, field and retry hint."""
    extensions: dict[str, Any] = {"code": error.code}
    if error.field:
        extensions["field"] = error.field
    if isinstance(error, RateLimited | Unavailable):
        extensions["retryAfter"] = error.retry_after
    return {"message": error.message, "extensions": extensions}


def as_error(error: BaseException, *, request_id: str, what: str) -> dict[str, Any]:
    """Any failure outside a resolver (a stream, an admission, a transport) as the one
    GraphQL error shape: a hub error as itself, a database outage as UNAVAILABLE, anything
    else masked as INTERNAL_SERVER_ERROR and logged under the request id, saying `what` failed."""
    if isinstance(error, HubError):
        return hub_error(error)
    unavailable = as_unavailable(error)
    if unavailable is not None:
        logger.warning("%s: the database is unavailable (%s)", what, error)
        return hub_error(unavailable)
    logger.error("%s (request %s)", what, request_id, exc_info=error)
    return internal_error(request_id)


def already_shaped(error: GraphQLError) -> bool:
    return bool(error.__dict__.get(SHAPED))


def _coerced_field(message: str) -> str | None:
    """The input path a variable coercion error names, like input.autoApproveTiers[0]."""
    named = COERCION_VARIABLE.match(message)
    if named is None:
        return None
    located = COERCION_PATH.match(message, named.end())
    return named.group(1) + (located.group(1) if located else "")


def _root_cause(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, GraphQLError):
        return None
    return original
