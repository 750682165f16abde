"""GraphQL types of the collateral library."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub import audience
from hub.assets import service as asset_service
from hub.assets.rules import AssetKind
from hub.events import DomainEvent
from hub.partners.rules import PartnerType, Tier
from schema.context import Info
from schema.events import shared
from schema.loading import LoaderSet, loader
from storage.models import Asset as AssetModel
from storage.models import AssetVersion as AssetVersionModel

strawberry.enum(AssetKind, name="AssetKind")


@strawberry.type(description="One file of an asset.")
class AssetVersion:
    number: int
    file_name: str
    size: float = strawberry.field(description="Bytes.")
    content_type: str = strawberry.field(description="Detected from the file's bytes.")
    sha256: str
    uploaded_at: datetime

    @classmethod
    def from_model(cls, model: AssetVersionModel) -> AssetVersion:
        return cls(
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
    page: int
    x: float
    y: float
    width: float
    height: float


@strawberry.input(description="Where the stamp goes; fractions 0 to 1 of the page.")
class CobrandPlacementInput:
    page: int = 1
    x: float
    y: float
    width: float
    height: float


@strawberry.type(description="A partner's co-branded copy of an asset's newest version.")
class CobrandedCopy:
    file_name: str
    content_type: str
    size: float
    sha256: str
    created_at: datetime
    url: str = strawberry.field(description="A short-lived download URL.")
    partner_id: strawberry.ID


@strawberry.type(description="A brochure, datasheet, logo, deck, video, price list or case study.")
class Asset:
    id: strawberry.ID
    title: str
    description: str | None
    kind: AssetKind
    tags: list[str]
    product_lines: list[str]
    language: str
    min_tier: Tier | None
    partner_types: list[PartnerType]
    archived: bool
    updated_at: datetime
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
    async def download_url(self, info: Info, expires_in_seconds: int = 300) -> str:
        return await asset_service.download_url(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=self.id,
            expires_in=expires_in_seconds,
        )


@strawberry.input
class AssetInput:
    title: str
    kind: AssetKind
    description: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    product_lines: list[str] = strawberry.field(default_factory=list)
    language: str = "en"
    min_tier: Tier | None = None
    partner_types: list[PartnerType] = strawberry.field(default_factory=list)
    partner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="When given, only these partners see the asset."
    )


@strawberry.input
class AssetFilter:
    kinds: list[AssetKind] | None = None
    product_line: str | None = None
    search: str | None = None
    include_archived: bool = False


@strawberry.type
class AssetUsage:
    partner_id: strawberry.ID | None
    tier: Tier | None
    downloads: int


@strawberry.type
class TopAsset:
    asset: Asset
    downloads: int


@strawberry.type
class HttpHeader:
    name: str
    value: str


@strawberry.type(description="Where to PUT a large file; then call completeAssetUpload.")
class AssetUploadTicket:
    upload_id: strawberry.ID
    url: str
    headers: list[HttpHeader]
    expires_at: datetime


@strawberry.input(description="A direct upload: a new asset (asset) or a new version (assetId).")
class AssetUploadInput:
    file_name: str
    size: float
    asset_id: strawberry.ID | None = None
    asset: AssetInput | None = None


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
    cursor: str
    type: str
    occurred_at: datetime
    asset_id: strawberry.ID
    version: int
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
