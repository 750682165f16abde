"""Background work run by every hub process: offer pull-back, deal expiry, certification
expiry notices, object cleanup, expired idempotency keys."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from hub import files, idempotency
from hub.leads import deals
from hub.leads import jobs as lead_jobs
from hub.runtime import Hub
from hub.training import jobs as training_jobs

logger = logging.getLogger("channelhub.jobs")
OBJECT_GRACE = timedelta(hours=24)
GC_EVERY = 60


async def run_once(hub: Hub, *, collect_objects: bool = False) -> int:
    """Do every due piece of background work once; return how many records moved."""
    moved = 0
    while (count := await lead_jobs.expire_offers(hub)) > 0:
        moved += count
    moved += await deals.expire(hub)
    while (count := await training_jobs.notify_expired(hub)) > 0:
        moved += count
    while (count := await training_jobs.notify_expiring(hub)) > 0:
        moved += count
    if collect_objects:
        moved += (await files.collect_garbage(hub, grace=OBJECT_GRACE)).total
        await idempotency.purge(hub)
    return moved


async def run_forever(hub: Hub, interval_seconds: float, stop: asyncio.Event | None = None) -> None:
    """Repeat the background work until `stop` is set (or the task is cancelled); a failure is
    logged, never fatal. Setting `stop` lets the round under way finish: cancelling a round
    mid-statement can leave a database connection half-opened (asyncpg warns of it)."""
    stop = stop or asyncio.Event()
    rounds = 0
    while not stop.is_set():
        try:
            await run_once(hub, collect_objects=rounds % GC_EVERY == 0)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background job failed; retrying in %.0fs", interval_seconds)
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
