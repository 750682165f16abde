"""Apply Alembic migrations and compare the migrated schema with the models."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base
from storage.models.knowledge import is_search_machinery

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic configuration that points at storage/migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to the given revision."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def schema_diff(engine: AsyncEngine) -> list[Any]:
    """List the differences between the database schema and the models."""

    def compare(sync: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync,
            opts={
                "compare_type": True,
                "render_as_batch": sync.dialect.name == "sqlite",
                "include_name": lambda name, type_, parents: not is_search_machinery(name),
            },
        )
        with warnings.catch_warnings():
            # SQLite's reflection skips expression indexes (the directory's lower(name) one).
            warnings.filterwarnings(
                "ignore", "Skipped unsupported reflection of expression-based index"
            )
            warnings.filterwarnings(
                "ignore", "autogenerate skipping metadata-specified expression-based index"
            )
            return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)
