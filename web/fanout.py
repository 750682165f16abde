"""Groups of live subscriptions that share one execution stream.

Live subscriptions of one audience with the same document and variables see exactly the
same events the same way, so one stream per group executes each event once and every member
only frames and sends the shared JSON (schema.fanout decides who may share, and runs the
streams). A subscription with a replay cursor (given in a variable) replays alone, its
history being its own, then joins the group of its document without the cursor: it holds
what the group delivers meanwhile and, once its replay read up to the newest event, gets
what it held after that one (Groups.run).

Events of user-scoped fields go to users: the group's stream takes the events of all its
members' users, each result travels with its event's recipients, and goes only to the
members whose user the event is for. A socket joins such a group only once the field's own
checks passed for its user (`Shareable.check`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Literal, Protocol

from hub.events import SubscriberTooSlow
from schema.errors import as_error, hub_error, new_request_id
from schema.fanout import Delivery, GroupKey, Refusal, Refused

# How a member's subscription ends early: a graphql-transport-ws message type and payload.
Ending = tuple[Literal["next", "error"], str]
logger = logging.getLogger("channelhub.ws")
# Results a member may hold while it replays before it is cut off to resubscribe.
MAX_HELD = 1000
BEHIND = "the subscriber fell too far behind the live events; resubscribe with `after`"


class Shareable(Protocol):
    """A socket's subscription that can share its group's stream (schema.fanout)."""

    key: GroupKey
    user_id: str
    # Whether events go to users, each joining socket admitted by the field's checks.
    admit: bool
    # Whether one stream serves every recipient alike, across organizations.
    for_recipients: bool
    # The variables with the replay cursor, when the socket replays before it joins.
    replay_variables: dict[str, object] | None
    replayed_to: int

    def stream(
        self, users: Collection[str], subscribed: asyncio.Event
    ) -> AsyncIterator[Delivery]: ...

    def check(self) -> Awaitable[Refusal | None]: ...

    def replay(self) -> AsyncIterator[str | Refusal]: ...


@dataclass(eq=False)
class Member:
    """One socket's subscription in a group: frames go straight into the socket's outbox."""

    operation_id: str
    # Queue a frame on the socket; False once its outbox is full (the socket is then cut off).
    put: Callable[[str], bool]
    user_id: str = ""
    # Queue a frame at the pace the client reads (a replay: results the member has alone).
    put_paced: Callable[[str], Awaitable[None]] | None = None
    # The message type of a result: "next" (graphql-transport-ws) or "data" (legacy graphql-ws).
    result_type: str = "next"
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    # Sent nothing more: its socket's outbox is full, or it held too much while it replayed.
    cut_off: bool = False
    # Cut off for holding too much while it replayed.
    behind: bool = False
    # While the member replays alone: the group's results it will be sent once it caught up,
    # with the id of the event behind each.
    held: list[tuple[int, str]] | None = None
    # The last event the member replayed alone: the group may deliver it (and ones before)
    # after the replay read it from the log, and it is not sent twice.
    replayed_to: int = 0

    def __post_init__(self) -> None:
        self.prefix = (
            f'{{"id":{json.dumps(self.operation_id)},"type":"{self.result_type}","payload":'
        )

    def offer(self, payload: str, event_id: int = 0) -> None:
        if event_id and event_id <= self.replayed_to:
            return
        if self.held is None:
            self.send(payload)
        elif len(self.held) < MAX_HELD:
            self.held.append((event_id, payload))
        else:  # the replay takes too long: the client resubscribes from its cursor
            self.held = None
            self.behind = self.cut_off = True
            self.ended.set()

    def send(self, payload: str) -> None:
        if not self.cut_off and not self.put(f"{self.prefix}{payload}}}"):
            self.cut_off = True
            self.ended.set()

    async def send_paced(self, payload: str) -> None:
        """Send a result the member has alone (its replay), whether or not its group ended."""
        if self.put_paced is None:
            self.send(payload)
        elif not self.cut_off:
            await self.put_paced(f"{self.prefix}{payload}}}")

    def catch_up(self, last_replayed: int) -> None:
        """Send what the group delivered during the replay, after its last event; go live."""
        held, self.held = self.held or [], None
        self.replayed_to = last_replayed
        for event_id, payload in held:
            if not event_id or event_id > last_replayed:
                self.send(payload)

    def finish(self) -> None:
        self.ended.set()


@dataclass(eq=False)
class Group:
    key: GroupKey
    members: set[Member] = field(default_factory=set)
    users: Counter[str] = field(default_factory=Counter)
    # Set once the group's stream reads live events.
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    error: str | None = None

    def join(self, member: Member) -> None:
        self.members.add(member)
        self.users[member.user_id] += 1

    def leave(self, member: Member) -> None:
        if member in self.members:
            self.members.discard(member)
            self.users[member.user_id] -= 1
            if self.users[member.user_id] <= 0:
                del self.users[member.user_id]


class Groups:
    """Live subscription groups of one hub process."""

    def __init__(self) -> None:
        self._groups: dict[GroupKey, Group] = {}

    def sizes(self) -> dict[GroupKey, int]:
        """Members per live group (diagnostics and tests)."""
        return {key: len(group.members) for key, group in self._groups.items()}

    async def run(self, live: Shareable, member: Member) -> Ending | None:
        """Serve a member until its group ends or it leaves; how it ended early, if it did.

        A user-scoped subscription is first admitted by the field's checks. One with a
        replay cursor joins the group holding what the group delivers, replays alone from
        its cursor once the group reads live events, then gets what it held after the last
        event it replayed, and goes on live: nothing lost, nothing twice.
        """
        replaying = live.replay_variables is not None
        if live.admit and not replaying:
            refusal = await live.check()
            if refusal is not None:
                return _ending(refusal)
        key = live.key
        group = self._groups.get(key)
        if group is None or group.task is None or group.task.done():
            group = self._groups[key] = Group(key)
            group.task = asyncio.create_task(self._lead(group, live))
        if replaying:
            member.held = []
        group.join(member)
        try:
            if replaying:
                ending, finished = await self._replay(group, member, live)
                if finished:
                    return ending
            await member.ended.wait()
            if member.behind:
                return "error", json.dumps([hub_error(SubscriberTooSlow(BEHIND))])
            return ("error", group.error) if group.error else None
        finally:
            group.leave(member)
            if not group.members and self._groups.get(key) is group:
                del self._groups[key]
                if group.task is not None:
                    group.task.cancel()

    async def _replay(
        self, group: Group, member: Member, live: Shareable
    ) -> tuple[Ending | None, bool]:
        """Replay a joining member alone: (how it ended, whether it ended)."""
        assert group.task is not None
        subscribed = asyncio.create_task(group.subscribed.wait())
        try:
            await asyncio.wait({subscribed, group.task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            subscribed.cancel()
        # A group that ended before reading live events (its arguments were refused, say):
        # the replay still runs, alone, so the member gets its own answer to them.
        joined = group.subscribed.is_set()
        async for item in live.replay():
            if isinstance(item, Refusal):
                return _ending(item), True
            await member.send_paced(item)
        if not joined:
            return (("error", group.error) if group.error else None), True
        member.catch_up(live.replayed_to)
        return None, False

    async def _lead(self, group: Group, live: Shareable) -> None:
        try:
            async for delivery in live.stream(group.users.keys(), group.subscribed):
                recipients = delivery.recipients
                if not recipients and live.for_recipients:
                    # A group across organizations hands out recipient events only.
                    logger.error("an event without recipients reached a recipients group")
                    continue
                for member in list(group.members):
                    if not recipients or member.user_id in recipients:
                        member.offer(delivery.payload, delivery.event_id)
        except Refused as refused:
            group.error = refused.refusal.payload
        except Exception as error:  # members get an error, not a silent `complete`
            what = "a shared subscription group failed"
            group.error = json.dumps([as_error(error, request_id=new_request_id(), what=what)])
        finally:
            for member in list(group.members):
                member.finish()


def _ending(refusal: Refusal) -> Ending:
    return ("next" if refusal.as_result else "error"), refusal.payload
