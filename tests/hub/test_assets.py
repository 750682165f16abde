"""Collateral: publishing from a stream, type sniffing, limits, entitlement, downloads and usage."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub import files
from hub.assets import direct
from hub.assets import service as assets
from hub.assets.rules import AssetFilter, AssetInput, AssetKind
from hub.clock import ManualClock
from hub.errors import BadInput, Forbidden, NotFound
from hub.pagination import PageRequest
from hub.partners import PartnerType, Tier
from hub.roles import Role
from hub.runtime import Hub
from hub.settings import load_settings
from storage.models import AssetUpload, AssetVersion, Event
from storage.objects import new_object_key
from tests.conftest import hub_env
from tests.factories import Factory
from tests.services import service_env
from web.app import create_app

PDF = b"%PDF-1.7\n" + b"brochure " * 2000
EXE = b"MZ\x90\x00" + b"\x00" * 600


@pytest.fixture
async def s3_hub(database: Any, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Hub]:
    """A hub whose object store is the SeaweedFS S3 server."""
    settings = load_settings(
        hub_env(
            var_dir=str(tmp_path),
            s3_bucket="assets-test",
            s3_endpoint_url=service_env("S3_ENDPOINT"),
            s3_access_key=service_env("S3_ACCESS_KEY"),
            s3_secret_key=service_env("S3_SECRET_KEY"),
        )
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app.state.hub


async def stream(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    gold = await factory.partner("Gold", tier=Tier.GOLD, type=PartnerType.VAR)
    silver = await factory.partner("Silver", tier=Tier.SILVER, type=PartnerType.RESELLER)
    return {
        "vendor": await factory.vendor_admin(),
        "gold": gold,
        "silver": silver,
        "gold_user": await factory.user(gold.id, Role.PARTNER_USER),
        "silver_user": await factory.user(silver.id, Role.PARTNER_USER),
    }


async def publish(hub: Hub, channel: dict[str, Any], data: bytes = PDF, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "title": "Switch brochure",
        "kind": AssetKind.BROCHURE,
        "tags": ["Switch"],
        "product_lines": ["networking"],
    }
    values.update(fields)
    return await assets.create(
        hub,
        principal=channel["vendor"].principal,
        data=AssetInput(**values),
        file_name="../../Brochure 2026.pdf",
        chunks=stream(data),
    )


async def test_published_asset_keeps_the_sniffed_type_size_and_checksum(
    hub: Hub, channel: dict[str, Any]
) -> None:
    asset = await publish(hub, channel)

    [[version]] = await assets.versions_by_asset(hub, [asset.id])
    stored = await hub.objects.head(version.object_key)
    assert (version.number, version.file_name, version.content_type, version.size) == (
        1,
        "Brochure 2026.pdf",
        "application/pdf",
        len(PDF),
    )
    assert stored is not None and stored.size == len(PDF)
    assert "Brochure" not in version.object_key and version.object_key.startswith("assets/")
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()


async def test_disallowed_type_oversize_and_partners_are_refused_leaving_nothing(
    hub: Hub, channel: dict[str, Any], settings: Any
) -> None:
    with pytest.raises(BadInput, match=r"application/x-msdownload are not allowed"):
        await publish(hub, channel, data=EXE)
    with pytest.raises(BadInput, match=str(settings.max_upload_bytes)):
        await assets.create(
            hub,
            principal=channel["vendor"].principal,
            data=AssetInput("Huge", AssetKind.VIDEO),
            file_name="big.pdf",
            chunks=stream(b"%PDF-1.7\n" + b"x" * (settings.max_upload_bytes + 10), size=1_048_576),
        )
    with pytest.raises(NotFound, match="no partner"):
        await publish(hub, channel, partner_ids=["not-a-partner"])
    with pytest.raises(Forbidden):
        await assets.create(
            hub,
            principal=channel["gold_user"].principal,
            data=AssetInput("x", AssetKind.LOGO),
            file_name="a.pdf",
            chunks=stream(PDF),
        )

    async with hub.db() as session:
        assert await session.scalar(select(func.count()).select_from(AssetVersion)) == 0
    assert [key async for key, _ in hub.objects.list_keys("assets")] == []


async def test_partners_see_only_what_their_tier_type_or_name_entitles(
    hub: Hub, channel: dict[str, Any]
) -> None:
    everyone = await publish(hub, channel, title="For everyone")
    gold_only = await publish(hub, channel, title="Gold price list", min_tier=Tier.GOLD)
    resellers = await publish(
        hub, channel, title="Reseller kit", partner_types=[PartnerType.RESELLER]
    )
    named = await publish(
        hub,
        channel,
        title="Silver special",
        partner_ids=[channel["silver"].id],
        min_tier=Tier.PLATINUM,
    )
    archived = await publish(hub, channel, title="Old deck")
    await assets.archive(
        hub, principal=channel["vendor"].principal, asset_id=archived.id, archived=True
    )

    def titles(page: Any) -> set[str]:
        return {asset.title for asset in page.items}

    gold = await assets.list_assets(
        hub, principal=channel["gold_user"].principal, filter=AssetFilter(), page=PageRequest(50)
    )
    silver = await assets.list_assets(
        hub, principal=channel["silver_user"].principal, filter=AssetFilter(), page=PageRequest(50)
    )
    searched = await assets.list_assets(
        hub,
        principal=channel["vendor"].principal,
        filter=AssetFilter(search="PRICE"),
        page=PageRequest(50),
    )

    assert titles(gold) == {"For everyone", "Gold price list"}
    assert titles(silver) == {"For everyone", "Reseller kit", "Silver special"}
    assert titles(searched) == {"Gold price list"}
    with pytest.raises(NotFound):
        await assets.download_url(
            hub, principal=channel["silver_user"].principal, asset_id=gold_only.id, expires_in=60
        )
    with pytest.raises(NotFound):
        await assets.get(hub, principal=channel["gold_user"].principal, asset_id=named.id)
    assert {everyone.id, resellers.id}


async def test_download_urls_work_and_are_counted_by_partner_and_tier(
    hub: Hub, channel: dict[str, Any], client: httpx.AsyncClient, clock: ManualClock
) -> None:
    asset = await publish(hub, channel)
    since = clock.now() - timedelta(days=1)

    url = await assets.download_url(
        hub, principal=channel["gold_user"].principal, asset_id=asset.id, expires_in=300
    )
    await assets.download_url(
        hub, principal=channel["gold_user"].principal, asset_id=asset.id, expires_in=300
    )
    await assets.download_url(
        hub, principal=channel["silver_user"].principal, asset_id=asset.id, expires_in=300
    )
    fetched = await client.get(url.removeprefix(hub.settings.public_base_url))
    usage = await assets.usage(
        hub, principal=channel["vendor"].principal, asset_id=asset.id, since=since
    )
    top = await assets.top(hub, principal=channel["vendor"].principal, since=since, limit=5)

    assert fetched.status_code == 200
    assert fetched.content == PDF
    assert 'filename="Brochure 2026.pdf"' in fetched.headers["content-disposition"]
    assert [(u.partner_id, u.tier, u.downloads) for u in usage] == [
        (channel["gold"].id, "GOLD", 2),
        (channel["silver"].id, "SILVER", 1),
    ]
    assert [(a.id, n) for a, n in top] == [(asset.id, 3)]
    with pytest.raises(Forbidden):
        await assets.usage(
            hub, principal=channel["gold_user"].principal, asset_id=asset.id, since=since
        )


async def test_new_versions_and_publish_events_go_to_entitled_partners(
    hub: Hub, channel: dict[str, Any]
) -> None:
    asset = await publish(hub, channel, min_tier=Tier.GOLD)

    version = await assets.add_version(
        hub,
        principal=channel["vendor"].principal,
        asset_id=asset.id,
        file_name="v2.pdf",
        chunks=stream(PDF + b"v2"),
    )

    assert version.number == 2
    async with hub.db() as session:
        published = list(
            (
                await session.execute(
                    select(Event).where(Event.topic == "asset").order_by(Event.id)
                )
            ).scalars()
        )
    audiences = [await hub.events._load(after=event.id - 1, until=event.id) for event in published]
    assert [event.payload["version"] for event in published] == [1, 2]
    assert all(loaded[0].audience == frozenset({channel["gold"].id}) for loaded in audiences)


async def test_on_seaweedfs_s3_the_presigned_url_returns_the_file_byte_for_byte(
    s3_hub: Hub, channel: dict[str, Any]
) -> None:
    data = PDF * 700  # about 12 MiB: a multipart upload to S3
    asset = await assets.create(
        s3_hub,
        principal=channel["vendor"].principal,
        data=AssetInput("Big deck", AssetKind.PRESENTATION),
        file_name="deck.pdf",
        chunks=stream(data, size=1_048_576),
    )
    url = await assets.download_url(
        s3_hub, principal=channel["gold_user"].principal, asset_id=asset.id, expires_in=60
    )
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
    [[version]] = await assets.versions_by_asset(s3_hub, [asset.id])
    await s3_hub.objects.delete(version.object_key)

    assert fetched.status_code == 200
    assert fetched.content == data
    assert 'filename="deck.pdf"' in fetched.headers["content-disposition"]


async def test_unreferenced_objects_are_collected_after_the_grace_period(
    hub: Hub, channel: dict[str, Any], clock: ManualClock
) -> None:
    asset = await publish(hub, channel)
    orphan = new_object_key("assets", now=clock.now())
    await hub.objects.put(orphan, stream(PDF), content_type="application/pdf")

    young = await files.collect_garbage(hub, grace=timedelta(days=36500))
    clock.advance(days=3650)
    removed = await files.collect_garbage(hub, grace=timedelta(hours=24))

    [[version]] = await assets.versions_by_asset(hub, [asset.id])
    assert (young.total, removed.objects, removed.total) == (0, 1, 1)
    assert await hub.objects.head(orphan) is None
    assert await hub.objects.head(version.object_key) is not None


async def test_abandoned_direct_uploads_leave_no_object_and_no_record(
    hub: Hub, channel: dict[str, Any], client: httpx.AsyncClient, clock: ManualClock
) -> None:
    vendor = channel["vendor"].principal
    data = AssetInput("Never finished", AssetKind.VIDEO)
    never_sent = await direct.start(hub, principal=vendor, file_name="a.pdf", size=3, data=data)
    sent = await direct.start(hub, principal=vendor, file_name="b.pdf", size=len(PDF), data=data)
    put = await client.put(
        sent.url.removeprefix(hub.settings.public_base_url),
        content=PDF,
        headers=sent.headers,
    )
    open_uploads = select(func.count()).select_from(AssetUpload)

    during = await files.collect_garbage(hub, grace=timedelta(hours=24))
    clock.advance(days=3650)  # past the files' real modification times too
    after = await files.collect_garbage(hub, grace=timedelta(hours=24))

    assert put.status_code == 200
    assert during.total == 0
    assert (after.objects, after.records) == (1, 2)  # the sent file, and both records
    async with hub.db() as session:
        assert await session.scalar(open_uploads) == 0
    assert [key async for key, _ in hub.objects.list_keys("assets")] == []
    assert never_sent.upload_id != sent.upload_id
    with pytest.raises(NotFound):
        await direct.complete(hub, principal=vendor, upload_id=sent.upload_id, sha256="0" * 64)


async def test_direct_upload_is_checked_before_it_becomes_visible(
    hub: Hub, channel: dict[str, Any], client: httpx.AsyncClient
) -> None:
    vendor = channel["vendor"].principal
    data = AssetInput("Direct deck", AssetKind.PRESENTATION, min_tier=Tier.GOLD)
    good = await direct.start(hub, principal=vendor, file_name="deck.pdf", size=len(PDF), data=data)
    bad_hash = await direct.start(
        hub, principal=vendor, file_name="deck.pdf", size=len(PDF), data=data
    )
    bad_size = await direct.start(
        hub, principal=vendor, file_name="deck.pdf", size=len(PDF) + 1, data=data
    )
    for ticket in (good, bad_hash, bad_size):
        put = await client.put(
            ticket.url.removeprefix(hub.settings.public_base_url),
            content=PDF,
            headers=ticket.headers,
        )
        assert put.status_code == 200

    asset_id, number = await direct.complete(
        hub, principal=vendor, upload_id=good.upload_id, sha256=hashlib.sha256(PDF).hexdigest()
    )
    with pytest.raises(BadInput) as wrong_hash:
        await direct.complete(hub, principal=vendor, upload_id=bad_hash.upload_id, sha256="0" * 64)
    with pytest.raises(BadInput) as wrong_size:
        await direct.complete(
            hub,
            principal=vendor,
            upload_id=bad_size.upload_id,
            sha256=hashlib.sha256(PDF).hexdigest(),
        )
    with pytest.raises(NotFound):
        await direct.complete(
            hub, principal=vendor, upload_id=good.upload_id, sha256=hashlib.sha256(PDF).hexdigest()
        )

    assert number == 1
    assert (
        await assets.get(hub, principal=channel["gold_user"].principal, asset_id=asset_id)
    ).title == "Direct deck"
    assert (wrong_hash.value.field, wrong_size.value.field) == ("sha256", "size")
    keys = [key async for key, _ in hub.objects.list_keys("assets")]
    assert len(keys) == 1


async def test_direct_upload_through_a_presigned_put_on_seaweedfs(
    s3_hub: Hub, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"].principal
    ticket = await direct.start(
        s3_hub,
        principal=vendor,
        file_name="sheet.pdf",
        size=len(PDF),
        data=AssetInput("Sheet", AssetKind.DATASHEET),
    )
    async with httpx.AsyncClient() as http:
        put = await http.put(ticket.url, content=PDF, headers=ticket.headers)
    asset_id, _ = await direct.complete(
        s3_hub,
        principal=vendor,
        upload_id=ticket.upload_id,
        sha256=hashlib.sha256(PDF).hexdigest(),
    )
    url = await assets.download_url(s3_hub, principal=vendor, asset_id=asset_id, expires_in=60)
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
    [[version]] = await assets.versions_by_asset(s3_hub, [asset_id])
    await s3_hub.objects.delete(version.object_key)

    assert put.status_code == 200
    assert fetched.content == PDF
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
