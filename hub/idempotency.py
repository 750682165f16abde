"""Idempotency keys: a request sent again with the same key (by the same account) gets the
first answer instead of running twice; the same key with another request is refused; one
still running makes the retry wait its turn (CONFLICT). Keys are kept for a day."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from hub.db import upsert
from hub.errors import BadInput, Conflict
from hub.runtime import Hub
from storage.models import IdempotentRequest

KEPT = timedelta(hours=24)
# A first request that has not answered within this long died with its process: a retry
# takes the key over and runs.
RUNNING_LEASE = timedelta(minutes=10)
MAX_KEY = 200


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    media_type: str


def fingerprint_of(params: Any, scopes: frozenset[str] | None = None) -> str:
    """What makes two requests the same: their query, variables and operation name, and the
    scopes of the API key sent (a key of fewer scopes never gets another key's answer)."""
    sent = {
        "query": params.query,
        "variables": params.variables,
        "operationName": params.operation_name,
        **({"scopes": sorted(scopes)} if scopes is not None else {}),
    }
    return hashlib.sha256(json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()


def checked_key(value: str) -> str:
    """An Idempotency-Key as sent: 1-200 visible ASCII characters."""
    key = value.strip()
    if not key or len(key) > MAX_KEY or not all(33 <= ord(char) < 127 for char in key):
        raise BadInput(
            "Idempotency-Key is 1 to 200 visible ASCII characters", field="Idempotency-Key"
        )
    return key


async def begin(hub: Hub, *, user_id: str, key: str, fingerprint: str) -> Answer | None:
    """Claim the key for this request (None: run it), or the answer it got the first time."""
    now = hub.clock.now()
    async with hub.write() as session:
        await session.execute(
            delete(IdempotentRequest).where(
                IdempotentRequest.user_id == user_id,
                IdempotentRequest.key == key,
                IdempotentRequest.created_at < now - KEPT,
            )
        )
        claimed = await session.execute(
            upsert(session, IdempotentRequest)
            .values(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotentRequest.key)
        )
        if claimed.first() is not None:
            return None
        found = await session.scalar(
            select(IdempotentRequest).where(
                IdempotentRequest.user_id == user_id, IdempotentRequest.key == key
            )
        )
    if found is None or found.fingerprint != fingerprint:
        raise BadInput(
            "this Idempotency-Key was used for another request; use a new key for each request",
            field="Idempotency-Key",
        )
    if found.status is None and found.created_at < now - RUNNING_LEASE:
        async with hub.write() as session:
            taken = await session.execute(
                update(IdempotentRequest)
                .where(
                    IdempotentRequest.user_id == user_id,
                    IdempotentRequest.key == key,
                    IdempotentRequest.status.is_(None),
                    IdempotentRequest.created_at == found.created_at,
                )
                .values(created_at=now)
            )
        if getattr(taken, "rowcount", 0) == 1:
            return None
    if found.status is None or found.body is None:
        raise Conflict(
            "a request with this Idempotency-Key is still running; retry once it has answered",
            field="Idempotency-Key",
        )
    return Answer(found.status, found.body, found.media_type or "application/json")


async def finish(hub: Hub, *, user_id: str, key: str, answer: Answer) -> None:
    """Keep the answer for retries with the key."""
    async with hub.write() as session:
        await session.execute(
            update(IdempotentRequest)
            .where(IdempotentRequest.user_id == user_id, IdempotentRequest.key == key)
            .values(status=answer.status, body=answer.body, media_type=answer.media_type)
        )


async def purge(hub: Hub) -> int:
    """Delete the keys older than KEPT (a background job); how many went."""
    async with hub.write() as session:
        gone = await session.execute(
            delete(IdempotentRequest).where(IdempotentRequest.created_at < hub.clock.now() - KEPT)
        )
    return int(getattr(gone, "rowcount", 0) or 0)


async def forget(hub: Hub, *, user_id: str, key: str) -> None:
    """Let the key go (the request failed before it answered): a retry runs it."""
    async with hub.write() as session:
        await session.execute(
            delete(IdempotentRequest).where(
                IdempotentRequest.user_id == user_id,
                IdempotentRequest.key == key,
                IdempotentRequest.status.is_(None),
            )
        )
