"""GraphQL types of the collateral library."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub import audience
from hub.assets import service as asset_service
from hub.assets.rules import AssetKind
from hub.events import DomainEvent
from hub.partners.rules import PartnerType, Tier
from schema.arguments import ExpiresInSeconds
from schema.context import Info
from schema.enums import described_enum
from schema.events import shared
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from storage.models import Asset as AssetModel
from storage.models import AssetVersion as AssetVersionModel

described_enum(
    AssetKind,
    name="AssetKind",
    description="What kind of collateral an asset is.",
    values={
        "BROCHURE": "A brochure.",
        "DATASHEET": "A product datasheet.",
        "LOGO": "A logo of the vendor or a product.",
        "PRESENTATION": "A slide deck.",
        "VIDEO": "A video.",
        "PRICE_LIST": "A price list.",
        "CASE_STUDY": "A customer case study.",
        "OTHER": "Any other kind of file.",
    },
)


@strawberry.type(description="One file of an asset.")
class AssetVersion:
    id: strawberry.ID = strawberry.field(description="The version's id, stable for caches.")
    number: int = strawberry.field(description="The version's number, from 1.")
    file_name: str = strawberry.field(description="The file's name as uploaded.")
    size: float = strawberry.field(description="The file's size in bytes.")
    content_type: str = strawberry.field(description="Detected from the file's bytes.")
    sha256: str = strawberry.field(description="The SHA-256 digest of the file, lowercase hex.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: AssetVersionModel) -> AssetVersion:
        return cls(
            id=strawberry.ID(model.id),
            number=model.number,
            file_name=model.file_name,
            size=model.size,
            content_type=model.content_type,
            sha256=model.sha256,
            uploaded_at=model.uploaded_at,
        )


@strawberry.type(
    description="Where a partner's logo and contact block go on its co-branded copy: a page "
    "(1 for the first; images have one) and a box as fractions of the page's width and height "
    "from its top-left corner."
)
class CobrandPlacement:
    page: int = strawberry.field(description="The page the stamp goes on, 1 for the first.")
    x: float = strawberry.field(
        description="The box's left edge, a fraction 0 to 1 of the page's width."
    )
    y: float = strawberry.field(
        description="The box's top edge, a fraction 0 to 1 of the page's height."
    )
    width: float = strawberry.field(
        description="The box's width, a fraction 0 to 1 of the page's width."
    )
    height: float = strawberry.field(
        description="The box's height, a fraction 0 to 1 of the page's height."
    )


@strawberry.input(description="Where the stamp goes; fractions 0 to 1 of the page.")
class CobrandPlacementInput:
    page: int = strawberry.field(
        default=1, description="The page the stamp goes on, 1 for the first."
    )
    x: float = strawberry.field(
        description="The box's left edge, a fraction 0 to 1 of the page's width."
    )
    y: float = strawberry.field(
        description="The box's top edge, a fraction 0 to 1 of the page's height."
    )
    width: float = strawberry.field(
        description="The box's width, a fraction 0 to 1 of the page's width."
    )
    height: float = strawberry.field(
        description="The box's height, a fraction 0 to 1 of the page's height."
    )


@strawberry.type(description="A partner's co-branded copy of an asset's newest version.")
class CobrandedCopy:
    file_name: str = strawberry.field(description="The copy's file name.")
    content_type: str = strawberry.field(
        description="The copy's media type, the same as the original's."
    )
    size: float = strawberry.field(description="The copy's size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 digest of the copy, lowercase hex.")
    created_at: datetime = strawberry.field(description="When the copy was made (RFC 3339, UTC).")
    url: str = strawberry.field(description="A short-lived download URL.")
    partner_id: strawberry.ID = strawberry.field(
        description="The partner whose logo and contact block it carries."
    )


@strawberry.type(description="A brochure, datasheet, logo, deck, video, price list or case study.")
class Asset(Node):
    id: strawberry.ID = strawberry.field(description="The asset's id.")
    title: str = strawberry.field(description="The asset's title as shown in the library.")
    description: str | None = strawberry.field(description="What the asset is and when to use it.")
    kind: AssetKind = strawberry.field(description="What kind of collateral it is.")
    tags: list[str] = strawberry.field(description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        description="Codes of the product lines it is about."
    )
    language: str = strawberry.field(description="The asset's language, ISO 639-1 (e.g. en).")
    min_tier: Tier | None = strawberry.field(
        description="The lowest tier entitled to it; null for every tier."
    )
    partner_types: list[PartnerType] = strawberry.field(
        description="Only partners of these types are entitled; empty for every type."
    )
    archived: bool = strawberry.field(description="True when hidden from partners.")
    updated_at: datetime = strawberry.field(
        description="When the asset or its newest version last changed (RFC 3339, UTC)."
    )
    cobrand_placement: CobrandPlacement | None = strawberry.field(
        description="Where partners' logos go on their copies (`cobrandAsset`); null when the "
        "asset is not co-brandable."
    )

    @classmethod
    def from_model(cls, model: AssetModel) -> Asset:
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            description=model.description,
            kind=AssetKind(model.kind),
            tags=list(model.tags),
            product_lines=list(model.product_lines),
            language=model.language,
            min_tier=audience.min_tier_of(model),
            partner_types=audience.partner_types_of(model),
            archived=model.archived,
            updated_at=model.updated_at,
            cobrand_placement=None if model.cobrand is None else CobrandPlacement(**model.cobrand),
        )

    @strawberry.field(description="Versions, newest first.")
    async def versions(self, info: Info) -> list[AssetVersion]:
        rows = await AssetLoaders.of(info).versions_by_asset.load(self.id)
        return [AssetVersion.from_model(row) for row in rows]

    @strawberry.field(
        description="A short-lived URL of the newest version; every one issued is counted."
    )
    async def download_url(
        self,
        info: Info,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> str:
        return await asset_service.download_url(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=self.id,
            expires_in=expires_in_seconds,
        )


@strawberry.input(description="The metadata of a new asset.")
class AssetInput:
    title: str = strawberry.field(description="The asset's title.")
    kind: AssetKind = strawberry.field(description="What kind of collateral it is.")
    description: str | None = strawberry.field(
        default=None, description="What the asset is and when to use it."
    )
    tags: list[str] = strawberry.field(default_factory=list, description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        default_factory=list, description="Codes of the product lines it is about."
    )
    language: str = strawberry.field(
        default="en", description="The asset's language, ISO 639-1 (e.g. en)."
    )
    min_tier: Tier | None = strawberry.field(
        default=None, description="The lowest tier entitled to it; every tier when left out."
    )
    partner_types: list[PartnerType] = strawberry.field(
        default_factory=list,
        description="Only partners of these types are entitled; every type when empty.",
    )
    partner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="When given, only these partners see the asset."
    )


@strawberry.input(description="Which assets to list; the conditions given must all hold.")
class AssetFilter:
    kinds: list[AssetKind] | None = strawberry.field(
        default=None, description="Only assets of these kinds."
    )
    product_line: str | None = strawberry.field(
        default=None, description="Only assets about this product line (its code)."
    )
    search: str | None = strawberry.field(
        default=None, description="Only assets whose title, description or tags contain this text."
    )
    include_archived: bool = strawberry.field(
        default=False, description="True to list archived assets too (vendor staff)."
    )


@strawberry.type(description="Downloads of an asset by one partner and tier.")
class AssetUsage:
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner whose users downloaded it; null for vendor staff."
    )
    tier: Tier | None = strawberry.field(
        description="The partner's tier at the time of the downloads; null for vendor staff."
    )
    downloads: int = strawberry.field(
        description="Download URLs issued to them since the time asked for."
    )


@strawberry.type(description="An asset and how often it was downloaded.")
class TopAsset:
    asset: Asset = strawberry.field(description="The asset, as the caller may see it.")
    downloads: int = strawberry.field(description="Download URLs issued since the time asked for.")


@strawberry.type(description="One HTTP header to send with a direct upload.")
class HttpHeader:
    name: str = strawberry.field(description="The header's name, e.g. Content-Type.")
    value: str = strawberry.field(description="The header's value, to send exactly as given.")


@strawberry.type(description="Where to PUT a large file; then call completeAssetUpload.")
class AssetUploadTicket:
    upload_id: strawberry.ID = strawberry.field(
        description="The id to name the upload by in completeAssetUpload."
    )
    url: str = strawberry.field(description="Where to PUT the file's bytes.")
    headers: list[HttpHeader] = strawberry.field(
        description="Headers to send with the PUT, exactly as given."
    )
    expires_at: datetime = strawberry.field(
        description="When the URL stops accepting the file (RFC 3339, UTC)."
    )


@strawberry.input(description="A direct upload: a new asset (asset) or a new version (assetId).")
class AssetUploadInput:
    file_name: str = strawberry.field(description="The file's name.")
    size: float = strawberry.field(description="The file's size in bytes, a whole number.")
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The asset the file becomes a new version of."
    )
    asset: AssetInput | None = strawberry.field(
        default=None, description="The metadata of the new asset the file starts."
    )


class AssetLoaders(LoaderSet):
    """Assets by id and an asset's versions."""

    versions_by_asset = loader[str, list[AssetVersionModel]](
        lambda hub, principal, ids: asset_service.versions_by_asset(hub, ids)
    )
    asset_by_id = loader[str, AssetModel | None](
        lambda hub, principal, ids: asset_service.by_ids(hub, principal=principal, ids=ids)
    )


@strawberry.type(description="An asset, or a new version of it, was published to the subscriber.")
class AssetEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: str = strawberry.field(description="What happened: ASSET_PUBLISHED.")
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    asset_id: strawberry.ID = strawberry.field(description="The asset published.")
    version: int = strawberry.field(description="The number of the version published.")
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> AssetEvent:
        return cls(
            cursor=str(event.id),
            type=event.type,
            occurred_at=event.occurred_at,
            asset_id=strawberry.ID(event.payload["assetId"]),
            version=int(event.payload["version"]),
            event=event,
        )

    @strawberry.field(description="The asset as the subscriber may see it now.")
    async def asset(self, info: Info) -> Asset | None:
        principal, hub, asset_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.asset_id),
        )
        found = await shared(
            self.event,
            principal,
            "asset",
            lambda: asset_service.by_ids(hub, principal=principal, ids=[asset_id]),
        )
        return Asset.from_model(found[0]) if found[0] else None
