"""The dependencies every hub service is called with."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clock import Clock
from hub.events import EventBus, transaction
from hub.settings import Settings
from storage.db import Writer
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

    def read(self) -> AsyncSession:
        """Open a session that only reads; cheaper than db() on PostgreSQL."""
        return (self.reader or self.db)()

    def write(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Open a write transaction; its events are published after it commits."""
        return transaction(self.writer, self.events)
