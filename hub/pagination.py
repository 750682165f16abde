"""Keyset pagination behind every Relay connection."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from hub import json_input
from hub.errors import BadInput

T = TypeVar("T")
DEFAULT_PAGE = 20


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: str | None = None

    @classmethod
    def of(cls, first: int | None, after: str | None, *, cap: int) -> PageRequest:
        """Validate the page size against the hard cap."""
        size = DEFAULT_PAGE if first is None else first
        if size < 0 or size > cap:
            raise BadInput(f"first must be between 0 and {cap}", field="first")
        return cls(first=size, after=after)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int


def encode_cursor(values: Sequence[Any]) -> str:
    """Encode the sort key of a row as an opaque cursor."""
    plain = [
        {"dt": value.isoformat()} if isinstance(value, datetime) else value for value in values
    ]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """Decode a cursor, refusing anything this server did not issue."""
    try:
        values = json_input.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInput("after is not a valid cursor", field="after") from None
    if not isinstance(values, list) or len(values) != length:
        raise BadInput("after is not a valid cursor", field="after")
    return [_cursor_value(value) for value in values]


def _cursor_value(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, dict) and isinstance(value.get("dt"), str):
        try:
            moment = datetime.fromisoformat(value["dt"])
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise BadInput("after is not a valid cursor", field="after")


async def keyset_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    page: PageRequest,
    *,
    key: tuple[Any, ...],
    descending: bool = False,
) -> Page[T]:
    """Run one page of a statement ordered by a unique key, plus its total count."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    total = await session.scalar(counted)
    order = [column.desc() for column in key] if descending else list(key)
    keyed = statement.add_columns(*key).order_by(*order)
    if page.after is not None:
        boundary = tuple_(*decode_cursor(page.after, len(key)))
        keyed = keyed.where(tuple_(*key) < boundary if descending else tuple_(*key) > boundary)
    rows = (await session.execute(keyed.limit(page.first + 1))).all()
    visible = rows[: page.first]
    return Page(
        items=[row[0] for row in visible],
        cursors=[encode_cursor(row[1:]) for row in visible],
        has_next_page=len(rows) > page.first,
        has_previous_page=page.after is not None,
        total_count=total or 0,
    )
