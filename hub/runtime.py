"""The dependencies every hub service is called with."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clock import Clock
from hub.events import EventBus, transaction
from hub.settings import Settings
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

    def write(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Open a write transaction; its events are published after it commits."""
        return transaction(self.db, self.events)
