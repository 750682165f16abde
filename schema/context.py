"""The request context: the hub, the caller, and per-operation loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry

from hub.errors import Unauthenticated
from hub.roles import Principal
from hub.runtime import Hub
from schema.errors import new_request_id

if TYPE_CHECKING:
    from schema.loading import LoaderSet, Slice


@dataclass(eq=False)
class SharedStream:
    """On the context of a subscription stream that several sockets share (schema.fanout).

    schema.events.subscribe reads it: the stream takes the events of every member user, and
    notes the event behind each result it yields, which travels on with the result.
    """

    # The users of the sockets sharing the stream: a live view the group keeps current.
    users: Collection[str] = ()
    # Recipients of the event behind the latest result (empty: everyone in the audience).
    recipients: frozenset[str] = frozenset()
    # The event behind the latest result (0 for one that is never stored).
    event_id: int = 0
    # Set once the stream reads live events: a socket that replayed alone may then join.
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Context:
    hub: Hub
    principal: Principal | None = None
    token: str | None = None
    client: str | None = None
    request_id: str = field(default_factory=new_request_id)
    # The operation the document runs, once parsed (None for an anonymous one).
    operation_name: str | None = None
    connection_params: dict[str, Any] | None = None
    # Set when this context runs a subscription stream shared by several sockets.
    shared_stream: SharedStream | None = None
    # Set for a socket's replay before it joins a shared stream: a subscription field then
    # reads the events after its cursor up to the newest, and ends.
    replay_only: bool = False
    # Set for a socket's admission to a shared stream of user-scoped events: a subscription
    # field then runs its checks as the socket's user and ends without reading events.
    check_only: bool = False
    # The id of the last event a field read (a replay's live edge).
    last_event_id: int = 0
    # False for a multipart request: its resolvers stream files to the object store, and a
    # connection shared for the whole execution would be held all that time.
    share_reads: bool = True
    # Each slice's loaders (schema.loading.LoaderSet.of), made on first use.
    _loaders: dict[type[LoaderSet], LoaderSet] | None = None

    def authenticated(self, principal: Principal, token: str) -> None:
        """Record the caller the token proved."""
        self.principal = principal
        self.token = token
        self._loaders = None

    def require_principal(self) -> Principal:
        """Return the caller, or refuse an anonymous request."""
        if self.principal is None:
            raise Unauthenticated("log in first: send an Authorization: Bearer token")
        return self.principal

    def loaders_of(self, kind: type[Slice]) -> Slice:
        """Return this operation's loaders of one slice, made on first use."""
        if self._loaders is None:
            self._loaders = {}
        found = self._loaders.get(kind)
        if not isinstance(found, kind):
            found = self._loaders[kind] = kind(self.hub, self.require_principal())
        return found

    def reset_loaders(self) -> None:
        """Drop cached loads so a long-lived connection never serves stale rows."""
        self._loaders = None


Info = strawberry.Info[Context, None]
