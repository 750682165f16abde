"""The GraphQL shape of attached files, shared by best practices and messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Self

import strawberry

from schema.arguments import ExpiresInSeconds
from schema.assets import Asset
from schema.context import Info

# A hub function (hub, *, principal, attachment_id, expires_in) -> signed URL, which checks
# that the caller may see the record the file is attached to.
Signer = Callable[..., Awaitable[str]]


@strawberry.type
class AttachedFile:
    id: strawberry.ID = strawberry.field(description="The attachment's id.")
    file_name: str | None = strawberry.field(
        description="The uploaded file's name as sent; null when an asset is attached."
    )
    size: float | None = strawberry.field(
        description="The uploaded file's size in bytes; null when an asset is attached."
    )
    content_type: str | None = strawberry.field(
        description="The uploaded file's media type, detected from its bytes; null for an asset."
    )
    asset: Asset | None = strawberry.field(
        description="The attached asset of the brand library, when one is attached and the "
        "caller may see it."
    )
    signer: strawberry.Private[Signer]

    @classmethod
    def of(cls, pairs: list[tuple[Any, Any]], signer: Signer) -> list[Self]:
        """The files of (attachment row, visible asset or None) pairs."""
        return [
            cls(
                id=strawberry.ID(row.id),
                file_name=row.file_name,
                size=row.size,
                content_type=row.content_type,
                asset=Asset.from_model(asset) if asset else None,
                signer=signer,
            )
            for row, asset in pairs
        ]

    @strawberry.field(description="A short-lived URL of an uploaded file (null for assets).")
    async def download_url(
        self,
        info: Info,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> str | None:
        if self.asset is not None:
            return None
        return await self.signer(
            info.context.hub,
            principal=info.context.require_principal(),
            attachment_id=str(self.id),
            expires_in=expires_in_seconds,
        )
