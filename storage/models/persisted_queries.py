"""Persisted documents: GraphQL documents stored once and then sent by hash or id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class PersistedQuery(Base):
    """A document by the SHA-256 of its text: registered by a client (automatic persisted
    queries) or imported from a vendor's manifest (`listed`: on the allow-list)."""

    __tablename__ = "persisted_queries"
    __table_args__ = (
        Index("ix_persisted_queries_registered_by_created_at", "registered_by", "created_at"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    # The manifest's own id of the document (a Relay id), when it is not the hash.
    document_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    operation_name: Mapped[str | None] = mapped_column(String(200))
    listed: Mapped[bool] = mapped_column(default=False)
    # Who registered it over the API ("user:<id>" or "ip:<address>"); None when imported.
    registered_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column()
