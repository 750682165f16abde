"""Migrations produce exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
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


async def test_the_upgrade_lists_every_product_line_already_in_use(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO products (id, sku, name, product_line, active, created_at, "
                    "updated_at) VALUES ('p1', 'SW-1', 'Switch', 'SWITCHING', true, :now, :now)"
                ),
                {"now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO courses (id, title, product_lines, estimated_minutes, "
                    "min_tier_rank, published, questions, created_at, updated_at) VALUES "
                    "('c1', 'Basics', :lines, 5, 0, false, '[]', :now, :now)"
                ),
                {"lines": json.dumps(["SWITCHING", "WIFI_6"]), "now": now},
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            listed = (
                await conn.execute(
                    text("SELECT code, name, active FROM product_lines ORDER BY code")
                )
            ).all()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in listed] == [
        ("SWITCHING", "Switching", 1),
        ("WIFI_6", "Wifi 6", 1),
    ]
