"""Files of best practices: uploaded with a practice, or existing assets the contributor sees."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.assets import service as asset_service
from hub.assets.rules import visible as assets_visible
from hub.db import grouped_by
from hub.errors import BadInput, NotFound
from hub.knowledge import access
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Asset, BestPracticeAttachment


async def attachments(
    hub: Hub, *, principal: Principal, practice_ids: Sequence[str]
) -> list[list[tuple[BestPracticeAttachment, Asset | None]]]:
    """Each practice's attachments; an asset the caller may not see is left out."""
    async with hub.db() as session:
        rows = (
            await session.scalars(
                select(BestPracticeAttachment)
                .where(BestPracticeAttachment.practice_id.in_(practice_ids))
                .order_by(BestPracticeAttachment.position)
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
    return grouped_by(kept, practice_ids, lambda pair: pair[0].practice_id)


async def attachment_url(
    hub: Hub, *, principal: Principal, attachment_id: str, expires_in: int
) -> str:
    """A short-lived URL of an uploaded attachment, for whoever may see its practice."""
    if not 10 <= expires_in <= 7 * 86400:
        raise BadInput("expiresInSeconds must be between 10 and 604800", field="expiresInSeconds")
    async with hub.db() as session:
        attachment = await session.get(BestPracticeAttachment, attachment_id)
        if attachment is None:
            raise NotFound("no such attachment", field="id")
        await access.readable_practice(session, principal, attachment.practice_id, field="id")
    if attachment.object_key is None:
        raise BadInput("this attachment is an asset: use the asset's downloadUrl", field="id")
    return await hub.objects.download_url(
        attachment.object_key,
        expires_in=expires_in,
        filename=attachment.file_name or "attachment",
        content_type=attachment.content_type,
    )


def attach(
    session: AsyncSession,
    practice_id: str,
    asset_ids: Sequence[str],
    stored: Sequence[asset_service.Stored],
    *,
    first_position: int = 0,
) -> None:
    position = first_position
    for key, name, size, content_type, sha256 in stored:
        session.add(
            BestPracticeAttachment(
                practice_id=practice_id,
                position=position,
                object_key=key,
                file_name=name,
                size=size,
                content_type=content_type,
                sha256=sha256,
            )
        )
        position += 1
    for asset_id in asset_ids:
        session.add(
            BestPracticeAttachment(practice_id=practice_id, position=position, asset_id=asset_id)
        )
        position += 1


async def usable_assets(
    session: AsyncSession, principal: Principal, asset_ids: Sequence[str]
) -> None:
    """Attached assets must be ones the contributor may see (others look missing)."""
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
    missing = [asset for asset in asset_ids if asset not in found]
    if missing:
        raise NotFound(f"no asset with id {missing[0]!r}", field="input.assetIds")
