"""Demo data: a living channel with thirteen months of history, built through the hub's services.

Every record is made by the service the API calls, with the hub's clock moved through the
past (see hub.demo.world), so events, routing explanations, histories, stock and expiries
are exactly what the hub would have produced live.

Each module of this package that fills a domain declares its `PART` (see hub.demo.world.Part):
its stories and the settings they assume, and its place in the order. `seed` finds them all,
so a new domain's demo module needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import func, select

from hub import jobs
from hub.demo import channel
from hub.demo.channel import DEMO_PASSWORD, Login
from hub.demo.world import HISTORY_DAYS, RECENT_DAYS, Demo, Part, Story, play
from hub.mail import feed as mail_feed
from hub.runtime import Hub
from storage.models import User

__all__ = ["DEMO_PASSWORD", "Login", "logins", "seed", "seeded"]


async def seeded(hub: Hub) -> bool:
    """Tell whether the database already holds users."""
    async with hub.read() as session:
        return bool(await session.scalar(select(func.count()).select_from(User)))


async def seed(hub: Hub) -> list[Login]:
    """Create the demo channel and its history up to now; return the demo logins."""
    demo = await channel.found(hub, hub.clock.now())
    ordered = _parts()
    for part in ordered:
        if part.configure is not None:
            await part.configure(demo)
    stories = [story for part in ordered for story in part.stories(demo)]
    await play(demo, [_background_jobs(demo), *stories])
    await mail_feed.skip_to_newest(hub)  # the history is not news: no email of it
    return list(channel.LOGINS)


def _parts() -> list[Part]:
    """Return the `PART` of every module of this package, in their declared order."""
    found: dict[int, Part] = {}
    for module in pkgutil.iter_modules(__path__):
        part = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PART", None)
        if not isinstance(part, Part):
            continue
        if part.order in found:
            raise ValueError(f"two demo parts share the order {part.order}: give each its own")
        found[part.order] = part
    return [found[order] for order in sorted(found)]


async def logins(hub: Hub) -> list[Login]:
    """The demo logins that still work as seeded: active, password never changed.

    A password change (like a deactivation) bumps the user's token version, so version 0
    tells the demo password still opens the account without hashing anything.
    """
    emails = [email for email, _, _ in channel.LOGINS]
    async with hub.read() as session:
        usable = set(
            (
                await session.scalars(
                    select(User.email).where(
                        User.email.in_(emails), User.active.is_(True), User.token_version == 0
                    )
                )
            ).all()
        )
    return [login for login in channel.LOGINS if login[0] in usable]


async def _background_jobs(demo: Demo) -> Story:
    """The hub's background work (every process runs it every JOB_INTERVAL_SECONDS), here every
    other day, and every fourth before RECENT_DAYS ago (fewer runs to seed, the same outcome
    later): offers pulled back and routed again, deals and certifications expire."""
    days = HISTORY_DAYS - 1
    while days >= 0:
        yield float(days)
        await jobs.run_once(demo.hub)
        days -= 4 if days > RECENT_DAYS else 2
