"""Shared fan-out: a subscription event is executed once per audience, not once per socket.

Every subscriber of one audience (vendor staff, or one partner organization) that receives
an event sees the same thing: what an event shows depends only on the organization. So the
first subscriber of an audience to reach an event executes its selection; every other
subscriber with the same document and variables reuses that result.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Collection, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)

from hub.events import DomainEvent
from hub.roles import Principal
from hub.runtime import Hub
from schema.strawberry_internals import CoreExecutionContext

# Subscriptions whose events go to users, not organizations. A stream of them is still
# shared by an organization's sockets, but each event reaches only the members it is for
# (its recipients), and each socket is admitted by running the field's own checks as its
# own user (web/fanout.py).
USER_SCOPED_FIELDS = frozenset({"messageEvents"})


@dataclass(eq=False)
class SharedStream:
    """On the context of a subscription stream that several sockets share (web/fanout.py).

    A resolver of a USER_SCOPED_FIELDS field reads it: it subscribes for every member user,
    and records the recipients of the event behind each result it yields.
    """

    # The users of the sockets sharing the stream: a live view the group keeps current.
    users: Collection[str] = ()
    # Recipients of the event behind the latest result (empty: everyone in the audience).
    recipients: frozenset[str] = frozenset()
    # Set for a socket's admission: the resolver runs its checks as that socket's user,
    # sets this, and then waits without subscribing (the shared stream delivers).
    admitted: asyncio.Event | None = None
    # The event behind the latest result (0 for one that is never stored).
    event_id: int = 0
    # Set once the stream reads live events: a socket that replayed alone may then join.
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)


# Fields that show every recipient of a user-scoped event the same thing, whatever their
# organization. An operation that selects only these is executed once per event for all its
# recipients (RECIPIENTS); any other field (a message's attachments, filtered by each
# organization's asset entitlements, for one) makes it run once per organization.
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
# Per-event caches by the id of the event object (see event_cache).
_EVENT_CACHES: dict[int, dict[Hashable, asyncio.Future[Any]]] = {}


def audience_key(principal: Principal) -> str:
    """Who sees an event the same way: vendor staff, or one partner organization."""
    return "vendor" if principal.is_vendor else principal.organization_id


@lru_cache(maxsize=512)
def parsed(query: str) -> DocumentNode | None:
    """Parse a document once per distinct query text; None when it does not parse."""
    try:
        return parse(query)
    except GraphQLError:
        return None


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


class SharedEventExecution(CoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = _shared_cache(self.root_value)
        principal = getattr(self.context_value, "principal", None)
        if (
            shared is None
            or not isinstance(principal, Principal)
            or self.operation.operation is not OperationType.SUBSCRIPTION
        ):
            return self._reading_once(super().execute_operation(serially))
        key = self._share_key(principal)
        future: asyncio.Future[Any] | None = shared.get(key)
        if future is None:
            result = super().execute_operation(serially)
            if not self.is_awaitable(result):
                return result
            future = shared[key] = asyncio.ensure_future(self._reading_once(result))
        return _shielded(future)

    def _reading_once(self, result: Any) -> Any:
        """One execution (a request, or one subscription event) reads over one connection.

        Inside an HTTP request, which already shares its reads, this adds nothing; on a
        socket each operation and each event of a stream gets its own, returned as soon as
        its result is made (never held while a stream waits for its next event). Multipart
        requests opt out (Context.share_reads).
        """
        hub = getattr(self.context_value, "hub", None)
        sharing = getattr(self.context_value, "share_reads", True)
        if not isinstance(hub, Hub) or not sharing or not self.is_awaitable(result):
            return result
        return _sharing_reads(hub, result)

    def _share_key(self, principal: Principal) -> tuple[str, ...]:
        # Per organization, or once for all recipients when nothing selected can differ
        # between organizations: each stream delivers an event only to its recipients.
        source = self.operation.loc.source.body if self.operation.loc else str(id(self.operation))
        audience = (
            RECIPIENTS
            if self.operation.loc and alike_for_every_recipient(self.schema, source)
            else audience_key(principal)
        )
        variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=str)
        name = self.operation.name.value if self.operation.name else ""
        return ("execution", audience, source, name, variables)


def event_cache(event: DomainEvent) -> dict[Hashable, asyncio.Future[Any]]:
    """The schema layer's one per-event cache: what was executed or loaded for an event, by
    key, kept while the event object lives (every subscriber of a process gets the same)."""
    cache = _EVENT_CACHES.get(id(event))
    if cache is None:
        cache = _EVENT_CACHES[id(event)] = {}
        weakref.finalize(event, _EVENT_CACHES.pop, id(event), None)
    return cache


def _shared_cache(root: Any) -> dict[Hashable, asyncio.Future[Any]] | None:
    event = getattr(root, "event", None)
    return event_cache(event) if isinstance(event, DomainEvent) else None


async def _sharing_reads(hub: Hub, result: Awaitable[Any]) -> Any:
    async with hub.sharing_reads():
        return await result


async def _shielded(future: Awaitable[ExecutionResult]) -> ExecutionResult:
    # Shielded: a subscriber that goes away must not cancel the work others wait for.
    return await asyncio.shield(future)
