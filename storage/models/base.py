"""Declarative base with a naming convention and shared column types."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    Table,
    TypeDecorator,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_id() -> str:
    """Return a new random primary key."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class AttributionMixin:
    """A row saying a lead or a deal registration (one of them, once per source kind) came
    from a source, with who said so and when; the source column is the table's own."""

    lead_id: Mapped[str | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), unique=True
    )
    deal_registration_id: Mapped[str | None] = mapped_column(
        ForeignKey("deal_registrations.id", ondelete="CASCADE"), unique=True
    )
    attributed_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    attributed_at: Mapped[datetime] = mapped_column()


class FileOwner:
    """A table whose rows keep files in the object store, under the one key prefix it names.

    Declaring the prefix is what lets `hub.files` store files under it and collect what no
    row refers to: a prefix no model declares is never listed, so never collected.
    """

    file_prefix: ClassVar[str]
    # The key column is declared by each owner (or by `AttachedFile`).
    object_key: Mapped[str] | Mapped[str | None]

    @classmethod
    def keeps(cls, now: datetime) -> ColumnElement[bool]:
        """Which rows still hold on to their object; all of them unless an owner says less."""
        return true()

    @classmethod
    def expired(cls, cutoff: datetime) -> ColumnElement[bool] | None:
        """Rows the collector deletes once older than the grace, if the owner has such."""
        return None


class AttachedFile(FileOwner):
    """A file attached to a record: uploaded with it (key and facts set) or an asset (unset)."""

    object_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))


def file_owners() -> list[type[FileOwner]]:
    """Every mapped model that keeps files, in a stable order."""
    owners = [
        mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, FileOwner)
    ]
    return sorted(owners, key=lambda owner: owner.__name__)


def table_of(model: type[Base]) -> Table:
    """A model's table, for plain Core statements on hot paths (no ORM bookkeeping)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
