"""Error contract: every error carries extensions.code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
from typing import Any

from graphql.error import GraphQLError

from hub.errors import HubError, RateLimited

logger = logging.getLogger("channelhub.errors")
INTERNAL_MESSAGE = "Internal server error; quote the request id when reporting it."
SHAPED = "channelhub_shaped"


def shape(error: GraphQLError, request_id: str) -> None:
    """Give an error its code (and field) in place; mask and log anything unexpected."""
    if already_shaped(error):
        return
    original = _root_cause(error)
    if isinstance(original, HubError):
        extensions: dict[str, Any] = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        if isinstance(original, RateLimited):
            extensions["retryAfter"] = original.retry_after
        error.message = original.message
    elif original is None:
        extensions = {
            **(error.extensions or {}),
            "code": (error.extensions or {}).get("code") or "BAD_USER_INPUT",
        }
    else:
        logger.error(
            "unexpected error in request %s at %s",
            request_id,
            ".".join(str(step) for step in error.path or ()),
            exc_info=original,
        )
        error.message = INTERNAL_MESSAGE
        extensions = {"code": "INTERNAL", "requestId": request_id}
    error.extensions = extensions
    error.__dict__[SHAPED] = True


def already_shaped(error: GraphQLError) -> bool:
    return bool(error.__dict__.get(SHAPED))


def _root_cause(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, GraphQLError):
        return None
    return original
