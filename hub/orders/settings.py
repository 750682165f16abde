"""The vendor's order policy: where returned units go back on hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import NotFound
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import OrderSettings, Warehouse

SETTINGS_ROW = 1


@dataclass(frozen=True)
class OrderPolicy:
    """None: returned units go back to the warehouses they were shipped from."""

    returns_warehouse: Warehouse | None


async def returns_warehouse_id(session: AsyncSession) -> str | None:
    """The warehouse returned units go to, if the vendor named one."""
    row = await session.get(OrderSettings, SETTINGS_ROW)
    return row.returns_warehouse_id if row else None


async def get_policy(hub: Hub, *, principal: Principal) -> OrderPolicy:
    """Read the order policy (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        warehouse_id = await returns_warehouse_id(session)
        warehouse = await session.get(Warehouse, warehouse_id) if warehouse_id else None
    return OrderPolicy(warehouse)


async def update_policy(
    hub: Hub, *, principal: Principal, returns_warehouse: str | None
) -> OrderPolicy:
    """Name the warehouse returned units go to, or None for where they were shipped from."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        warehouse = None
        if returns_warehouse is not None:
            code = returns_warehouse.strip().upper()
            warehouse = await session.scalar(select(Warehouse).where(Warehouse.code == code))
            if warehouse is None:
                raise NotFound(f"no warehouse with code {code!r}", field="returnsWarehouse")
        row = await session.get(OrderSettings, SETTINGS_ROW, with_for_update=True)
        if row is None:
            row = OrderSettings(id=SETTINGS_ROW)
            session.add(row)
        row.returns_warehouse_id = warehouse.id if warehouse else None
        row.updated_at = hub.clock.now()
    return OrderPolicy(warehouse)
