"""Leads and deal registrations that came from a campaign, and what came of each campaign.

A source is a campaign that is not a draft, named by vendor-side accounts or by a partner
whose organization opted in to it. What came of it is counted as for funded activities
(`hub.sources`), a partner seeing only its channel's part, with won amounts in the
reporting currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import sources
from hub.analytics import rollups
from hub.campaigns import rules
from hub.campaigns.rules import CampaignStatus
from hub.db import distinct
from hub.errors import Conflict, NotFound
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.campaigns import Campaign, CampaignAttribution, CampaignParticipant

KIND = sources.Kind(CampaignAttribution, CampaignAttribution.campaign_id, Campaign, rules.visible)


async def set_source(
    session: AsyncSession,
    principal: Principal,
    target: sources.Target,
    campaign_id: str | None,
    *,
    now: datetime,
    field: str = "campaignId",
) -> None:
    """Name (or, with None, clear) the campaign a lead or a registration came from."""
    if campaign_id is not None:
        campaign = await session.scalar(
            select(Campaign).where(Campaign.id == campaign_id, rules.visible(principal))
        )
        if campaign is None:
            raise NotFound("no such campaign", field=field)
        if campaign.status == CampaignStatus.DRAFT:
            raise Conflict("a draft campaign brings no leads yet", field=field)
        if principal.is_partner and (
            await session.get(CampaignParticipant, (campaign.id, principal.organization_id)) is None
        ):
            raise Conflict("opt in to the campaign before naming it as a source", field=field)
    await sources.replace(session, KIND, target, campaign_id, by=principal.user_id, now=now)


@dataclass(frozen=True)
class Results:
    """What came of a campaign, as one account may see it."""

    participants: int | None
    leads: int
    deal_registrations: int
    won: int
    won_minor: int
    currency: str
    missing_rates: tuple[str, ...]


async def results(
    hub: Hub, *, principal: Principal, campaign_ids: Sequence[str]
) -> list[Results | None]:
    """Each campaign's results, in order; None for one the caller may not see."""
    async with hub.read() as session:
        wanted = list(
            await session.scalars(
                select(Campaign.id).where(
                    Campaign.id.in_(distinct(campaign_ids)), rules.visible(principal)
                )
            )
        )
        if not wanted:
            return [None] * len(campaign_ids)
        joined = {
            campaign_id: int(count)
            for campaign_id, count in await session.execute(
                select(CampaignParticipant.campaign_id, func.count())
                .where(CampaignParticipant.campaign_id.in_(wanted))
                .group_by(CampaignParticipant.campaign_id)
            )
        }
        outcomes = await sources.outcomes(session, principal, KIND, wanted)
        rates = await rollups.rates(
            session, {c for outcome in outcomes.values() for c in outcome.currencies()}
        )
    found: dict[str, Results] = {}
    for campaign_id in wanted:
        outcome = outcomes.get(campaign_id, sources.Outcome())
        total, missing = outcome.won_in(rates, rates.reporting)
        found[campaign_id] = Results(
            participants=joined.get(campaign_id, 0) if principal.is_vendor else None,
            leads=outcome.leads,
            deal_registrations=outcome.deal_registrations,
            won=len(outcome.won),
            won_minor=total,
            currency=rates.reporting,
            missing_rates=missing,
        )
    return [found.get(campaign_id) for campaign_id in campaign_ids]
