"""Asset operations: publish with versions in the object store, archive, download, usage."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience, events, product_lines, validation
from hub import files as filestore
from hub.assets.rules import (
    MAX_FILES_AT_ONCE,
    TITLE_MAX,
    TOPIC,
    AssetEventType,
    AssetFilter,
    AssetInput,
    Usage,
    checked,
    columns,
    partner_entitled,
    visible,
)
from hub.db import distinct, grouped_by, in_key_order
from hub.errors import BadInput, NotFound
from hub.files import StoredFile
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import (
    Asset,
    AssetDownload,
    AssetPartner,
    AssetVersion,
    Partner,
)

FILE_PREFIX = AssetVersion.file_prefix


async def create(
    hub: Hub,
    *,
    principal: Principal,
    data: AssetInput,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> Asset:
    """Publish a new asset with its first version (vendor staff)."""
    require_vendor_staff(principal)
    clean = checked(data)
    stored = await filestore.store(hub, file_name, chunks, prefix=FILE_PREFIX)
    return await publish_new(hub, principal=principal, data=clean, stored=stored)


async def create_many(
    hub: Hub,
    *,
    principal: Principal,
    data: AssetInput,
    files: Sequence[tuple[str, AsyncIterator[bytes]]],
) -> list[Asset]:
    """Publish one asset per file, sharing the metadata: all of them or none (vendor staff).

    With more than one file each title gets its file name, so the assets can be told apart.
    """
    require_vendor_staff(principal)
    clean = checked(data)
    if not 1 <= len(files) <= MAX_FILES_AT_ONCE:
        raise BadInput(f"send between 1 and {MAX_FILES_AT_ONCE} files", field="files")
    stored: list[StoredFile] = []
    try:
        for index, (file_name, chunks) in enumerate(files):
            stored.append(
                await filestore.store(
                    hub, file_name, chunks, prefix=FILE_PREFIX, field=f"files[{index}]"
                )
            )
        many = len(files) > 1
        entries = [(_titled(clean, one.name) if many else clean, one) for one in stored]
        return await _record_new(hub, principal, entries)
    except BaseException:
        await filestore.forget(hub, [one.key for one in stored])
        raise


async def publish_new(
    hub: Hub, *, principal: Principal, data: AssetInput, stored: StoredFile
) -> Asset:
    """Record a new asset around a stored file; the file is deleted if that fails."""
    try:
        [asset] = await _record_new(hub, principal, [(checked(data), stored)])
    except BaseException:
        await filestore.forget(hub, [stored.key])
        raise
    return asset


async def _record_new(
    hub: Hub, principal: Principal, entries: Sequence[tuple[AssetInput, StoredFile]]
) -> list[Asset]:
    now, assets = hub.clock.now(), []
    async with hub.write() as session:
        for clean, stored in entries:
            await product_lines.require(session, clean.product_lines, field="productLines")
            await audience.known_partners(
                session, principal, clean.partner_ids, field="input.partnerIds"
            )
            partners = list(clean.partner_ids)
            asset = Asset(
                **columns(clean),
                archived=False,
                created_by_id=principal.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(asset)
            await session.flush()
            session.add_all(
                AssetPartner(asset_id=asset.id, partner_id=partner) for partner in partners
            )
            version = _version(asset.id, 1, stored, principal, now)
            session.add(version)
            await session.flush()
            await _publish(hub, session, asset, version)
            assets.append(asset)
    return assets


def _titled(data: AssetInput, file_name: str) -> AssetInput:
    title = f"{data.title} ({file_name})"
    return dataclasses.replace(data, title=title[:TITLE_MAX])


async def add_version(
    hub: Hub, *, principal: Principal, asset_id: str, file_name: str, chunks: AsyncIterator[bytes]
) -> AssetVersion:
    """Publish a new version of an asset (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        await load_entitled(session, principal, asset_id)
    stored = await filestore.store(hub, file_name, chunks, prefix=FILE_PREFIX)
    return await publish_version(hub, principal=principal, asset_id=asset_id, stored=stored)


async def publish_version(
    hub: Hub, *, principal: Principal, asset_id: str, stored: StoredFile
) -> AssetVersion:
    """Record a new version around a stored file; the file is deleted if that fails."""
    try:
        async with hub.write() as session:
            asset = await load_entitled(session, principal, asset_id, for_update=True)
            number = (
                await session.scalar(
                    select(func.max(AssetVersion.number)).where(AssetVersion.asset_id == asset.id)
                )
            ) or 0
            version = _version(asset.id, number + 1, stored, principal, hub.clock.now())
            session.add(version)
            asset.updated_at = hub.clock.now()
            await session.flush()
            await _publish(hub, session, asset, version)
    except BaseException:
        await filestore.forget(hub, [stored.key])
        raise
    return version


async def archive(hub: Hub, *, principal: Principal, asset_id: str, archived: bool) -> Asset:
    """Hide an asset from partners, or show it again (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        asset = await load_entitled(session, principal, asset_id, for_update=True)
        asset.archived = archived
        asset.updated_at = hub.clock.now()
    return asset


async def download_url(hub: Hub, *, principal: Principal, asset_id: str, expires_in: int) -> str:
    """A short-lived URL of the latest version, for entitled callers; every one is recorded."""
    filestore.check_expiry(expires_in)
    async with hub.write() as session:
        asset = await load_entitled(session, principal, asset_id)
        version = await latest_version(session, asset.id)
        tier = None
        if principal.is_partner:
            tier = await session.scalar(
                select(Partner.tier).where(Partner.id == principal.organization_id)
            )
        session.add(
            AssetDownload(
                asset_id=asset.id,
                version_id=version.id,
                user_id=principal.user_id,
                partner_id=principal.organization_id if principal.is_partner else None,
                tier=tier,
                issued_at=hub.clock.now(),
            )
        )
    return await filestore.download_url(
        hub,
        version.object_key,
        file_name=version.file_name,
        content_type=version.content_type,
        expires_in=expires_in,
    )


async def get(hub: Hub, *, principal: Principal, asset_id: str) -> Asset:
    async with hub.read() as session:
        return await load_entitled(session, principal, asset_id)


async def versions_by_asset(hub: Hub, ids: Sequence[str]) -> list[list[AssetVersion]]:
    statement = (
        select(AssetVersion)
        .where(AssetVersion.asset_id.in_(ids))
        .order_by(AssetVersion.number.desc())
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.asset_id)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Asset | None]:
    async with hub.read() as session:
        rows = (
            await session.execute(visible(principal, select(Asset)).where(Asset.id.in_(ids)))
        ).scalars()
        return in_key_order(rows, ids)


async def list_assets(
    hub: Hub, *, principal: Principal, filter: AssetFilter, page: PageRequest
) -> Page[Asset]:
    """Assets the caller is entitled to, most recently changed first, with text search."""
    statement = visible(principal, select(Asset))
    if not (filter.include_archived and principal.is_vendor):
        statement = statement.where(Asset.archived.is_(False))
    if filter.kinds:
        statement = statement.where(Asset.kind.in_(distinct(kind.value for kind in filter.kinds)))
    if filter.product_line:
        line = validation.product_line(filter.product_line, field="filter.productLine")
        statement = statement.where(
            Asset.search_text.contains(f" line:{line.lower()} ", autoescape=True)
        )
    search = validation.filter_text(filter.search, field="filter.search")
    for word in (search or "").lower().split()[:8]:
        statement = statement.where(Asset.search_text.contains(word, autoescape=True))
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Asset.updated_at, Asset.id), descending=True
        )


async def usage(hub: Hub, *, principal: Principal, asset_id: str, since: datetime) -> list[Usage]:
    """Downloads of an asset since a time, by partner and tier (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        await load_entitled(session, principal, asset_id)
        rows = await session.execute(
            select(AssetDownload.partner_id, AssetDownload.tier, func.count())
            .where(AssetDownload.asset_id == asset_id, AssetDownload.issued_at >= since)
            .group_by(AssetDownload.partner_id, AssetDownload.tier)
            .order_by(func.count().desc(), AssetDownload.partner_id)
        )
        return [Usage(partner, tier, count) for partner, tier, count in rows.all()]


async def top(
    hub: Hub, *, principal: Principal, since: datetime, limit: int
) -> list[tuple[Asset, int]]:
    """The most downloaded assets since a time (vendor staff)."""
    require_vendor_staff(principal)
    if not 1 <= limit <= 100:
        raise BadInput("limit must be between 1 and 100", field="limit")
    counted = (
        select(AssetDownload.asset_id, func.count().label("downloads"))
        .where(AssetDownload.issued_at >= since)
        .group_by(AssetDownload.asset_id)
        .subquery()
    )
    async with hub.read() as session:
        rows = await session.execute(
            select(Asset, counted.c.downloads)
            .join(counted, counted.c.asset_id == Asset.id)
            .order_by(counted.c.downloads.desc(), Asset.id)
            .limit(limit)
        )
        return [(asset, int(downloads)) for asset, downloads in rows.all()]


def _version(
    asset_id: str,
    number: int,
    stored: StoredFile,
    principal: Principal,
    now: datetime,
) -> AssetVersion:
    return AssetVersion(
        asset_id=asset_id,
        number=number,
        **stored.columns(),
        uploaded_by_id=principal.user_id,
        uploaded_at=now,
    )


async def _publish(hub: Hub, session: AsyncSession, asset: Asset, version: AssetVersion) -> None:
    entitled = await session.execute(
        select(Partner.id).where(Partner.status == "ACTIVE", partner_entitled(asset))
    )
    await events.append(
        session,
        topic=TOPIC,
        type=AssetEventType.ASSET_PUBLISHED,
        subject_id=asset.id,
        audience=list(entitled.scalars()),
        payload={"assetId": asset.id, "version": version.number},
        now=hub.clock.now(),
    )


async def latest_version(session: AsyncSession, asset_id: str) -> AssetVersion:
    version = (
        await session.execute(
            select(AssetVersion)
            .where(AssetVersion.asset_id == asset_id)
            .order_by(AssetVersion.number.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if version is None:
        raise NotFound("this asset has no file yet", field="id")
    return version


async def load_entitled(
    session: AsyncSession, principal: Principal, asset_id: str, *, for_update: bool = False
) -> Asset:
    statement = visible(principal, select(Asset)).where(Asset.id == asset_id)
    if for_update:
        statement = statement.with_for_update(of=Asset)
    asset = (await session.execute(statement)).scalar_one_or_none()
    if asset is None:
        raise NotFound("no such asset", field="id")
    return asset
