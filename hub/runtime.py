"""The dependencies every hub service is called with."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.clock import Clock
from hub.settings import Settings


@dataclass
class Hub:
    """Database sessions, settings, clock and password hasher, built once per process."""

    db: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock
    passwords: PasswordHasher
