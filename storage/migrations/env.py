"""Alembic environment: runs on a connection handed over by storage.migrate."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.models.knowledge import is_search_machinery

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=lambda name, type_, parents: not is_search_machinery(name),
)
with context.begin_transaction():
    context.run_migrations()
