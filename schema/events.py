"""What every slice's event types share: the subscription cursor and the per-event load
cache (one load per event, field and audience)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hub.errors import BadInput
from hub.events import DomainEvent
from hub.roles import Principal
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
