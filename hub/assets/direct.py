"""Large files go straight to storage: a signed upload URL, then a checked completion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from hub import files as filestore
from hub import product_lines
from hub.assets import service
from hub.assets.rules import AssetInput, AssetKind, checked
from hub.errors import BadInput, NotFound
from hub.files import UploadTicket, file_name_of
from hub.partners.rules import PartnerType, Tier
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import AssetUpload


async def start(
    hub: Hub,
    *,
    principal: Principal,
    file_name: str,
    size: int,
    asset_id: str | None = None,
    data: AssetInput | None = None,
) -> UploadTicket:
    """Hand out a signed URL to PUT a file to, for a new asset or a new version (vendor staff)."""
    require_vendor_staff(principal)
    if (asset_id is None) == (data is None):
        raise BadInput(
            "give either assetId (a new version) or asset (a new asset)", field="assetId"
        )
    filestore.checked_size(hub, size)
    if asset_id is not None:
        await service.get(hub, principal=principal, asset_id=asset_id)
    now = hub.clock.now()
    key, url, headers = await filestore.upload_url(hub, AssetUpload.file_prefix)
    clean = checked(data) if data else None
    async with hub.write() as session:
        if clean is not None:  # refused before the file is sent, and again on completion
            await product_lines.require(
                session, clean.product_lines, field="input.asset.productLines"
            )
        upload = AssetUpload(
            asset_id=asset_id,
            asset_input=_encode(clean) if clean else None,
            object_key=key,
            file_name=file_name_of(file_name),
            declared_size=size,
            created_by_id=principal.user_id,
            created_at=now,
            expires_at=now + filestore.UPLOAD_TTL,
        )
        session.add(upload)
    return UploadTicket(upload.id, url, headers, upload.expires_at)


async def complete(
    hub: Hub, *, principal: Principal, upload_id: str, sha256: str
) -> tuple[str, int]:
    """Check the stored file (size, checksum, type) and publish it; return (asset id, version)."""
    require_vendor_staff(principal)
    sha256 = filestore.checked_sha256(sha256)
    now = hub.clock.now()
    async with hub.write() as session:
        claimed = await session.execute(
            update(AssetUpload)
            .where(
                AssetUpload.id == upload_id,
                AssetUpload.completed_at.is_(None),
                AssetUpload.expires_at > now,
            )
            .values(completed_at=now)
            .returning(AssetUpload)
        )
        upload = claimed.scalar_one_or_none()
    if upload is None:
        raise NotFound("no open upload with this id (completed or expired?)", field="uploadId")
    try:
        stored = await filestore.verify_upload(
            hub,
            upload.object_key,
            file_name=upload.file_name,
            declared_size=upload.declared_size,
            sha256=sha256,
        )
        if upload.asset_id is not None:
            version = await service.publish_version(
                hub, principal=principal, asset_id=upload.asset_id, stored=stored
            )
            return upload.asset_id, version.number
        asset = await service.publish_new(
            hub, principal=principal, data=_decode(upload.asset_input or {}), stored=stored
        )
        return asset.id, 1
    except BaseException:
        await filestore.forget(hub, [upload.object_key])
        raise


def _encode(data: AssetInput) -> dict[str, Any]:
    return {
        "title": data.title,
        "kind": data.kind.value,
        "description": data.description,
        "tags": list(data.tags),
        "product_lines": list(data.product_lines),
        "language": data.language,
        "min_tier": data.min_tier.value if data.min_tier else None,
        "partner_types": [kind.value for kind in data.partner_types],
        "partner_ids": list(data.partner_ids),
    }


def _decode(raw: dict[str, Any]) -> AssetInput:
    return AssetInput(
        title=raw["title"],
        kind=AssetKind(raw["kind"]),
        description=raw.get("description"),
        tags=raw.get("tags", []),
        product_lines=raw.get("product_lines", []),
        language=raw.get("language", "en"),
        min_tier=Tier(raw["min_tier"]) if raw.get("min_tier") else None,
        partner_types=[PartnerType(kind) for kind in raw.get("partner_types", [])],
        partner_ids=raw.get("partner_ids", []),
    )
