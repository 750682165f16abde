"""Request ids and one log line per HTTP request: who asked for which operation, how it went."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.errors import new_request_id

logger = logging.getLogger("channelhub.requests")
SCOPE_KEY = "channelhub.request"
# An id a proxy or client chose is kept (so one id follows a request through every system)
# when it is short and plain enough to log and echo safely.
USABLE_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
# A GraphQL answer with errors lists them first (web.graphql_http).
ERRORS_FIRST = b'{"errors"'


@dataclass
class RequestRecord:
    """What the log line of one request tells, filled in as the request is served."""

    id: str
    operation: str | None = None
    user_id: str | None = None
    organization_id: str | None = None
    # Whether a GraphQL answer carries errors.
    errors: bool = False


# Told of every answered request: its scope, record, status and seconds taken (web.metrics).
Observer = Callable[[Scope, "RequestRecord", int, float], None]


class RequestLog:
    """Give each HTTP request an id (echoed as x-request-id) and log it once it is answered."""

    def __init__(self, app: ASGIApp, *, enabled: bool, observe: Observer | None = None) -> None:
        self.app = app
        self.enabled = enabled
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_incoming_id(scope) or new_request_id())
        scope[SCOPE_KEY] = record
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering
        body_started = scope.get("path") != "/graphql"  # only GraphQL answers are looked into

        async def answer(message: Message) -> None:
            nonlocal status, body_started
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers.append("x-request-id", record.id)
            elif message["type"] == "http.response.body" and not body_started:
                body_started = True
                record.errors = message.get("body", b"").startswith(ERRORS_FIRST)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            seconds = time.perf_counter() - started
            if self.enabled:
                _log(scope, record, status, seconds)
            if self.observe is not None:
                self.observe(scope, record, status, seconds)


def record_of(scope: Scope) -> RequestRecord:
    """The record of the request being served (a fresh one outside RequestLog)."""
    record = scope.get(SCOPE_KEY)
    if not isinstance(record, RequestRecord):
        record = scope[SCOPE_KEY] = RequestRecord(new_request_id())
    return record


def websocket_record(scope: Scope) -> RequestRecord:
    """The record of a WebSocket connection: its id is the client's X-Request-ID when usable."""
    return RequestRecord(_incoming_id(scope) or new_request_id())


def log_websocket(scope: Scope, record: RequestRecord, close_code: int, seconds: float) -> None:
    """One line for a WebSocket connection once it closed, with the code it closed with."""
    _log(scope, record, close_code, seconds)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if USABLE_ID.fullmatch(text) else None
    return None


def _log(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
    client = scope.get("client")
    fields = {
        "request_id": record.id,
        "method": scope.get("method", "WEBSOCKET"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "operation": record.operation,
        "user_id": record.user_id,
        "organization_id": record.organization_id,
        "client": client[0] if client else None,
    }
    logger.info(
        "%s %s %s %.1f ms request=%s operation=%s user=%s organization=%s",
        fields["method"],
        fields["path"],
        status,
        fields["duration_ms"],
        record.id,
        record.operation or "-",
        record.user_id or "-",
        record.organization_id or "-",
        extra=fields,
    )
