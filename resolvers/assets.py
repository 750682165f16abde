"""Root fields of the collateral library: browse, upload, download, usage, live publishing."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from hub.assets import cobrand, direct
from hub.assets import rules as asset_rules
from hub.assets import service as asset_service
from hub.assets.stamp import Placement
from hub.partners.rules import Tier
from schema.arguments import After, EventsAfter, ExpiresInSeconds, First, Id
from schema.assets import (
    Asset,
    AssetEvent,
    AssetFilter,
    AssetInput,
    AssetUploadInput,
    AssetUploadTicket,
    AssetUsage,
    AssetVersion,
    CobrandedCopy,
    CobrandPlacementInput,
    HttpHeader,
    TopAsset,
)
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.inputs import to_hub
from schema.relay import Connection, page_request
from schema.uploads import Upload, bytes_of, file_of, whole_bytes


@strawberry.type
class AssetsQuery:
    @strawberry.field(
        description="Assets the caller may see, newest first; search: title, description, tags."
    )
    async def assets(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            AssetFilter | None,
            strawberry.argument(
                description="Which assets to list; every unarchived asset the caller "
                "may see when left out."
            ),
        ] = None,
    ) -> Connection[Asset]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or AssetFilter()
        result = await asset_service.list_assets(
            hub,
            principal=principal,
            filter=to_hub(wanted, asset_rules.AssetFilter),
            page=page_request(info, first, after),
        )
        return Connection[Asset].of(result, Asset.from_model)

    @strawberry.field(description="One asset the caller is entitled to.")
    async def asset(self, info: Info, id: Id) -> Asset:
        return Asset.from_model(
            await asset_service.get(
                info.context.hub, principal=info.context.require_principal(), asset_id=id
            )
        )

    @strawberry.field(
        description="Downloads of an asset since a time, by partner and tier (vendor staff)."
    )
    async def asset_usage(
        self,
        info: Info,
        asset_id: Annotated[
            strawberry.ID, strawberry.argument(description="The asset whose downloads to count.")
        ],
        since: Annotated[
            datetime,
            strawberry.argument(description="Count downloads from this time on (RFC 3339)."),
        ],
    ) -> list[AssetUsage]:
        rows = await asset_service.usage(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=asset_id,
            since=since,
        )
        return [
            AssetUsage(
                partner_id=strawberry.ID(row.partner_id) if row.partner_id else None,
                tier=Tier(row.tier) if row.tier else None,
                downloads=row.downloads,
            )
            for row in rows
        ]

    @strawberry.field(description="The most downloaded assets since a time (vendor staff).")
    async def top_assets(
        self,
        info: Info,
        since: Annotated[
            datetime,
            strawberry.argument(description="Count downloads from this time on (RFC 3339)."),
        ],
        limit: Annotated[
            int, strawberry.argument(description="How many assets to return at most.")
        ] = 10,
    ) -> list[TopAsset]:
        rows = await asset_service.top(
            info.context.hub, principal=info.context.require_principal(), since=since, limit=limit
        )
        return [TopAsset(asset=Asset.from_model(asset), downloads=count) for asset, count in rows]


@strawberry.type
class AssetsMutation:
    @strawberry.mutation(
        description="Make an asset (its newest file a PDF, PNG or JPEG) co-brandable with "
        "partners' logos and contact blocks where `placement` says, or not with null (vendor "
        "staff)."
    )
    async def set_asset_cobranding(
        self,
        info: Info,
        id: Id,
        placement: Annotated[
            CobrandPlacementInput | None,
            strawberry.argument(
                description="Where the stamp goes; null makes the asset not co-brandable."
            ),
        ],
    ) -> Asset:
        model = await cobrand.mark(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=id,
            placement=None if placement is None else to_hub(placement, Placement),
        )
        return Asset.from_model(model)

    @strawberry.mutation(
        description="Your organization's co-branded copy of an asset's newest version, made "
        "once per version, logo and placement and kept; vendor staff preview a partner's by "
        "`partnerId`."
    )
    async def cobrand_asset(
        self,
        info: Info,
        id: Id,
        partner_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Vendor staff: the partner whose copy to preview; the "
                "caller's own organization when left out."
            ),
        ] = None,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> CobrandedCopy:
        hub = info.context.hub
        made = await cobrand.copy(
            hub, principal=info.context.require_principal(), asset_id=id, partner_id=partner_id
        )
        return CobrandedCopy(
            file_name=made.file_name,
            content_type=made.content_type,
            size=made.size,
            sha256=made.sha256,
            created_at=made.created_at,
            url=await cobrand.download_url(hub, made, expires_in=expires_in_seconds),
            partner_id=strawberry.ID(made.partner_id),
        )

    @strawberry.mutation(
        description="Publish an asset with its first file (multipart request; vendor staff)."
    )
    async def upload_asset(
        self,
        info: Info,
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The asset's first file, as a part of the multipart request."
            ),
        ],
        input: Annotated[
            AssetInput,
            strawberry.argument(description="The asset's title, kind and who may see it."),
        ],
    ) -> Asset:
        upload = await file_of(file)
        data = _asset_input(input)
        model = await asset_service.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=data,
            file_name=upload.filename,
            chunks=bytes_of(upload),
        )
        return Asset.from_model(model)

    @strawberry.mutation(
        description="Publish one asset per file, sharing the metadata; all or none (vendor staff). "
        "With several files each title gets its file name."
    )
    async def upload_assets(
        self,
        info: Info,
        files: Annotated[
            list[Upload],
            strawberry.argument(
                description="The files, one asset each, as parts of the multipart request."
            ),
        ],
        input: Annotated[
            AssetInput, strawberry.argument(description="The metadata every new asset shares.")
        ],
    ) -> list[Asset]:
        uploads = [await file_of(file, field=f"files[{index}]") for index, file in enumerate(files)]
        models = await asset_service.create_many(
            info.context.hub,
            principal=info.context.require_principal(),
            data=_asset_input(input),
            files=[
                (upload.filename, bytes_of(upload, field=f"files[{index}]"))
                for index, upload in enumerate(uploads)
            ],
        )
        return [Asset.from_model(model) for model in models]

    @strawberry.mutation(
        description="Publish a new version of an asset (GraphQL multipart request; vendor staff)."
    )
    async def upload_asset_version(
        self,
        info: Info,
        asset_id: Annotated[
            strawberry.ID, strawberry.argument(description="The asset to add a version to.")
        ],
        file: Annotated[
            Upload,
            strawberry.argument(description="The new file, as a part of the multipart request."),
        ],
    ) -> AssetVersion:
        upload = await file_of(file)
        model = await asset_service.add_version(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=asset_id,
            file_name=upload.filename,
            chunks=bytes_of(upload),
        )
        return AssetVersion.from_model(model)

    @strawberry.mutation(
        description="Start a direct upload of a large file (vendor staff): PUT the file to `url` "
        "with `headers` within the hour, then call completeAssetUpload."
    )
    async def create_asset_upload(
        self,
        info: Info,
        input: Annotated[
            AssetUploadInput,
            strawberry.argument(description="The file's name and size, and the asset it is for."),
        ],
    ) -> AssetUploadTicket:
        ticket = await direct.start(
            info.context.hub,
            principal=info.context.require_principal(),
            file_name=input.file_name,
            size=whole_bytes(input.size, field="input.size"),
            asset_id=input.asset_id,
            data=_asset_input(input.asset) if input.asset else None,
        )
        return AssetUploadTicket(
            upload_id=strawberry.ID(ticket.upload_id),
            url=ticket.url,
            headers=[HttpHeader(name=name, value=value) for name, value in ticket.headers.items()],
            expires_at=ticket.expires_at,
        )

    @strawberry.mutation(
        description="Publish a directly uploaded file once its size, sha256 and type check out "
        "(vendor staff); a file that does not is removed. Returns the asset, its newest version "
        "the one just uploaded."
    )
    async def complete_asset_upload(
        self,
        info: Info,
        upload_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The uploadId of the ticket the file was PUT with."),
        ],
        sha256: Annotated[
            str,
            strawberry.argument(
                description="The file's SHA-256, in 64 hex digits, checked against what arrived."
            ),
        ],
    ) -> Asset:
        hub, principal = info.context.hub, info.context.require_principal()
        asset_id, _ = await direct.complete(
            hub, principal=principal, upload_id=upload_id, sha256=sha256
        )
        return Asset.from_model(
            await asset_service.get(hub, principal=principal, asset_id=asset_id)
        )

    @strawberry.mutation(
        description="Hide an asset from partners, or show it again (vendor staff)."
    )
    async def archive_asset(
        self,
        info: Info,
        id: Id,
        archived: Annotated[
            bool,
            strawberry.argument(
                description="True to hide the asset from partners, false to show it again."
            ),
        ] = True,
    ) -> Asset:
        model = await asset_service.archive(
            info.context.hub,
            principal=info.context.require_principal(),
            asset_id=id,
            archived=archived,
        )
        return Asset.from_model(model)


@strawberry.type
class AssetsSubscription:
    @strawberry.subscription(
        description="ASSET_PUBLISHED for assets the subscriber is entitled to; `after` replays."
    )
    async def asset_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[AssetEvent, None]:
        async with subscribe(info, {asset_rules.TOPIC}, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield AssetEvent.from_event(event)


def _asset_input(input: AssetInput) -> asset_rules.AssetInput:
    return to_hub(input, asset_rules.AssetInput)
