"""Campaigns: vendor staff make and publish them; partner admins opt their organizations in."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audience
from hub.assets import rules as asset_rules
from hub.campaigns import rules
from hub.campaigns.rules import CampaignChanges, CampaignFilter, CampaignInput, CampaignStatus
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds.rules import by_key
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, Role, require_vendor_staff
from hub.runtime import Hub
from storage.models import Asset
from storage.models.campaigns import (
    Campaign,
    CampaignAsset,
    CampaignParticipant,
    CampaignPartner,
)


async def create(hub: Hub, *, principal: Principal, data: CampaignInput) -> Campaign:
    """A DRAFT campaign (vendor staff)."""
    require_vendor_staff(principal)
    rules.period(data.starts_on, data.ends_on)
    wanted = data.audience.checked(field="input.visibility.partnerIds")
    kit = rules.kit(data.asset_ids)
    now = hub.clock.now()
    campaign = Campaign(
        name=rules.name(data.name),
        landing_text=rules.landing_text(data.landing_text),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=CampaignStatus.DRAFT,
        version=1,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
        **wanted.columns(),
    )
    async with hub.write() as session:
        await audience.known_partners(
            session, principal, wanted.partner_ids, field="input.visibility.partnerIds"
        )
        await _known_assets(session, kit)
        session.add(campaign)
        await session.flush()
        _link(session, campaign.id, wanted.partner_ids, kit)
    return campaign


async def update(
    hub: Hub,
    *,
    principal: Principal,
    campaign_id: str,
    changes: CampaignChanges,
    expected_version: int | None = None,
) -> Campaign:
    """Change what is given; a status moves DRAFT -> PUBLISHED <-> ARCHIVED (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        campaign = await _get(session, principal, campaign_id, for_update=True)
        if expected_version is not None and campaign.version != expected_version:
            raise Conflict(
                f"the campaign is at version {campaign.version}, not {expected_version}; "
                "read it again",
                field="expectedVersion",
            )
        if changes.name is not None:
            campaign.name = rules.name(changes.name)
        if changes.landing_text is not None:
            campaign.landing_text = rules.landing_text(changes.landing_text)
        starts_on = changes.starts_on or campaign.starts_on
        ends_on = changes.ends_on or campaign.ends_on
        rules.period(starts_on, ends_on)
        campaign.starts_on, campaign.ends_on = starts_on, ends_on
        if changes.audience is not None:
            wanted = changes.audience.checked(field="input.visibility.partnerIds")
            await audience.known_partners(
                session, principal, wanted.partner_ids, field="input.visibility.partnerIds"
            )
            for attribute, value in wanted.columns().items():
                setattr(campaign, attribute, value)
            await session.execute(
                delete(CampaignPartner).where(CampaignPartner.campaign_id == campaign.id)
            )
            _link(session, campaign.id, wanted.partner_ids, ())
        if changes.asset_ids is not None:
            kit = rules.kit(changes.asset_ids)
            await _known_assets(session, kit)
            await session.execute(
                delete(CampaignAsset).where(CampaignAsset.campaign_id == campaign.id)
            )
            _link(session, campaign.id, (), kit)
        if changes.status is not None and changes.status != campaign.status:
            current = CampaignStatus(campaign.status)
            if changes.status not in rules.MOVES[current]:
                raise Conflict(
                    f"a {current} campaign cannot become {changes.status}", field="input.status"
                )
            campaign.status = changes.status
        campaign.version += 1
        campaign.updated_at = hub.clock.now()
    return campaign


async def opt_in(hub: Hub, *, principal: Principal, campaign_id: str) -> Campaign:
    """Join a published, unfinished campaign for the caller's organization (partner
    admins); joining again changes nothing."""
    _require_partner_admin(principal)
    async with hub.write() as session:
        campaign = await _get(session, principal, campaign_id, for_update=True)
        if campaign.status != CampaignStatus.PUBLISHED:
            raise Conflict(f"this campaign is {campaign.status}; it takes no one", field="id")
        today = hub.clock.now().date()
        if campaign.ends_on < today:
            raise Conflict(f"this campaign ended on {campaign.ends_on}", field="id")
        joined = await session.get(CampaignParticipant, (campaign.id, principal.organization_id))
        if joined is None:
            session.add(
                CampaignParticipant(
                    campaign_id=campaign.id,
                    partner_id=principal.organization_id,
                    opted_in_by_id=principal.user_id,
                    opted_in_at=hub.clock.now(),
                )
            )
    return campaign


async def opt_out(hub: Hub, *, principal: Principal, campaign_id: str) -> Campaign:
    """Leave a campaign (partner admins); leads already from it keep it as their source."""
    _require_partner_admin(principal)
    async with hub.write() as session:
        campaign = await _get(session, principal, campaign_id, for_update=True)
        await session.execute(
            delete(CampaignParticipant).where(
                CampaignParticipant.campaign_id == campaign.id,
                CampaignParticipant.partner_id == principal.organization_id,
            )
        )
    return campaign


async def get(hub: Hub, *, principal: Principal, campaign_id: str) -> Campaign:
    async with hub.read() as session:
        return await _get(session, principal, campaign_id)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[Campaign | None]:
    return await by_key(hub, Campaign, Campaign.id, rules.visible(principal), ids)


async def list_campaigns(
    hub: Hub, *, principal: Principal, filter: CampaignFilter, page: PageRequest
) -> Page[Campaign]:
    """Campaigns the caller may see, newest first."""
    statement: Select[tuple[Campaign]] = select(Campaign).where(rules.visible(principal))
    if filter.statuses:
        statement = statement.where(Campaign.status.in_(list(filter.statuses)))
    if filter.running_on is not None:
        statement = statement.where(
            Campaign.starts_on <= filter.running_on, Campaign.ends_on >= filter.running_on
        )
    if filter.opted_in is not None:
        if not principal.is_partner:
            raise BadInput("optedIn is a partner's own view", field="filter.optedIn")
        joined = exists().where(
            CampaignParticipant.campaign_id == Campaign.id,
            CampaignParticipant.partner_id == principal.organization_id,
        )
        statement = statement.where(joined if filter.opted_in else ~joined)
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(Campaign.created_at, Campaign.id), descending=True
        )


async def kits(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[list[Asset]]:
    """Each campaign's kit, in order, as far as the caller may see its assets."""
    async with hub.read() as session:
        statement = asset_rules.visible(
            principal,
            select(Asset).join(CampaignAsset, CampaignAsset.asset_id == Asset.id),
        ).add_columns(CampaignAsset.campaign_id)
        rows = await session.execute(
            statement.where(CampaignAsset.campaign_id.in_(list(set(ids)))).order_by(
                CampaignAsset.position
            )
        )
        found: dict[str, list[Asset]] = {one: [] for one in ids}
        for asset, campaign_id in rows.all():
            found[campaign_id].append(asset)
    return [found[one] for one in ids]


async def named_partners(hub: Hub, *, ids: Sequence[str]) -> list[list[str]]:
    async with hub.read() as session:
        rows = await session.execute(
            select(CampaignPartner.campaign_id, CampaignPartner.partner_id)
            .where(CampaignPartner.campaign_id.in_(list(set(ids))))
            .order_by(CampaignPartner.partner_id)
        )
        found: dict[str, list[str]] = {one: [] for one in ids}
        for campaign_id, partner_id in rows.all():
            found[campaign_id].append(partner_id)
    return [found[one] for one in ids]


async def participants(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[CampaignParticipant]]:
    """Who joined each campaign, first to join first: vendor-side accounts see every
    partner, a partner its own organization only."""
    statement = select(CampaignParticipant).where(
        CampaignParticipant.campaign_id.in_(list(set(ids)))
    )
    if not principal.is_vendor:
        statement = statement.where(CampaignParticipant.partner_id == principal.organization_id)
    async with hub.read() as session:
        rows = await session.scalars(
            statement.order_by(CampaignParticipant.opted_in_at, CampaignParticipant.partner_id)
        )
        found: dict[str, list[CampaignParticipant]] = {one: [] for one in ids}
        for row in rows:
            found[row.campaign_id].append(row)
    return [found[one] for one in ids]


async def joined(session: AsyncSession, campaign_id: str, partner_id: str) -> bool:
    return await session.get(CampaignParticipant, (campaign_id, partner_id)) is not None


async def _get(
    session: AsyncSession, principal: Principal, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    statement = select(Campaign).where(Campaign.id == campaign_id, rules.visible(principal))
    if for_update:
        statement = statement.with_for_update()
    campaign = await session.scalar(statement)
    if campaign is None:
        raise NotFound("no such campaign", field="id")
    return campaign


def _require_partner_admin(principal: Principal) -> None:
    if principal.role is not Role.PARTNER_ADMIN:
        raise Forbidden("a partner admin opts the organization in or out")


async def _known_assets(session: AsyncSession, asset_ids: Sequence[str]) -> None:
    if not asset_ids:
        return
    found = set(
        (
            await session.scalars(
                select(Asset.id).where(Asset.id.in_(asset_ids), Asset.archived.is_(False))
            )
        ).all()
    )
    for n, asset in enumerate(asset_ids):
        if asset not in found:
            raise NotFound(f"no asset with id {asset!r}", field=f"input.assetIds.{n}")


def _link(
    session: AsyncSession, campaign_id: str, partner_ids: Sequence[str], kit: Sequence[str]
) -> None:
    session.add_all(
        CampaignPartner(campaign_id=campaign_id, partner_id=partner) for partner in partner_ids
    )
    session.add_all(
        CampaignAsset(campaign_id=campaign_id, asset_id=asset, position=n)
        for n, asset in enumerate(kit)
    )
