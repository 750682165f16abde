"""Background work run by every hub process: offer pull-back, deal expiry, certification
expiry notices, object cleanup, expired idempotency keys and persisted queries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

from opentelemetry import trace

from hub import files, idempotency, persisted_queries
from hub.leads import deals
from hub.leads import jobs as lead_jobs
from hub.runtime import Hub
from hub.training import jobs as training_jobs

logger = logging.getLogger("channelhub.jobs")
_tracer = trace.get_tracer("channelhub.jobs")
OBJECT_GRACE = timedelta(hours=24)
GC_EVERY = 60
# Runs of each job by outcome (`ok`, `failed`), kept by whoever runs them (web.metrics).
Runs = Counter[tuple[str, str]]
Job = Callable[[Hub], Awaitable[int]]


async def run_once(hub: Hub, *, collect_objects: bool = False, runs: Runs | None = None) -> int:
    """Do every due piece of background work once; return how many records moved.

    A job that fails stops the round (the next round tries it again); each run is counted
    in `runs` by job and outcome."""
    runs = Counter() if runs is None else runs
    moved = 0
    for name, job in _jobs(collect_objects):
        try:
            with _tracer.start_as_current_span(f"job {name}"):  # a no-op unless tracing is on
                moved += await job(hub)
        except Exception:
            runs[name, "failed"] += 1
            raise
        runs[name, "ok"] += 1
    return moved


def _jobs(collect_objects: bool) -> list[tuple[str, Job]]:
    jobs: list[tuple[str, Job]] = [
        ("expire_offers", _until_done(lead_jobs.expire_offers)),
        ("expire_deals", deals.expire),
        ("notify_expired_certifications", _until_done(training_jobs.notify_expired)),
        ("notify_expiring_certifications", _until_done(training_jobs.notify_expiring)),
    ]
    if collect_objects:
        jobs += [("collect_objects", _collect_objects), ("purge_idempotency_keys", _purge)]
    return jobs


def _until_done(job: Job) -> Job:
    """Repeat a job that works in batches until a batch moves nothing."""

    async def repeated(hub: Hub) -> int:
        moved = 0
        while (count := await job(hub)) > 0:
            moved += count
        return moved

    return repeated


async def _collect_objects(hub: Hub) -> int:
    return (await files.collect_garbage(hub, grace=OBJECT_GRACE)).total


async def _purge(hub: Hub) -> int:
    await idempotency.purge(hub)
    await persisted_queries.purge(hub)
    return 0  # purged keys are no records a caller sees move


async def run_forever(
    hub: Hub,
    interval_seconds: float,
    stop: asyncio.Event | None = None,
    *,
    runs: Runs | None = None,
) -> None:
    """Repeat the background work until `stop` is set (or the task is cancelled); a failure is
    logged, never fatal. Setting `stop` lets the round under way finish: cancelling a round
    mid-statement can leave a database connection half-opened (asyncpg warns of it)."""
    stop = stop or asyncio.Event()
    rounds = 0
    while not stop.is_set():
        try:
            await run_once(hub, collect_objects=rounds % GC_EVERY == 0, runs=runs)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background job failed; retrying in %.0fs", interval_seconds)
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
