"""The dependencies every hub service is called with."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clock import Clock
from hub.events import EventBus, transaction
from hub.settings import Settings
from storage.db import Writer, read_session, sharing_reads
from storage.objects import ObjectStore


@dataclass
class Hub:
    """Database sessions, event bus, object store, settings, clock and password hasher."""

    db: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock
    passwords: PasswordHasher
    events: EventBus
    objects: ObjectStore
    # Write transactions (queued one at a time on SQLite, see storage.db.WriteGate).
    writer: Writer
    # Sessions for reads that write nothing (storage.db.create_read_session_factory).
    reader: async_sessionmaker[AsyncSession] | None = None
    # What this process derives from the database and keeps between requests, by owner
    # (the routing index: hub.leads.snapshot).
    caches: dict[str, Any] = field(default_factory=dict)

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Open a session that only reads (autocommit on PostgreSQL); within sharing_reads()
        the request's sessions take turns on one connection."""
        return read_session(self.reader or self.db)

    def sharing_reads(self) -> AbstractAsyncContextManager[None]:
        """Let the reads of one request share one connection (storage.db.SharedReads)."""
        return sharing_reads(self.reader or self.db)

    def write(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Open a write transaction; its events are published after it commits."""
        return transaction(self.writer, self.events)
