"""Campaign states, inputs and who may see what.

Vendor staff make campaigns as DRAFT, PUBLISH them to their audience (a minimum tier,
partner types or named partners, as for articles and assets) and ARCHIVE them when done
(an archived one may be published again). Partners see the published and archived
campaigns their tier, type or name entitles them to, never drafts; a partner admin opts
its organization in while a campaign is published and not over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, true

from hub import audience, validation
from hub.audience import Audience
from hub.errors import BadInput
from hub.roles import Principal
from storage.models.campaigns import Campaign, CampaignPartner

NAMED = audience.NamedPartners(CampaignPartner.campaign_id, CampaignPartner.partner_id)
MAX_KIT = 50
MAX_LANDING_TEXT = 20_000
MAX_CAMPAIGN_DAYS = 366


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


# Where a campaign may go from each state.
MOVES = {
    CampaignStatus.DRAFT: {CampaignStatus.PUBLISHED},
    CampaignStatus.PUBLISHED: {CampaignStatus.ARCHIVED},
    CampaignStatus.ARCHIVED: {CampaignStatus.PUBLISHED},
}


@dataclass(frozen=True)
class CampaignInput:
    name: str
    landing_text: str
    starts_on: date
    ends_on: date
    audience: Audience = field(default_factory=Audience)
    asset_ids: Sequence[str] = ()


@dataclass(frozen=True)
class CampaignChanges:
    name: str | None = None
    landing_text: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    audience: Audience | None = None
    asset_ids: Sequence[str] | None = None
    status: CampaignStatus | None = None


@dataclass(frozen=True)
class CampaignFilter:
    statuses: Sequence[CampaignStatus] = field(default_factory=tuple)
    running_on: date | None = None
    opted_in: bool | None = None


def visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every campaign; a partner the entitled, undrafted ones."""
    if principal.is_vendor:
        return true()
    return and_(
        Campaign.status != CampaignStatus.DRAFT,
        audience.entitles(Campaign, NAMED, principal.organization_id),
    )


def name(value: str) -> str:
    return validation.text(value, field="input.name", max_length=200)


def landing_text(value: str) -> str:
    return validation.text(value, field="input.landingText", max_length=MAX_LANDING_TEXT)


def period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise BadInput("a campaign cannot end before it starts", field="input.endsOn")
    if (ends_on - starts_on).days > MAX_CAMPAIGN_DAYS:
        raise BadInput("a campaign runs for at most a year", field="input.endsOn")


def kit(asset_ids: Sequence[str]) -> list[str]:
    """The kit's assets in the order given, each once."""
    validation.at_most(asset_ids, MAX_KIT, field="input.assetIds", what="assets in a kit")
    if len(set(asset_ids)) != len(asset_ids):
        raise BadInput("each asset is in the kit once", field="input.assetIds")
    return list(asset_ids)
