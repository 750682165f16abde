"""GraphQL types of vendor campaigns: audience, kit, participants and results."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from hub import audience, sources
from hub.campaigns import attribution
from hub.campaigns import service as campaign_service
from hub.campaigns.rules import CampaignStatus
from schema.assets import Asset
from schema.context import Info
from schema.enums import described_enum
from schema.knowledge import Visibility, VisibilityInput
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits, Money
from storage.models import Asset as AssetModel
from storage.models.campaigns import Campaign as CampaignModel
from storage.models.campaigns import CampaignParticipant as ParticipantModel

described_enum(
    CampaignStatus,
    description="DRAFT until PUBLISHED to its audience; ARCHIVED when done (it may be "
    "published again). Partners never see drafts.",
    values={
        "DRAFT": "Being prepared; vendor staff only.",
        "PUBLISHED": "Open to its audience.",
        "ARCHIVED": "Done; it may be published again.",
    },
)


class CampaignLoaders(LoaderSet):
    """Campaigns by id and what hangs off them, as the caller may see them."""

    campaign_by_id = loader[str, CampaignModel | None](
        lambda hub, principal, ids: campaign_service.by_ids(hub, principal=principal, ids=ids)
    )
    kit_by_campaign = loader[str, list[AssetModel]](
        lambda hub, principal, ids: campaign_service.kits(hub, principal=principal, ids=ids)
    )
    partners_named_by_campaign = loader[str, list[str]](
        lambda hub, principal, ids: campaign_service.named_partners(hub, ids=ids)
    )
    participants_by_campaign = loader[str, list[ParticipantModel]](
        lambda hub, principal, ids: campaign_service.participants(hub, principal=principal, ids=ids)
    )
    results_by_campaign = loader[str, attribution.Results | None](
        lambda hub, principal, ids: attribution.results(hub, principal=principal, campaign_ids=ids)
    )
    campaign_source_by_lead = loader[str, str | None](
        lambda hub, principal, ids: sources.of_leads(
            hub, attribution.KIND, principal=principal, ids=ids
        )
    )
    campaign_source_by_deal = loader[str, str | None](
        lambda hub, principal, ids: sources.of_deals(
            hub, attribution.KIND, principal=principal, ids=ids
        )
    )


@strawberry.type(description="A partner that joined a campaign.")
class CampaignParticipant:
    opted_in_at: datetime = strawberry.field(description="When the partner joined (RFC 3339, UTC).")
    partner_id: strawberry.Private[str]

    @strawberry.field(description="The partner that joined.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.type(description="What came of a campaign, as the caller may see it.")
class CampaignResults:
    participants: int | None = strawberry.field(
        description="Partners that opted in; vendor-side accounts only."
    )
    leads: int = strawberry.field(description="Leads naming the campaign as their source.")
    deal_registrations: int = strawberry.field(
        description="Deal registrations naming the campaign as their source."
    )
    won_opportunities: int = strawberry.field(
        description="Opportunities of those leads and registrations that were won."
    )
    won_revenue: Money = strawberry.field(
        description="What they were won for, in the reporting currency (at the rates of the "
        "day each closed)."
    )
    missing_rates: list[str] = strawberry.field(
        description="Currencies of won amounts left out for want of an exchange rate."
    )


@strawberry.type(description="A vendor campaign partners may join, with its kit of assets.")
class Campaign(Node):
    id: strawberry.ID = strawberry.field(description="The campaign's id.")
    name: str = strawberry.field(description="The campaign's name as partners see it.")
    landing_text: str = strawberry.field(description="What partners read about it.")
    starts_on: date = strawberry.field(description="The campaign's first day (a calendar date).")
    ends_on: date = strawberry.field(description="The campaign's last day (a calendar date).")
    status: CampaignStatus = strawberry.field(
        description="Whether it is a draft, published or archived."
    )
    version: int = strawberry.field(description="1, and one more on every change.")
    created_at: datetime = strawberry.field(description="When it was made (RFC 3339, UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")
    model: strawberry.Private[CampaignModel]

    @classmethod
    def from_model(cls, model: CampaignModel) -> Campaign:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            landing_text=model.landing_text,
            starts_on=model.starts_on,
            ends_on=model.ends_on,
            status=CampaignStatus(model.status),
            version=model.version,
            created_at=model.created_at,
            updated_at=model.updated_at,
            model=model,
        )

    @strawberry.field(description="Its assets in order, those the caller may see.")
    async def kit(self, info: Info) -> list[Asset]:
        rows = await CampaignLoaders.of(info).kit_by_campaign.load(str(self.id))
        return [Asset.from_model(row) for row in rows]

    @strawberry.field(description="Who it is for; vendor-side accounts only (null for partners).")
    async def visibility(self, info: Info) -> Visibility | None:
        if not info.context.require_principal().is_vendor:
            return None
        named = await CampaignLoaders.of(info).partners_named_by_campaign.load(str(self.id))
        return Visibility(
            min_tier=audience.min_tier_of(self.model),
            partner_types=audience.partner_types_of(self.model),
            partner_ids=[strawberry.ID(partner) for partner in named],
        )

    @strawberry.field(
        description="Partners that joined, first to join first: vendor-side accounts see all, "
        "a partner only its own organization."
    )
    async def participants(self, info: Info) -> list[CampaignParticipant]:
        rows = await CampaignLoaders.of(info).participants_by_campaign.load(str(self.id))
        return [
            CampaignParticipant(opted_in_at=row.opted_in_at, partner_id=row.partner_id)
            for row in rows
        ]

    @strawberry.field(
        description="Whether the caller's organization joined it; null for vendor-side accounts."
    )
    async def opted_in(self, info: Info) -> bool | None:
        if not info.context.require_principal().is_partner:
            return None
        return bool(await CampaignLoaders.of(info).participants_by_campaign.load(str(self.id)))

    @strawberry.field(
        description="The leads and deal registrations that name it as their source and what "
        "was won of them."
    )
    async def results(self, info: Info) -> CampaignResults:
        found = await CampaignLoaders.of(info).results_by_campaign.load(str(self.id))
        if found is None:
            raise RuntimeError(f"campaign {self.id} is gone or not visible")
        return CampaignResults(
            participants=found.participants,
            leads=found.leads,
            deal_registrations=found.deal_registrations,
            won_opportunities=found.won,
            won_revenue=Money(amount_minor=MinorUnits(found.won_minor), currency=found.currency),
            missing_rates=list(found.missing_rates),
        )


async def campaign_of(info: Info, campaign_id: str | None) -> Campaign | None:
    """A campaign the caller may see, or None."""
    if campaign_id is None:
        return None
    model = await CampaignLoaders.of(info).campaign_by_id.load(campaign_id)
    return None if model is None else Campaign.from_model(model)


@strawberry.input(description="A new campaign; it starts as a DRAFT.")
class CampaignInput:
    name: str = strawberry.field(description="The campaign's name.")
    landing_text: str = strawberry.field(description="What partners read about it.")
    starts_on: date = strawberry.field(description="The campaign's first day (a calendar date).")
    ends_on: date = strawberry.field(description="The campaign's last day (a calendar date).")
    visibility: VisibilityInput | None = strawberry.field(
        default=None, description="Who it is for; by default every partner."
    )
    asset_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Its kit, in order (at most 50 assets)."
    )


@strawberry.input(description="Only the fields given change.")
class CampaignChangesInput:
    name: str | None = strawberry.field(default=None, description="The new name.")
    landing_text: str | None = strawberry.field(
        default=None, description="The new text partners read."
    )
    starts_on: date | None = strawberry.field(default=None, description="The new first day.")
    ends_on: date | None = strawberry.field(default=None, description="The new last day.")
    visibility: VisibilityInput | None = strawberry.field(
        default=None, description="Who it is for from now on."
    )
    asset_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The kit to replace the current one with, in order (at most 50 assets).",
    )
    status: CampaignStatus | None = strawberry.field(
        default=None, description="DRAFT -> PUBLISHED -> ARCHIVED -> PUBLISHED."
    )


@strawberry.input(description="Which campaigns to list; the conditions given must all hold.")
class CampaignFilter:
    statuses: list[CampaignStatus] = strawberry.field(
        default_factory=list,
        description="Only campaigns with one of these statuses; all when empty.",
    )
    running_on: date | None = strawberry.field(
        default=None, description="Campaigns that run on this day."
    )
    opted_in: bool | None = strawberry.field(
        default=None, description="Partners: only those your organization joined (or not)."
    )
