"""The fields every record that keeps a file in the object store shows, with its link."""

from __future__ import annotations

import strawberry

from hub import files
from schema.arguments import ExpiresInSeconds
from schema.context import Info


@strawberry.type
class StoredFileFields:
    """A file as uploaded (named and typed from its bytes) and a short-lived link to it; the
    types that inherit this are reached only through records the caller may see."""

    file_name: str = strawberry.field(description="The file's name as uploaded.")
    size: int = strawberry.field(description="The file's size in bytes.")
    content_type: str = strawberry.field(
        description="The file's media type, detected from its bytes."
    )
    sha256: str = strawberry.field(
        description="The SHA-256 digest of the file's bytes, lowercase hex."
    )
    object_key: strawberry.Private[str]

    @strawberry.field(description="A short-lived link to the file.")
    async def download_url(
        self,
        info: Info,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> str:
        return await files.download_url(
            info.context.hub,
            self.object_key,
            file_name=self.file_name,
            content_type=self.content_type,
            expires_in=expires_in_seconds,
        )
