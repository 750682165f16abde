"""The demo's cast and clock: stories played side by side through the past months.

Each story is an async generator that yields how many days ago its next step happens; the
stories are interleaved in time order with the hub's clock moved to each step, so every
service stamps, expires and reports exactly as it would have live.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles

from hub.clock import ManualClock
from hub.roles import Principal
from hub.runtime import Hub

# How far back the demo channel's history starts: a year and a quarter before it, so trailing
# 365 days and the previous quarter are full.
HISTORY_DAYS = 400
# The months the channel is busiest in; before them the parts seed more thinly.
RECENT_DAYS = 210

Story = AsyncIterator[float]


@dataclass
class Demo:
    """Who is who in the demo, and the hub as it was at the demo clock's time."""

    hub: Hub
    clock: ManualClock
    end: datetime
    vendor: Principal
    manager: Principal
    partners: dict[str, str] = field(default_factory=dict)
    people: dict[str, Principal] = field(default_factory=dict)
    # Records one story creates and a later one refers to, by a name of the story's choosing.
    records: dict[str, str] = field(default_factory=dict)

    def person(self, email: str) -> Principal:
        return self.people[email]

    def partner(self, name: str) -> str:
        return self.partners[name]

    def staff_of(self, partner_id: str) -> Principal:
        """The first demo user of a partner organization (its admin)."""
        for principal in self.people.values():
            if principal.organization_id == partner_id:
                return principal
        raise LookupError(f"no demo user works for partner {partner_id}")

    def days_ago(self, days: float) -> datetime:
        return self.end - timedelta(days=days)

    def move_to(self, days: float) -> None:
        """Set the clock to `days` before the end; time never runs backwards."""
        target = self.days_ago(days)
        now = self.clock.now()
        step = (target - now).total_seconds() if target > now else 1.0
        self.clock.advance(seconds=step)


@dataclass(frozen=True)
class Part:
    """A demo module's share of the channel, declared as its module's `PART` (hub.demo finds it).

    The parts go in `order`, which keeps the seeded data the same from run to run: first each
    part's `configure` (the settings its stories assume), then all their stories are played
    side by side, numbered in that order (the number breaks ties between steps at one time).
    """

    order: int
    stories: Callable[[Demo], list[Story]]
    configure: Callable[[Demo], Awaitable[None]] | None = None


def in_the_past(hub: Hub, end: datetime) -> tuple[Hub, ManualClock]:
    """The same hub with a clock set HISTORY_DAYS before `end`.

    The demo password is printed for everyone to read, so a costly hash protects nothing:
    the cheapest Argon2 parameters keep seeding (and demo logins) fast on a busy laptop.
    """
    clock = ManualClock(end - timedelta(days=HISTORY_DAYS))
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    return dataclasses.replace(hub, clock=clock, passwords=cheap), clock


async def play(demo: Demo, stories: Iterable[Story]) -> None:
    """Run the stories interleaved in time order (most days ago first)."""
    queue: list[tuple[float, int, Story]] = []
    for number, story in enumerate(stories):
        await _next(queue, number, story)
    while queue:
        when, number, story = heapq.heappop(queue)
        demo.move_to(-when)
        await _next(queue, number, story)


async def _next(queue: list[tuple[float, int, Story]], number: int, story: Story) -> None:
    try:
        days = await anext(story)
    except StopAsyncIteration:
        return
    heapq.heappush(queue, (-days, number, story))
