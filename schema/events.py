"""What every slice's subscriptions share: the cursor, the one way to read events
(`subscribe`) and the per-event load cache (one load per event, field and audience)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any

from hub.errors import BadInput
from hub.events import DomainEvent, Reach
from hub.roles import Principal
from schema.context import Context, Info
from schema.fanout import audience_key, event_cache


def parse_cursor(after: str | None) -> int | None:
    """Read a subscription cursor (the id of the last event received)."""
    if after is None:
        return None
    # isdigit() alone takes digits int() refuses, such as "²".
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise BadInput("after must be the cursor of an event you received", field="after")
    return int(after)


def shared(
    event: DomainEvent, principal: Principal | None, name: str, load: Callable[[], Awaitable[Any]]
) -> Awaitable[Any]:
    """Load once per event what every subscriber of one audience sees alike (or, without a
    principal, what everyone the event reaches sees alike); kept while the event lives.

    Shielded: one subscriber going away must not cancel the load the others wait for.
    """
    key = ("load", name, audience_key(principal) if principal is not None else "")
    loads = event_cache(event)
    future = loads.get(key)
    if future is None:
        future = loads[key] = asyncio.ensure_future(load())
    return asyncio.shield(future)


@asynccontextmanager
async def subscribe(
    info: Info, topics: Collection[str], *, after: int | None
) -> AsyncIterator[AsyncIterator[DomainEvent]]:
    """The one way a subscription field reads its events.

    It reaches the caller, or every member of the shared stream it runs for; it replays from
    `after`; each event starts with fresh loaders, and the event behind each result is noted
    on the shared stream that delivers it (its recipients travel with the result). For a
    socket's admission (Context.check_only) the field's checks ran: it reads nothing.
    """
    context = info.context
    principal, hub, shared_stream = context.require_principal(), context.hub, context.shared_stream
    if context.check_only:
        yield _nothing()
        return
    if context.replay_only:
        start = after or 0
        await hub.events.check_cursor(start)
        context.last_event_id = max(context.last_event_id, start)
        yield _each(context, hub.events.history(principal, topics, after=start))
        return
    reach = (
        Reach.members(principal, shared_stream.users)
        if shared_stream is not None
        else Reach.of(principal)
    )
    async with hub.events.subscribe(reach, topics, after=after) as stream:
        if shared_stream is not None:
            shared_stream.subscribed.set()
        yield _each(context, stream)


async def _nothing() -> AsyncIterator[DomainEvent]:
    return
    yield


async def _each(context: Context, stream: AsyncIterator[DomainEvent]) -> AsyncIterator[DomainEvent]:
    async for event in stream:
        context.reset_loaders()
        context.last_event_id = event.id or context.last_event_id
        if context.shared_stream is not None:
            context.shared_stream.recipients = event.recipients
            context.shared_stream.event_id = event.id
        yield event
