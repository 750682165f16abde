"""Asset rules: kinds, input checks, content-type sniffing, and who is entitled to what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, true

from hub import audience, validation
from hub.audience import TIER_RANK
from hub.partners.rules import PartnerType, Tier
from hub.roles import Principal
from storage.models import Asset, AssetPartner

NAMED = audience.NamedPartners(AssetPartner.asset_id, AssetPartner.partner_id)

TITLE_MAX = 200
MAX_TAGS = 50
# Files one uploadAssets call may carry (a multipart request holds at most 20).
MAX_FILES_AT_ONCE = 20


# The event topic of assets.
TOPIC = "asset"


class AssetEventType(StrEnum):
    ASSET_PUBLISHED = "ASSET_PUBLISHED"


class AssetKind(StrEnum):
    BROCHURE = "BROCHURE"
    DATASHEET = "DATASHEET"
    LOGO = "LOGO"
    PRESENTATION = "PRESENTATION"
    VIDEO = "VIDEO"
    PRICE_LIST = "PRICE_LIST"
    CASE_STUDY = "CASE_STUDY"
    OTHER = "OTHER"


@dataclass(frozen=True)
class AssetInput:
    title: str
    kind: AssetKind
    description: str | None = None
    tags: Sequence[str] = ()
    product_lines: Sequence[str] = ()
    language: str = "en"
    min_tier: Tier | None = None
    partner_types: Sequence[PartnerType] = ()
    partner_ids: Sequence[str] = ()


@dataclass(frozen=True)
class AssetFilter:
    kinds: Sequence[AssetKind] = ()
    product_line: str | None = None
    search: str | None = None
    include_archived: bool = False


@dataclass(frozen=True)
class Usage:
    partner_id: str | None
    tier: str | None
    downloads: int


def visible(principal: Principal, statement: Select[tuple[Asset]]) -> Select[tuple[Asset]]:
    """Vendor staff see all; a partner the unarchived assets its tier, type or name entitles."""
    if principal.is_vendor:
        return statement
    return statement.where(_entitled(principal.organization_id))


def _entitled(partner_id: str) -> ColumnElement[bool]:
    return and_(Asset.archived.is_(False), audience.entitles(Asset, NAMED, partner_id))


def checked(data: AssetInput) -> AssetInput:
    # Every tag counts, rather than keeping the first ones of too many.
    validation.at_most(list(set(data.tags)), MAX_TAGS, field="tags", what="tags")
    return AssetInput(
        title=validation.text(data.title, field="title", max_length=TITLE_MAX),
        kind=data.kind,
        description=validation.optional_text(
            data.description, field="description", max_length=10_000
        ),
        tags=sorted(
            {validation.text(tag, field="tags", max_length=50).lower() for tag in data.tags}
        ),
        product_lines=validation.product_lines(data.product_lines, field="productLines"),
        language=validation.text(data.language, field="language", max_length=8).lower(),
        min_tier=data.min_tier,
        partner_types=sorted(set(data.partner_types)),
        partner_ids=audience.named_partners(data.partner_ids, field="partnerIds"),
    )


def columns(data: AssetInput) -> dict[str, Any]:
    words = [
        data.title,
        data.description or "",
        *data.tags,
        *(f"line:{line}" for line in data.product_lines),
    ]
    return {
        "title": data.title,
        "description": data.description,
        "kind": data.kind,
        "tags": list(data.tags),
        "search_text": f" {' '.join(words).lower()} ",
        "product_lines": list(data.product_lines),
        "language": data.language,
        "min_tier_rank": TIER_RANK[data.min_tier] if data.min_tier else 0,
        "partner_types": f",{','.join(data.partner_types)}," if data.partner_types else "",
        "named_only": bool(data.partner_ids),
    }


def partner_entitled(asset: Asset) -> ColumnElement[bool]:
    """SQL over Partner: which partners may see this asset."""
    if asset.archived:
        return ~true()
    return audience.partners_entitled_to(asset, NAMED)
