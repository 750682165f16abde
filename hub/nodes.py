"""Which table holds an id: every primary key is a random UUID, unique across tables, so one
statement of primary-key lookups (one per table) tells the type of each id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, column, literal, select, table, union_all

from hub.runtime import Hub


async def kinds_of(hub: Hub, ids: Sequence[str], tables: Mapping[str, str]) -> dict[str, str]:
    """The kind (a key of `tables`, which names its table) of each id found, in one statement."""
    wanted = sorted({value for value in ids if isinstance(value, str) and 0 < len(value) <= 64})
    if not wanted:
        return {}
    probes: list[Select[Any]] = [
        select(literal(kind).label("kind"), column("id"))
        .select_from(table(name, column("id")))
        .where(column("id").in_(wanted))
        for kind, name in tables.items()
    ]
    async with hub.read() as session:
        rows = (await session.execute(union_all(*probes))).all()
    return {row.id: row.kind for row in rows}
