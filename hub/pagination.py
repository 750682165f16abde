"""Keyset pagination behind every Relay connection."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import ColumnElement, DateTime, Float, Integer, Select, String, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator, TypeEngine

from hub import json_input, validation
from hub.errors import BadInput

T = TypeVar("T")
DEFAULT_PAGE = 20
# Far above any cursor this server issues (a tag and a key of a few short values).
MAX_CURSOR_LENGTH = 4096
MAX_KEY_TEXT = 1000
_KINDS: tuple[tuple[type[TypeEngine[Any]], type], ...] = (
    (DateTime, datetime),
    (String, str),
    (Integer, int),
    (Float, float),
)


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: str | None = None
    # False when nobody asked for the total: the count(*) is not run.
    count: bool = True

    @classmethod
    def of(
        cls, first: int | None, after: str | None, *, cap: int, count: bool = True
    ) -> PageRequest:
        """Validate the page size against the hard cap."""
        size = DEFAULT_PAGE if first is None else first
        if size < 0 or size > cap:
            raise BadInput(f"first must be between 0 and {cap}", field="first")
        return cls(first=size, after=after, count=count)


class Cursors(Sequence[str]):
    """The cursors of a page's rows, each encoded only when read: a client that selects no
    cursor (most lists) pays for none."""

    def __init__(self, tag: str, keys: Sequence[Sequence[Any]]) -> None:
        self._tag = tag
        self._keys = keys

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [encode_cursor(self._tag, key) for key in self._keys[index]]
        return encode_cursor(self._tag, self._keys[index])


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool
    # None when the page request did not ask for it.
    total_count: int | None


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    """Encode the sort key of a row, and the list and sort it belongs to, as an opaque cursor."""
    plain = [
        {"dt": value.isoformat()} if isinstance(value, datetime) else value for value in values
    ]
    text = json.dumps([tag, *plain], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, tag: str, kinds: Sequence[type]) -> list[Any]:
    """Decode a cursor of this list and sort, refusing anything else as bad input on `after`."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _not_ours()
    try:
        values = json_input.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise _not_ours() from None
    if not isinstance(values, list) or len(values) != len(kinds) + 1 or values[0] != tag:
        raise _not_ours()
    return [_cursor_value(value, kind) for value, kind in zip(values[1:], kinds, strict=True)]


def sort_tag(key: Sequence[ColumnElement[Any]], *, descending: bool) -> str:
    """Name a sort by its key expressions, so a cursor of another list or sort is refused."""
    described = ",".join(str(column) for column in key) + (" desc" if descending else "")
    return hashlib.blake2b(described.encode(), digest_size=6).hexdigest()


def sort_kinds(key: Sequence[ColumnElement[Any]]) -> list[type]:
    """The Python type of each sort key part, from its SQL type."""
    kinds = []
    for column in key:
        sql_type = column.type
        if isinstance(sql_type, TypeDecorator):
            sql_type = sql_type.impl_instance
        kind = next((kind for sql, kind in _KINDS if isinstance(sql_type, sql)), None)
        if kind is None:
            raise TypeError(f"sort key {column} needs a SQL type (type_=...) for its cursors")
        kinds.append(kind)
    return kinds


def _not_ours() -> BadInput:
    return BadInput(
        "after is not a cursor of this list: pass a cursor this list returned, "
        "or leave after out to start at the first page",
        field="after",
    )


def _cursor_value(value: Any, kind: type) -> Any:
    """Check one key part against the type its sort column has."""
    if kind is datetime and isinstance(value, dict) and isinstance(value.get("dt"), str):
        try:
            moment = datetime.fromisoformat(value["dt"])
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    elif kind is str and isinstance(value, str) and len(value) <= MAX_KEY_TEXT:
        if validation.storable(value):
            return value
    elif isinstance(value, bool):
        pass
    elif kind is int and isinstance(value, int) and abs(value) < 2**63:
        return value
    elif kind is float and isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    raise _not_ours()


async def keyset_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    page: PageRequest,
    *,
    key: tuple[Any, ...],
    descending: bool = False,
) -> Page[T]:
    """Run one page of a statement ordered by a unique key, plus its total count."""
    tag = sort_tag(key, descending=descending)
    after = None if page.after is None else decode_cursor(page.after, tag, sort_kinds(key))
    total = None
    if page.count:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        total = await session.scalar(counted) or 0
    order = [column.desc() for column in key] if descending else list(key)
    keyed = statement.add_columns(*key).order_by(*order)
    if after is not None:
        boundary = tuple_(*after)
        keyed = keyed.where(tuple_(*key) < boundary if descending else tuple_(*key) > boundary)
    rows = (await session.execute(keyed.limit(page.first + 1))).all()
    visible = rows[: page.first]
    return Page(
        items=[row[0] for row in visible],
        cursors=Cursors(tag, [row[1:] for row in visible]),
        has_next_page=len(rows) > page.first,
        has_previous_page=page.after is not None,
        total_count=total,
    )
