"""Files of best practices: uploaded with a practice, or existing assets the contributor sees."""

from __future__ import annotations

from collections.abc import Sequence

from hub import attachments, files
from hub.errors import NotFound
from hub.knowledge import access
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Asset, BestPracticeAttachment

TABLE = attachments.Table(BestPracticeAttachment, "practice_id")


async def by_practice(
    hub: Hub, *, principal: Principal, practice_ids: Sequence[str]
) -> list[list[tuple[BestPracticeAttachment, Asset | None]]]:
    """Each practice's attachments; an asset the caller may not see is left out."""
    return await attachments.by_owners(
        hub, principal=principal, table=TABLE, owner_ids=practice_ids
    )


async def attachment_url(
    hub: Hub, *, principal: Principal, attachment_id: str, expires_in: int
) -> str:
    """A short-lived URL of an uploaded attachment, for whoever may see its practice."""
    files.check_expiry(expires_in)
    async with hub.read() as session:
        attachment = await session.get(BestPracticeAttachment, attachment_id)
        if attachment is None:
            raise NotFound("no such attachment", field="id")
        await access.readable_practice(session, principal, attachment.practice_id, field="id")
    return await attachments.download_url(hub, attachment, expires_in=expires_in)
