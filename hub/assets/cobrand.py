"""Co-branded collateral: vendor staff mark where on an asset (a PDF page, a PNG or JPEG) a
partner's logo and contact block go; an entitled partner then gets its own copy, made once
per asset version, logo and placement, kept in the object store and handed out by URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import asdict
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import files as filestore
from hub.assets import stamp
from hub.assets.service import latest_version, load_entitled
from hub.assets.stamp import Placement
from hub.errors import BadInput, Conflict, Forbidden
from hub.partners.directory import load_visible
from hub.partners.logos import by_partner
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import Asset, AssetVersion, Partner
from storage.models.assets import CobrandedCopy

COBRANDABLE = frozenset({"application/pdf", "image/png", "image/jpeg"})
# The smallest box, as a fraction of the page's side: a stamp must be legible.
MIN_SIDE = 0.02


def checked(placement: Placement) -> Placement:
    """A placement inside the page, of a legible size."""
    if placement.page < 1:
        raise BadInput("pages count from 1", field="placement.page")
    for name, value in asdict(placement).items():
        if name != "page" and not 0 <= value <= 1:
            raise BadInput(f"{name} is a fraction of the page, 0 to 1", field=f"placement.{name}")
    for name, start, side in (
        ("width", placement.x, placement.width),
        ("height", placement.y, placement.height),
    ):
        if side < MIN_SIDE:
            raise BadInput(f"the box's {name} is at least {MIN_SIDE}", field=f"placement.{name}")
        if start + side > 1 + 1e-9:
            raise BadInput("the box must lie within the page", field=f"placement.{name}")
    return placement


def placement_of(asset: Asset) -> Placement | None:
    return None if asset.cobrand is None else Placement(**asset.cobrand)


async def mark(
    hub: Hub, *, principal: Principal, asset_id: str, placement: Placement | None
) -> Asset:
    """Make an asset co-brandable with the stamp where `placement` says, or (None) not."""
    require_vendor_staff(principal)
    wanted = None if placement is None else checked(placement)
    async with hub.write() as session:
        asset = await load_entitled(session, principal, asset_id, for_update=True)
        if wanted is not None:
            version = await latest_version(session, asset.id)
            await _check_fits(hub, version, wanted)
        asset.cobrand = None if wanted is None else asdict(wanted)
        asset.updated_at = hub.clock.now()
    return asset


async def _check_fits(hub: Hub, version: AssetVersion, placement: Placement) -> None:
    if version.content_type not in COBRANDABLE:
        raise BadInput(
            f"a {version.content_type} file cannot be co-branded; PDF, PNG and JPEG can",
            field="id",
        )
    if version.content_type == "application/pdf":
        pages = await asyncio.to_thread(
            stamp.pdf_pages, await filestore.read(hub, version.object_key)
        )
        if placement.page > pages:
            raise BadInput(f"the PDF has {pages} pages", field="placement.page")
    elif placement.page != 1:
        raise BadInput("an image has one page", field="placement.page")


async def copy(
    hub: Hub, *, principal: Principal, asset_id: str, partner_id: str | None = None
) -> CobrandedCopy:
    """The partner's co-branded copy of the asset's latest version, made if it is not kept
    yet: a partner's own (its organization's), vendor staff any partner's (a preview)."""
    async with hub.read() as session:
        asset = await load_entitled(session, principal, asset_id)
        if principal.is_partner:
            if partner_id is not None and partner_id != principal.organization_id:
                await load_visible(session, principal, partner_id)
                raise Forbidden("a partner gets its own organization's copies")
            partner_id = principal.organization_id
        else:
            require_vendor_staff(principal)
            if partner_id is None:
                raise BadInput("name the partner whose copy to preview", field="partnerId")
        partner = await load_visible(session, principal, partner_id)
        placement = placement_of(asset)
        if placement is None:
            raise Conflict("this asset is not co-brandable", field="id")
        version = await latest_version(session, asset.id)
    [logo] = await by_partner(hub, [partner.id])
    if logo is None:
        raise Conflict(
            f"{partner.name} has no logo yet: upload one (uploadPartnerLogo) first",
            field="partnerId" if principal.is_vendor else "id",
        )
    made_from = hashlib.sha256(
        json.dumps([logo.sha256, asdict(placement)], sort_keys=True).encode()
    ).hexdigest()
    kept = await _kept(hub, version.id, partner.id, made_from)
    if kept is not None:
        return kept
    original, logo_bytes = (
        await filestore.read(hub, version.object_key),
        await filestore.read(hub, logo.object_key),
    )
    try:
        made = await asyncio.to_thread(
            stamp.stamp, original, version.content_type, placement, logo_bytes, _contact(partner)
        )
    except stamp.BadFile as error:
        raise Conflict(str(error), field="id") from None
    stored = await filestore.store(
        hub,
        _name_of(version.file_name, partner.name),
        filestore.once(made),
        prefix=CobrandedCopy.file_prefix,
        types=COBRANDABLE,
    )
    row = CobrandedCopy(
        asset_id=asset.id,
        version_id=version.id,
        partner_id=partner.id,
        made_from=made_from,
        created_at=hub.clock.now(),
        **stored.columns(),
    )
    try:
        async with hub.write() as session:
            session.add(row)
    except IntegrityError:  # a concurrent request made it first: keep that one
        await filestore.forget(hub, [stored.key])
        winner = await _kept(hub, version.id, partner.id, made_from)
        assert winner is not None
        return winner
    return row


async def download_url(hub: Hub, made: CobrandedCopy, *, expires_in: int) -> str:
    return await filestore.download_url(
        hub,
        made.object_key,
        file_name=made.file_name,
        content_type=made.content_type,
        expires_in=expires_in,
    )


async def _kept(hub: Hub, version_id: str, partner_id: str, made_from: str) -> CobrandedCopy | None:
    async with hub.read() as session:
        found: CobrandedCopy | None = await session.scalar(
            select(CobrandedCopy).where(
                CobrandedCopy.version_id == version_id,
                CobrandedCopy.partner_id == partner_id,
                CobrandedCopy.made_from == made_from,
            )
        )
    return found


def _contact(partner: Partner) -> list[str]:
    lines = [partner.name]
    if partner.website:
        lines.append(partner.website.removeprefix("https://").removeprefix("http://"))
    place = ", ".join(part for part in (partner.city, partner.country) if part)
    if place:
        lines.append(place)
    return lines


def _name_of(file_name: str, partner_name: str) -> str:
    path = PurePosixPath(file_name)
    return f"{path.stem} - {partner_name}{path.suffix}"
