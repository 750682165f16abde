"""Migrations produce exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.db import create_engine


async def test_postgresql_schema_matches_the_models(database: AsyncEngine) -> None:
    assert await migrate.schema_diff(database) == []
    assert await migrate.current_revision(database) is not None


async def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)

        assert await migrate.schema_diff(engine) == []
    finally:
        await engine.dispose()
