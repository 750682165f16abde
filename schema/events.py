"""What every slice's event types share: the subscription cursor and the per-event load
cache (one load per event, field and audience)."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.errors import BadInput
from hub.events import DomainEvent
from hub.roles import Principal
from schema.fanout import audience_key


def parse_cursor(after: str | None) -> int | None:
    """Read a subscription cursor (the id of the last event received)."""
    if after is None:
        return None
    # isdigit() alone takes digits int() refuses, such as "²".
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise BadInput("after must be the cursor of an event you received", field="after")
    return int(after)


def shared(event: DomainEvent, principal: Principal, name: str, load: Any) -> asyncio.Future[Any]:
    """Load once per event and audience what every subscriber of that audience sees alike."""
    key = (name, audience_key(principal))
    future: asyncio.Future[Any] | None = event.shared.get(key)
    if future is None:
        future = event.shared[key] = asyncio.ensure_future(load())
    return future
