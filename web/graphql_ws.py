"""GraphQL over WebSocket: the graphql-transport-ws protocol, and the legacy graphql-ws one.

graphql-ws (subscriptions-transport-ws) is what Apollo iOS 1.x and Apollo Kotlin's classic
transport speak by default: the same connection, auth, limits and fan-out, with its own message
names (start/stop/data/connection_error) and a `ka` keep-alive instead of ping/pong.

Our own implementation rather than Strawberry's handler, for fan-out: the sockets of a
group share one stream that executes and serialises each event once (web/fanout, with
schema.fanout deciding who may share); a socket then only frames the same JSON with its own
operation id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLResult
from graphql import GraphQLError
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from hub import identity, json_input, persisted_queries
from hub.db import as_unavailable
from hub.errors import HubError
from hub.runtime import Hub
from schema.context import Context
from schema.documents import parses
from schema.errors import as_error, hub_error, new_request_id
from schema.fanout import LiveSubscription, live_subscription, result_json
from schema.strawberry_internals import normalize_allowed_origins, normalize_origin
from web.fanout import Groups, Member
from web.outbox import Outbox, abort_connection
from web.request_log import log_websocket, websocket_record

PROTOCOL = "graphql-transport-ws"
LEGACY_PROTOCOL = "graphql-ws"
# The legacy protocol's client messages, by the name of the modern one that does the same.
LEGACY_MESSAGES = {
    "connection_init": "connection_init",
    "start": "subscribe",
    "stop": "complete",
    "connection_terminate": "connection_terminate",
}
# subscriptions-transport-ws clients reconnect when no `ka` came for 30 s after the first one.
KEEP_ALIVE_SECONDS = 10.0
INIT_TIMEOUT_SECONDS = 10
MAX_OPERATIONS = 100
# How long a close frame may wait behind frames a client does not read before the connection
# is dropped without one; and how long after a close frame went out a connection may stay
# (uvicorn waits 10 s for the client's answer, then closes once everything was read).
CLOSE_GRACE_SECONDS = 5.0
ABANDON_SECONDS = 15.0
# How long a stream of one socket (a replay) waits for its client to make room in the outbox
# before the client counts as stuck and the outbox as full.
STALLED_SECONDS = 5.0
TOO_SLOW = "the subscriber fell too far behind the live events; resubscribe with `after`"
ALL_OPERATIONS = (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION)
logger = logging.getLogger("channelhub.ws")


class GraphQLWebSocket:
    """The ASGI endpoint of /graphql for WebSocket connections."""

    def __init__(self, schema: strawberry.Schema, hub: Hub) -> None:
        self.schema = schema
        self.hub = hub
        self.allowed_origins = normalize_allowed_origins(hub.settings.allowed_origins)
        self.groups = Groups()
        self.connections: set[_Connection] = set()  # open ones (web.metrics counts them)
        self.closes: Counter[int] = Counter()  # ended ones by close code (web.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        offered = [
            value.strip()
            for value in websocket.headers.get("sec-websocket-protocol", "").split(",")
        ]
        protocol = next((name for name in (PROTOCOL, LEGACY_PROTOCOL) if name in offered), None)
        if protocol is None or not self._origin_allowed(websocket.headers.get("origin")):
            await websocket.close(code=1008)  # before accept: the handshake is refused with 403
            return
        await websocket.accept(subprotocol=protocol)
        record, started = websocket_record(scope), time.perf_counter()
        connection = _Connection(
            self, websocket, send, legacy=protocol == LEGACY_PROTOCOL, request_id=record.id
        )
        self.connections.add(connection)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)
            self.closes[connection.close_code or 1000] += 1
            if self.hub.settings.log_requests:
                principal = connection.context.principal if connection.context else None
                if principal is not None:
                    record.user_id = principal.user_id
                    record.organization_id = principal.organization_id
                code = connection.close_code or 1000
                log_websocket(scope, record, code, time.perf_counter() - started)

    def _origin_allowed(self, origin: str | None) -> bool:
        if origin is None or "*" in self.allowed_origins:
            return True
        return normalize_origin(origin) in self.allowed_origins


class _Connection:
    def __init__(
        self,
        endpoint: GraphQLWebSocket,
        websocket: WebSocket,
        send: Send,
        *,
        legacy: bool,
        request_id: str,
    ) -> None:
        self.endpoint = endpoint
        self.request_id = request_id  # of the connection: its operations' errors name it
        self.close_code: int | None = None  # how it closed, once it did
        self.websocket = websocket
        self.raw_send = send
        self.legacy = legacy
        self.next_type = "data" if legacy else "next"  # the message type of a result
        self.initialised = False
        self.acknowledged = asyncio.Event()
        self.context: Context | None = None
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.closer: asyncio.Task[Any] | None = None  # the task closing the socket, once one is
        settings = endpoint.hub.settings
        self.outbox = Outbox(
            send, max_frames=settings.ws_outbox_frames, max_bytes=settings.ws_outbox_bytes
        )

    async def serve(self) -> None:
        self.outbox.start()
        timers = [
            asyncio.create_task(self._init_deadline()),
            asyncio.create_task(self._keep_checking_the_token()),
            asyncio.create_task(self._cut_off_when_behind()),
        ]
        if self.legacy:
            timers.append(asyncio.create_task(self._keep_alive()))
        try:
            while self.websocket.application_state is WebSocketState.CONNECTED:
                try:
                    text = await self.websocket.receive_text()
                except WebSocketDisconnect as gone:
                    self.close_code = self.close_code or gone.code
                    return
                except (RuntimeError, KeyError):
                    return
                try:
                    await self._handle(text)
                except Exception as error:
                    await self._close_after(error)
                    return
        finally:
            for task in [*timers, *self.operations.values()]:
                if task is not self.closer:
                    task.cancel()
            if self.closer is not None and self.closer is not asyncio.current_task():
                await asyncio.wait({self.closer})  # bounded: it drops a client that does not read
            await self.outbox.stop()

    async def _keep_alive(self) -> None:
        """Send the legacy protocol's `ka` once the connection is acknowledged, then every
        KEEP_ALIVE_SECONDS."""
        await self.acknowledged.wait()
        while True:
            await self._send({"type": "ka"})
            await asyncio.sleep(KEEP_ALIVE_SECONDS)

    async def _cut_off_when_behind(self) -> None:
        """Close a socket whose outbox is full (4429): its client stopped reading, or reads
        far slower than its events come. One that does not read cannot receive the close
        frame either: its connection is dropped after CLOSE_GRACE_SECONDS."""
        await self.outbox.full.wait()
        logger.warning("closing a WebSocket whose client fell too far behind")
        for task in self.operations.values():
            task.cancel()
        await self._close(4429, TOO_SLOW)

    async def _keep_checking_the_token(self) -> None:
        """Close the socket once its token no longer holds: expired, revoked, the user
        deactivated or the organization blocked. Checked every WS_RECHECK_SECONDS."""
        hub = self.endpoint.hub
        while True:
            await asyncio.sleep(hub.settings.ws_recheck_seconds)
            token = self.context.token if self.context is not None else None
            if token is None:
                continue
            try:
                await identity.authenticate(hub, token)
            except HubError as error:
                for task in self.operations.values():
                    task.cancel()
                await self._close(4403, f"Forbidden: {error.message}"[:120])
                return
            except Exception:  # the database is unreachable: keep serving, check again later
                logger.warning("could not recheck a WebSocket's token", exc_info=True)

    async def _close_after(self, error: Exception) -> None:
        """Close with a reason after an error no handler expected, rather than just drop."""
        if as_unavailable(error) is not None:
            logger.warning("closing a WebSocket: the database is unavailable (%s)", error)
            await self._close(1013, "Try again later: the database is unavailable")
            return
        request_id = new_request_id()
        logger.error(
            "closing a WebSocket after an unexpected error (request %s)", request_id, exc_info=error
        )
        await self._close(1011, f"Internal server error; request id {request_id}")

    async def _init_deadline(self) -> None:
        await asyncio.sleep(INIT_TIMEOUT_SECONDS)
        if not self.initialised:
            await self._close(4408, "Connection initialisation timeout")

    async def _handle(self, text: str) -> None:
        limit = self.endpoint.hub.settings.max_body_bytes
        if len(text) > limit:
            await self._close(1009, f"Message too big: at most {limit} bytes")
            return
        try:
            message = json_input.loads(text)
        except json_input.JSONRefused as refused:
            await self._close(4400, f"Invalid message received: {refused}")
            return
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._close(4400, "Invalid message received")
            return
        kind = message["type"]
        if self.legacy:
            if kind not in LEGACY_MESSAGES:
                await self._close(4400, f"Unknown message type {kind!r}")
                return
            kind = LEGACY_MESSAGES[kind]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.operations.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
                if self.legacy:  # the legacy protocol acknowledges a stop with complete
                    await self._send({"id": str(message.get("id")), "type": "complete"})
        elif kind == "connection_terminate":
            await self._close(1000, "Connection terminated")
        else:
            await self._close(4400, f"Unknown message type {kind!r}")

    async def _init(self, payload: Any) -> None:
        if self.initialised:
            await self._close(4429, "Too many initialisation requests")
            return
        self.initialised = True
        token = _token(payload if isinstance(payload, dict) else {})
        if token is None:
            await self._refuse("send the access token in connection_init")
            return
        try:
            principal = await identity.authenticate(self.endpoint.hub, token)
        except HubError as error:
            await self._refuse(error.message)
            return
        client = self.websocket.client.host if self.websocket.client else None
        self.context = Context(hub=self.endpoint.hub, client=client, request_id=self.request_id)
        self.context.authenticated(principal, token)
        await self._send({"type": "connection_ack"})
        self.acknowledged.set()

    async def _refuse(self, message: str) -> None:
        """Refuse a connection_init: a legacy client is told with connection_error first."""
        if self.legacy:
            await self._send({"type": "connection_error", "payload": {"message": message}})
        await self._close(4403, f"Forbidden: {message}"[:120])

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if self.context is None:
            await self._close(4401, "Unauthorized")
            return
        operation_id, payload = message.get("id"), message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            await self._close(4400, "Invalid message received")
            return
        if operation_id in self.operations:
            await self._close(4409, f"Subscriber for {operation_id} already exists")
            return
        if len(self.operations) >= MAX_OPERATIONS:
            await self._send_error(
                operation_id, f"at most {MAX_OPERATIONS} operations per connection"
            )
            return
        context = Context(
            hub=self.endpoint.hub, client=self.context.client, request_id=self.context.request_id
        )
        context.authenticated(self.context.require_principal(), self.context.token or "")
        task = asyncio.create_task(self._run(operation_id, payload, context))
        self.operations[operation_id] = task
        task.add_done_callback(
            lambda _: (
                self.operations.pop(operation_id, None)
                if self.operations.get(operation_id) is task
                else None
            )
        )

    async def _run(self, operation_id: str, payload: dict[str, Any], context: Context) -> None:
        query, variables = payload.get("query"), payload.get("variables")
        name = payload.get("operationName")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            await self._send_error(
                operation_id, "payload needs a query string and variables as an object"
            )
            return
        variables = variables or {}
        operation_name = name if isinstance(name, str) else None
        hub = self.endpoint.hub
        if hub.settings.persisted_queries == "allow-list" and not await persisted_queries.listed(
            hub, query
        ):
            code = {"code": "PERSISTED_QUERY_NOT_IN_LIST"}
            errors = [{"message": persisted_queries.NOT_IN_LIST, "extensions": code}]
            await self._send({"id": operation_id, "type": "error", "payload": errors})
            return
        # Shared streams parse the document themselves: only once it keeps to the limits.
        max_tokens = self.endpoint.hub.settings.max_tokens
        if parses(query, max_tokens):
            live = live_subscription(
                self.endpoint.schema, context, query, operation_name, variables
            )
            if live is not None:
                await self._run_shared(operation_id, live)
                return
        try:
            stream = await self.endpoint.schema.stream(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=name if isinstance(name, str) else None,
                allowed_operation_types=ALL_OPERATIONS,
            )
            async for result in stream:
                if isinstance(result, PreExecutionError):
                    await self._send(
                        {"id": operation_id, "type": "error", "payload": _formatted(result.errors)}
                    )
                    return
                if isinstance(result, (ExecutionResult, GraphQLResult)):
                    await self._send_next(operation_id, result)
        except asyncio.CancelledError:
            raise
        except HubError as error:
            await self._send_next_error(operation_id, hub_error(error))
        except Exception as error:
            what = f"subscription {operation_id} failed"
            shaped = as_error(error, request_id=context.request_id, what=what)
            if as_unavailable(error) is None:
                await self._send({"id": operation_id, "type": "error", "payload": [shaped]})
                return
            await self._send_next_error(operation_id, shaped)
        with contextlib.suppress(Exception):
            await self._send({"id": operation_id, "type": "complete"})

    async def _run_shared(self, operation_id: str, live: LiveSubscription) -> None:
        """Serve a subscription from its group's shared stream (a replaying one first
        replays alone, then joins the group)."""
        member = Member(operation_id, self._put, live.user_id, self._put_paced, self.next_type)
        ending = await self.endpoint.groups.run(live, member)
        if ending is not None:
            kind, payload = ending
            sent = self.next_type if kind == "next" else kind
            await self._send_text(
                f'{{"id":{json.dumps(operation_id)},"type":"{sent}","payload":{payload}}}'
            )
            if kind == "error":
                return
        await self._send({"id": operation_id, "type": "complete"})

    async def _send_next(self, operation_id: str, result: ExecutionResult | GraphQLResult) -> None:
        """Send a result of a stream this socket has alone, at the pace its client reads."""
        payload = result_json(result)
        await self._put_paced(
            f'{{"id":{json.dumps(operation_id)},"type":"{self.next_type}","payload":{payload}}}'
        )

    async def _put_paced(self, text: str) -> None:
        if self.websocket.application_state is WebSocketState.CONNECTED:
            await self.outbox.put_paced(text, patience=STALLED_SECONDS)

    async def _send_next_error(self, operation_id: str, error: dict[str, Any]) -> None:
        payload = {"data": None, "errors": [error]}
        await self._send({"id": operation_id, "type": self.next_type, "payload": payload})

    async def _send_error(self, operation_id: str, message: str) -> None:
        errors = [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]
        await self._send({"id": operation_id, "type": "error", "payload": errors})

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        if not text.isascii():
            try:
                text.encode()
            except UnicodeEncodeError:  # an error quotes an unpaired surrogate the client sent
                text = json.dumps(message, separators=(",", ":"))
        await self._send_text(text)

    async def _send_text(self, text: str) -> None:
        self._put(text)

    def _put(self, text: str) -> bool:
        # Frames go out through the outbox's raw ASGI sends: no per-message bookkeeping.
        return self.websocket.application_state is WebSocketState.CONNECTED and self.outbox.put(
            text
        )

    async def _close(self, code: int, reason: str) -> None:
        """Close after the frames already waiting; drop a client that does not read them.

        A client that stopped reading cannot receive a close frame: after CLOSE_GRACE_SECONDS
        its connection is dropped. One that received the close, but not everything sent
        before it, is dropped ABANDON_SECONDS later if still there.
        """
        if (
            self.closer is not None
            or self.websocket.application_state is not WebSocketState.CONNECTED
        ):
            return
        self.closer = asyncio.current_task()
        self.close_code = self.close_code or code
        try:
            async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                await self.outbox.flush()
                await self.websocket.close(code=code, reason=reason)
        except TimeoutError:
            await self.outbox.stop()
            if not abort_connection(self.raw_send):
                logger.warning("could not drop a WebSocket whose client does not read")
            return
        except (OSError, RuntimeError, WebSocketDisconnect):  # gone already
            return
        asyncio.get_running_loop().call_later(ABANDON_SECONDS, abort_connection, self.raw_send)


def _formatted(errors: list[GraphQLError] | None) -> list[Any]:
    return [error.formatted for error in errors or ()]


def _token(params: dict[str, Any]) -> str | None:
    """The access token of a connection_init payload: `authorization` (any case), `token`, or
    `headers: {Authorization}` as Apollo's clients send it."""
    headers = params.get("headers")
    fields = {**(headers if isinstance(headers, dict) else {}), **params}
    value = next(
        (value for name, value in fields.items() if name.lower() == "authorization" and value),
        None,
    )
    value = value or params.get("token")
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()
