"""Files attached to records (best practices, messages): uploaded with the record and kept in
the object store, or existing assets the attaching user may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files
from hub.assets.rules import visible as assets_visible
from hub.db import grouped_by
from hub.errors import BadInput, NotFound
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Asset


@dataclass(frozen=True)
class Table:
    """An attachment table: its model and the column naming the record it belongs to."""

    model: Any
    owner: str

    def owner_of(self, row: Any) -> str:
        owner: str = getattr(row, self.owner)
        return owner


def add(
    session: AsyncSession,
    table: Table,
    owner_id: str,
    stored: Sequence[files.StoredFile],
    asset_ids: Sequence[str],
    *,
    first_position: int = 0,
) -> None:
    """Attach stored files, then assets, in that order."""
    position = first_position
    for one in stored:
        session.add(table.model(**{table.owner: owner_id}, position=position, **one.columns()))
        position += 1
    for asset_id in asset_ids:
        session.add(table.model(**{table.owner: owner_id}, position=position, asset_id=asset_id))
        position += 1


async def by_owners(
    hub: Hub, *, principal: Principal, table: Table, owner_ids: Sequence[str]
) -> list[list[tuple[Any, Asset | None]]]:
    """Each record's attachments in order; an asset the caller may not see is left out."""
    owner = getattr(table.model, table.owner)
    async with hub.read() as session:
        rows = (
            await session.scalars(
                select(table.model)
                .where(owner.in_(owner_ids))
                .order_by(owner, table.model.position)
            )
        ).all()
        asset_ids = [row.asset_id for row in rows if row.asset_id]
        assets = {
            asset.id: asset
            for asset in (
                await session.scalars(
                    assets_visible(principal, select(Asset)).where(
                        Asset.id.in_(asset_ids), Asset.archived.is_(False)
                    )
                )
            ).all()
        }
    kept = [
        (row, assets.get(row.asset_id) if row.asset_id else None)
        for row in rows
        if row.asset_id is None or row.asset_id in assets
    ]
    return grouped_by(kept, owner_ids, lambda pair: table.owner_of(pair[0]))


async def usable_assets(
    session: AsyncSession, principal: Principal, asset_ids: Sequence[str], *, field: str
) -> None:
    """Attached assets must be ones the attaching user may see; others look missing."""
    if not asset_ids:
        return
    found = {
        asset.id
        for asset in (
            await session.scalars(
                assets_visible(principal, select(Asset)).where(Asset.id.in_(asset_ids))
            )
        ).all()
    }
    for index, asset_id in enumerate(asset_ids):
        if asset_id not in found:
            raise NotFound(f"no asset with id {asset_id!r}", field=f"{field}[{index}]")


async def download_url(hub: Hub, attachment: Any, *, expires_in: int) -> str:
    """A short-lived URL of an uploaded file, named as uploaded; callers check access first."""
    if attachment.object_key is None:
        raise BadInput("this attachment is an asset: use the asset's downloadUrl", field="id")
    return await files.download_url(
        hub,
        attachment.object_key,
        file_name=attachment.file_name or "attachment",
        content_type=attachment.content_type,
        expires_in=expires_in,
    )
