"""Persistence: SQLAlchemy models, engine and sessions, migrations, object store."""
