"""Partner logos: what co-branded collateral carries (PNG or JPEG, typed and measured from
the bytes). A partner admin uploads its organization's, vendor staff any partner's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select

from hub import files
from hub.assets import stamp
from hub.errors import BadInput, Forbidden
from hub.partners.directory import load_visible
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models.partners import PartnerLogo

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_TYPES = frozenset(stamp.LOGO_TYPES.values())


async def upload(
    hub: Hub,
    *,
    principal: Principal,
    partner_id: str,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> PartnerLogo:
    """Store a partner's logo, replacing the one it had."""
    if not (
        principal.is_vendor_staff
        or (principal.role is Role.PARTNER_ADMIN and principal.organization_id == partner_id)
    ):
        async with hub.read() as session:
            await load_visible(session, principal, partner_id)  # NOT_FOUND before FORBIDDEN
        raise Forbidden("a partner admin sets its own organization's logo")
    data = await _whole(chunks)
    stored = await files.store(
        hub, file_name, files.once(data), prefix=PartnerLogo.file_prefix, types=LOGO_TYPES
    )
    try:
        _, width, height = await asyncio.to_thread(stamp.logo_size, data)
        async with hub.write() as session:
            await load_visible(session, principal, partner_id, for_update=True)
            logo = await session.scalar(
                select(PartnerLogo).where(PartnerLogo.partner_id == partner_id)
            )
            if logo is None:
                logo = PartnerLogo(partner_id=partner_id)
                session.add(logo)
            for column, value in stored.columns().items():
                setattr(logo, column, value)
            logo.width, logo.height = width, height
            logo.uploaded_by_id = principal.user_id
            logo.uploaded_at = hub.clock.now()
    except stamp.BadFile as error:
        await files.forget(hub, [stored.key])
        raise BadInput(str(error), field="file") from None
    except BaseException:
        await files.forget(hub, [stored.key])
        raise
    return logo


async def by_partner(hub: Hub, ids: Sequence[str]) -> list[PartnerLogo | None]:
    """Each partner's logo, in order (the partners are ones the caller may see)."""
    async with hub.read() as session:
        rows = await session.scalars(
            select(PartnerLogo).where(PartnerLogo.partner_id.in_(list(set(ids))))
        )
        found = {row.partner_id: row for row in rows}
    return [found.get(one) for one in ids]


async def _whole(chunks: AsyncIterator[bytes]) -> bytes:
    """The logo's bytes, refusing more than MAX_LOGO_BYTES without reading further."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_LOGO_BYTES:
            raise BadInput(f"a logo is at most {MAX_LOGO_BYTES} bytes", field="file")
        parts.append(chunk)
    return b"".join(parts)
