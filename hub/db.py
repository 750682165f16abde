"""Small database helpers shared by the domains."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Upsert = postgresql.Insert | sqlite.Insert


def upsert(session: AsyncSession, table: Any) -> Upsert:
    """Return an INSERT that supports on_conflict_do_update on the session's dialect."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def escape_like(value: str) -> str:
    """Escape LIKE wildcards in user text (use with escape='\\\\')."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
