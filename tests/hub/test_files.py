"""Stored files: only declared prefixes are written to and collected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from hub import files
from hub.clock import ManualClock
from hub.runtime import Hub
from storage.models import AssetVersion, BestPracticeAttachment, MessageAttachment
from storage.models.assets import CobrandedCopy
from storage.models.funds import FundClaimProof
from storage.models.partners import PartnerLogo
from storage.models.programs import AgreementVersion, ApplicationDocument
from storage.objects import new_object_key

PDF = b"%PDF-1.7\n" + b"flyer " * 500


async def stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_every_table_that_keeps_files_declares_its_prefix() -> None:
    kept = [
        "agreements",
        "applications",
        "assets",
        "claims",
        "cobranded",
        "messages",
        "partner-logos",
        "practices",
    ]
    assert files.prefixes() == kept
    assert [
        AgreementVersion.file_prefix,
        ApplicationDocument.file_prefix,
        AssetVersion.file_prefix,
        FundClaimProof.file_prefix,
        CobrandedCopy.file_prefix,
        MessageAttachment.file_prefix,
        PartnerLogo.file_prefix,
        BestPracticeAttachment.file_prefix,
    ] == kept


async def test_a_file_is_never_stored_under_a_prefix_no_table_declares(hub: Hub) -> None:
    with pytest.raises(ValueError, match="elsewhere"):
        await files.store(hub, "flyer.pdf", stream(PDF), prefix="elsewhere")

    assert [key async for key, _ in hub.objects.list_keys("elsewhere")] == []


async def test_orphans_under_every_declared_prefix_are_collected_and_nothing_else(
    hub: Hub, clock: ManualClock
) -> None:
    orphans = [new_object_key(prefix, now=clock.now()) for prefix in files.prefixes()]
    foreign = new_object_key("elsewhere", now=clock.now())
    for key in [*orphans, foreign]:
        await hub.objects.put(key, stream(PDF), content_type="application/pdf")
    kept = await files.store(hub, "kept.pdf", stream(PDF), prefix="messages")

    young = await files.collect_garbage(hub, grace=timedelta(days=36500))
    clock.advance(days=3650)
    removed = await files.collect_garbage(hub, grace=timedelta(hours=24))

    assert young.total == 0
    assert removed.objects == len(orphans) + 1  # the stored file no message kept, too
    for key in [*orphans, kept.key]:
        assert await hub.objects.head(key) is None
    assert await hub.objects.head(foreign) is not None
    await hub.objects.delete(foreign)
