"""Live subscriptions that many sockets share, as the schema layer runs them.

web/fanout.Groups keeps one stream per group of sockets; this module decides which
subscriptions may share one (the document analysis: `live_subscription`) and runs, for a
group, its stream (each result with the event behind it and that event's recipients: a
`Delivery`), a joining socket's admission (the field's own checks as its user) and a joining
socket's replay (its history after its cursor, up to the live edge).

Exactly two things are shared: one stream per group (web/fanout), and the per-event load
cache (`event_cache`, read by schema.events.shared), which lets every stream of a process
load what an event shows once per audience.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator, Collection, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    VariableNode,
    Visitor,
    get_operation_ast,
    parse,
    visit,
)
from strawberry.types.execution import ExecutionResult as StrawberryResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType as StrawberryOperation

from hub.errors import HubError
from hub.events import DomainEvent
from hub.roles import Principal
from hub.runtime import Hub
from schema.context import Context, SharedStream
from schema.errors import as_error, hub_error, internal_error, new_request_id
from schema.strawberry_internals import CoreExecutionContext, core_schema

# Subscriptions whose events go to users, not organizations. A stream of them is still
# shared by an organization's sockets, but each event reaches only the members it is for
# (its recipients), and each socket is admitted by running the field's own checks as its
# own user.
USER_SCOPED_FIELDS = frozenset({"messageEvents"})
# Fields that show every recipient of a user-scoped event the same thing, whatever their
# organization. An operation that selects only these is shared by all its recipients
# (RECIPIENTS); any other field (a message's attachments, filtered by each organization's
# asset entitlements, for one) makes it shared per organization.
ALIKE_FOR_EVERY_RECIPIENT = frozenset(
    [("Subscription", "messageEvents")]
    + [
        ("MessageEvent", name)
        for name in [
            "cursor",
            "type",
            "occurredAt",
            "conversationId",
            "messageId",
            "userId",
            "seq",
            "addedUserIds",
            "message",
        ]
    ]
    + [
        ("Message", name)
        for name in [
            "id",
            "conversationId",
            "seq",
            "kind",
            "body",
            "bodyHtml",
            "clientMessageId",
            "authorId",
            "authorName",
            "createdAt",
            "editedAt",
            "deletedAt",
            "mentions",
        ]
    ]
)
RECIPIENTS = "recipients"
logger = logging.getLogger("channelhub.ws")
GroupKey = tuple[str, str, str, str]
# Per-event caches by the id of the event object (see event_cache).
_EVENT_CACHES: dict[int, dict[Hashable, asyncio.Future[Any]]] = {}


@dataclass(frozen=True)
class Delivery:
    """A result of a shared stream, as JSON, with the event behind it and who it is for."""

    payload: str
    event_id: int
    # Recipients of the event (empty: every member of the group).
    recipients: frozenset[str]


@dataclass(frozen=True)
class Refusal:
    """How a subscription ends early: its request errors (`payload` a JSON list, sent as a
    graphql-transport-ws `error`), or a result whose field refused (`as_result`: a JSON
    result, sent as `next` before `complete`)."""

    payload: str
    as_result: bool = False


class Refused(Exception):
    """A shared stream that ended with request errors."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.payload)
        self.refusal = refusal


def audience_key(principal: Principal) -> str:
    """Who sees an event the same way: vendor staff, or one partner organization."""
    return "vendor" if principal.is_vendor else principal.organization_id


def result_json(result: ExecutionResult | StrawberryResult) -> str:
    """An execution result as the JSON payload of a `next` message."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class LiveSubscription:
    """One socket's subscription that can share its group's stream.

    Built from the socket's own context (authenticated as its user): its admission and its
    replay run on that context; the group's stream runs on a context of its own, since it
    outlives the socket that opened it.
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        context: Context,
        query: str,
        operation_name: str | None,
        live_variables: dict[str, Any],
        replay_variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.context = context
        self.query = query
        self.operation_name = operation_name
        self.live_variables = live_variables
        self.replay_variables = replay_variables
        principal = context.require_principal()
        self.user_id = principal.user_id
        # Whether events go to users, so each joining socket is admitted by the field.
        self.admit = user_scoped(query, operation_name)
        # Whether one stream serves every recipient alike, across organizations.
        self.for_recipients = alike_for_every_recipient(core_schema(schema), query)
        self.key = group_key(
            principal,
            query,
            operation_name,
            live_variables,
            alike_for_every_recipient=self.for_recipients,
        )
        # The last event the replay read (its live edge), once it ended.
        self.replayed_to = 0

    async def stream(
        self, users: Collection[str], subscribed: asyncio.Event
    ) -> AsyncIterator[Delivery]:
        """The group's stream: every event executed once for all of `users` (a live view of
        its members); `subscribed` is set once it reads live events. Raises Refused."""
        own = self.context
        context = Context(hub=own.hub, client=own.client, request_id=own.request_id)
        context.authenticated(own.require_principal(), own.token or "")
        shared = context.shared_stream = SharedStream(users=users, subscribed=subscribed)
        try:
            results = await self._open(context, self.live_variables)
            async for result in results:
                if isinstance(result, PreExecutionError):
                    raise Refused(Refusal(_errors_json(result.errors)))
                yield Delivery(result_json(result), shared.event_id, shared.recipients)
        except Refused:
            raise
        except HubError as error:
            raise Refused(Refusal(json.dumps([hub_error(error)]))) from error
        except Exception as error:  # members get an error, not a silent `complete`
            refusal = Refusal(_unexpected(error, "a shared subscription stream failed"))
            raise Refused(refusal) from error

    async def check(self) -> Refusal | None:
        """Run the field's checks as the socket's user: None if it may join the group."""
        context = self.context
        context.check_only = True
        try:
            results = await self._open(context, self.live_variables)
            async for result in results:
                if isinstance(result, PreExecutionError):
                    return Refusal(_errors_json(result.errors))
                if result.errors:
                    return Refusal(result_json(result), as_result=True)
                return Refusal(_internal("an admission yielded a result instead of ending"))
        except HubError as error:
            return Refusal(json.dumps([hub_error(error)]))
        except Exception as error:
            return Refusal(_unexpected(error, "a subscription admission failed"))
        finally:
            context.check_only = False
        return None

    async def replay(self) -> AsyncIterator[str | Refusal]:
        """The socket's own history after its cursor, up to the newest event: each result
        as JSON, or a Refusal that ends it. `replayed_to` then says the last event read."""
        context = self.context
        context.replay_only = True
        try:
            results = await self._open(context, self.replay_variables or {})
            async for result in results:
                if isinstance(result, PreExecutionError):
                    yield Refusal(_errors_json(result.errors))
                    return
                if result.data is None and result.errors:  # the field refused: it ended
                    yield Refusal(result_json(result), as_result=True)
                    return
                yield result_json(result)
        except HubError as error:
            yield Refusal(json.dumps({"data": None, "errors": [hub_error(error)]}), as_result=True)
            return
        except Exception as error:
            yield Refusal(_unexpected(error, "a subscription replay failed"))
            return
        finally:
            context.replay_only = False
        self.replayed_to = context.last_event_id

    async def _open(self, context: Context, variables: dict[str, Any]) -> AsyncIterator[Any]:
        return await self.schema.stream(
            self.query,
            variable_values=variables,
            context_value=context,
            operation_name=self.operation_name,
            allowed_operation_types=(StrawberryOperation.SUBSCRIPTION,),
        )


def live_subscription(
    schema: strawberry.Schema,
    context: Context,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any],
) -> LiveSubscription | None:
    """The subscription as one that can share a group's stream, or None when it cannot: a
    subscription without a replay cursor, or with one given in a variable (it then replays
    alone and joins the group of its document without the cursor)."""
    if shareable_subscription(query, operation_name, variables):
        return LiveSubscription(schema, context, query, operation_name, variables, None)
    live = _joining_variables(query, operation_name, variables)
    if live is None:
        return None
    return LiveSubscription(schema, context, query, operation_name, live, variables)


@lru_cache(maxsize=512)
def parsed(query: str) -> DocumentNode | None:
    """Parse a document once per distinct query text; None when it does not parse."""
    try:
        return parse(query)
    except GraphQLError:
        return None


def shareable_subscription(
    query: str, operation_name: str | None, variables: dict[str, Any]
) -> bool:
    """A subscription without a replay cursor on any root field can share a group."""
    operation = _operation(query, operation_name)
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return False
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return False
        for argument in selection.arguments or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                if variables.get(value.name.value) is not None:
                    return False
            elif not isinstance(value, NullValueNode):
                return False
    return True


@lru_cache(maxsize=512)
def alike_for_every_recipient(schema: GraphQLSchema, query: str) -> bool:
    """Whether every field the document selects is in ALIKE_FOR_EVERY_RECIPIENT."""
    document = parsed(query)
    if document is None:
        return False
    type_info = TypeInfo(schema)
    selected: set[tuple[str, str]] = set()

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if node.name.value != "__typename":
                selected.add((parent.name if parent else "", node.name.value))

    visit(document, TypeInfoVisitor(type_info, Fields()))
    return bool(selected) and selected <= ALIKE_FOR_EVERY_RECIPIENT


def _operation(query: str, operation_name: str | None) -> OperationDefinitionNode | None:
    document = parsed(query)
    operation = get_operation_ast(document, operation_name) if document else None
    return operation if isinstance(operation, OperationDefinitionNode) else None


def _joining_variables(
    query: str, operation_name: str | None, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """For a subscription that could share a group but for the replay cursor it was given in
    a variable: its variables without the cursor (the group it joins once it caught up)."""
    operation = _operation(query, operation_name)
    if operation is None:
        return None
    cursors = {
        argument.value.name.value
        for selection in operation.selection_set.selections
        if isinstance(selection, FieldNode)
        for argument in selection.arguments or ()
        if argument.name.value == "after" and isinstance(argument.value, VariableNode)
    }
    if not any(variables.get(name) is not None for name in cursors):
        return None
    live = {**variables, **dict.fromkeys(cursors)}
    return live if shareable_subscription(query, operation_name, live) else None


def user_scoped(query: str, operation_name: str | None) -> bool:
    """Whether the subscription's events go to users (and each socket needs admission)."""
    operation = _operation(query, operation_name)
    fields = {
        selection.name.value
        for selection in (operation.selection_set.selections if operation else ())
        if isinstance(selection, FieldNode)
    }
    return not fields.isdisjoint(USER_SCOPED_FIELDS)


def group_key(
    principal: Principal,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any],
    *,
    alike_for_every_recipient: bool = False,
) -> GroupKey:
    """Sockets that may share a stream: one audience (or every recipient alike), one
    document, the same variables."""
    audience = RECIPIENTS if alike_for_every_recipient else audience_key(principal)
    return audience, query, operation_name or "", json.dumps(variables, sort_keys=True, default=str)


class OneConnectionExecution(CoreExecutionContext):
    """One execution (a request, or one event of a subscription stream) reads over one
    database connection.

    Inside an HTTP request, which already shares its reads, this adds nothing; on a socket
    each operation and each event of a stream gets its own, returned as soon as its result
    is made (never held while a stream waits for its next event). Multipart requests opt
    out (Context.share_reads).
    """

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        hub = getattr(self.context_value, "hub", None)
        sharing = getattr(self.context_value, "share_reads", True)
        if not isinstance(hub, Hub) or not sharing or not self.is_awaitable(result):
            return result
        return _sharing_reads(hub, result)


def event_cache(event: DomainEvent) -> dict[Hashable, asyncio.Future[Any]]:
    """The schema layer's one per-event cache: what was loaded for an event, by key, kept
    while the event object lives (every stream of a process gets the same object)."""
    cache = _EVENT_CACHES.get(id(event))
    if cache is None:
        cache = _EVENT_CACHES[id(event)] = {}
        weakref.finalize(event, _EVENT_CACHES.pop, id(event), None)
    return cache


async def _sharing_reads(hub: Hub, result: Any) -> Any:
    async with hub.sharing_reads():
        return await result


def _errors_json(errors: list[GraphQLError] | None) -> str:
    return json.dumps([error.formatted for error in errors or ()])


def _unexpected(error: Exception, what: str) -> str:
    """The errors of a stream that failed: UNAVAILABLE in a database outage, else logged."""
    return json.dumps([as_error(error, request_id=new_request_id(), what=what)])


def _internal(what: str) -> str:
    """Log a failure that raised nothing under a new request id and give its masked error."""
    request_id = new_request_id()
    logger.error("%s (request %s)", what, request_id)
    return json.dumps([internal_error(request_id)])
