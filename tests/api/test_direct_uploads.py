"""Direct uploads over the API: a signed PUT straight to storage, then a checked completion.

Run against SeaweedFS S3 (a presigned PUT) and the embedded filesystem store (the hub's
signed PUT route).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.partners import Tier
from hub.roles import Role
from hub.settings import load_settings
from tests.conftest import data_of, hub_env
from tests.factories import Actor, Factory, errors_of
from tests.services import service_env
from web.app import create_app

PDF = b"%PDF-1.7\n" + b"price list " * 3000
START = """mutation($input: AssetUploadInput!) {
  createAssetUpload(input: $input) { uploadId url headers { name value } expiresAt }
}"""
COMPLETE = """mutation($id: ID!, $sha: String!) {
  completeAssetUpload(uploadId: $id, sha256: $sha) {
    id title versions { number fileName contentType size sha256 }
  }
}"""
ASSET = {"title": "Price list 2027", "kind": "PRICE_LIST", "minTier": "GOLD"}


@pytest.fixture(params=["s3", "filesystem"])
async def store(
    request: pytest.FixtureRequest, database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Factory]:
    """A hub on PostgreSQL whose files go to SeaweedFS S3 or to the filesystem store."""
    s3 = {
        "s3_bucket": f"direct-{uuid.uuid4().hex[:12]}",  # a bucket of its own: keys are counted
        "s3_endpoint_url": service_env("S3_ENDPOINT"),
        "s3_access_key": service_env("S3_ACCESS_KEY"),
        "s3_secret_key": service_env("S3_SECRET_KEY"),
    }
    settings = load_settings(
        hub_env(var_dir=str(tmp_path / "var"), **(s3 if request.param == "s3" else {}))
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield Factory(app.state.hub, http)


async def put(store: Factory, ticket: dict[str, Any], body: bytes) -> httpx.Response:
    """PUT the file where the ticket says: S3 over the network, the hub's route in process."""
    headers = {header["name"]: header["value"] for header in ticket["headers"]}
    base = store.hub.settings.public_base_url
    if ticket["url"].startswith(base):
        return await store.client.put(
            ticket["url"].removeprefix(base), content=body, headers=headers
        )
    async with httpx.AsyncClient() as network:
        return await network.put(ticket["url"], content=body, headers=headers)


async def fetch(store: Factory, url: str) -> bytes:
    base = store.hub.settings.public_base_url
    if url.startswith(base):
        return (await store.client.get(url.removeprefix(base))).content
    async with httpx.AsyncClient() as network:
        return (await network.get(url)).content


async def start(store: Factory, actor: Actor, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"fileName": "prices.pdf", "size": len(PDF), **fields}}
    ticket: dict[str, Any] = data_of(await store.gql(START, variables, actor=actor))[
        "createAssetUpload"
    ]
    return ticket


async def stored_keys(store: Factory) -> list[str]:
    return [key async for key, _ in store.hub.objects.list_keys("assets")]


async def test_a_large_file_goes_straight_to_storage_and_is_checked_before_publishing(
    store: Factory,
) -> None:
    vendor = await store.vendor_admin()
    gold = await store.user((await store.partner("Gold", tier=Tier.GOLD)).id, Role.PARTNER_USER)
    digest = hashlib.sha256(PDF).hexdigest()

    ticket = await start(store, vendor, asset=ASSET)
    sent = await put(store, ticket, PDF)
    published = data_of(
        await store.gql(COMPLETE, {"id": ticket["uploadId"], "sha": digest}, actor=vendor)
    )["completeAssetUpload"]
    again = await store.gql(COMPLETE, {"id": ticket["uploadId"], "sha": digest}, actor=vendor)
    version_ticket = await start(store, vendor, assetId=published["id"])
    await put(store, version_ticket, PDF)
    with_version = data_of(
        await store.gql(
            COMPLETE, {"id": version_ticket["uploadId"], "sha": digest.upper()}, actor=vendor
        )
    )["completeAssetUpload"]
    seen_by_gold = data_of(
        await store.gql(
            "query($id: ID!) { asset(id: $id) { title downloadUrl versions { number } } }",
            {"id": published["id"]},
            actor=gold,
        )
    )["asset"]
    downloaded = await fetch(store, seen_by_gold.pop("downloadUrl"))

    assert sent.status_code == 200
    assert [
        (v["number"], v["fileName"], v["contentType"], v["size"], v["sha256"])
        for v in published["versions"]
    ] == [(1, "prices.pdf", "application/pdf", len(PDF), digest)]
    assert errors_of(again) == [("NOT_FOUND", "uploadId")]
    assert [version["number"] for version in with_version["versions"]] == [2, 1]
    assert seen_by_gold == {"title": "Price list 2027", "versions": [{"number": 2}, {"number": 1}]}
    assert downloaded == PDF
    assert len(await stored_keys(store)) == 2


async def test_a_file_that_does_not_check_out_is_refused_and_removed(store: Factory) -> None:
    vendor = await store.vendor_admin()
    partner_admin = await store.user(
        (await store.partner("Gold", tier=Tier.GOLD)).id, Role.PARTNER_ADMIN
    )
    digest = hashlib.sha256(PDF).hexdigest()
    wrong_hash = await start(store, vendor, asset=ASSET)
    wrong_size = await start(store, vendor, asset=ASSET, size=len(PDF) + 1)
    never_sent = await start(store, vendor, asset=ASSET)
    for ticket in (wrong_hash, wrong_size):
        assert (await put(store, ticket, PDF)).status_code == 200

    answers = {
        "wrong hash": await store.gql(
            COMPLETE, {"id": wrong_hash["uploadId"], "sha": "0" * 64}, actor=vendor
        ),
        "wrong size": await store.gql(
            COMPLETE, {"id": wrong_size["uploadId"], "sha": digest}, actor=vendor
        ),
        "never sent": await store.gql(
            COMPLETE, {"id": never_sent["uploadId"], "sha": digest}, actor=vendor
        ),
        "not a digest": await store.gql(
            COMPLETE, {"id": never_sent["uploadId"], "sha": "abc"}, actor=vendor
        ),
        "unknown id": await store.gql(COMPLETE, {"id": "0" * 32, "sha": digest}, actor=vendor),
        "by a partner": await store.gql(
            START, {"input": {"fileName": "a.pdf", "size": 10, "asset": ASSET}}, actor=partner_admin
        ),
        "half a byte": await store.gql(
            START, {"input": {"fileName": "a.pdf", "size": 10.5, "asset": ASSET}}, actor=vendor
        ),
        "over the limit": await store.gql(
            START, {"input": {"fileName": "a.pdf", "size": 2**40, "asset": ASSET}}, actor=vendor
        ),
        "both targets": await store.gql(
            START, {"input": {"fileName": "a.pdf", "size": 10}}, actor=vendor
        ),
    }
    listed = data_of(await store.gql("{ assets { totalCount } }", actor=vendor))

    assert {name: errors_of(body) for name, body in answers.items()} == {
        "wrong hash": [("BAD_USER_INPUT", "sha256")],
        "wrong size": [("BAD_USER_INPUT", "size")],
        "never sent": [("BAD_USER_INPUT", "uploadId")],
        "not a digest": [("BAD_USER_INPUT", "sha256")],
        "unknown id": [("NOT_FOUND", "uploadId")],
        "by a partner": [("FORBIDDEN", None)],
        "half a byte": [("BAD_USER_INPUT", "input.size")],
        "over the limit": [("BAD_USER_INPUT", "size")],
        "both targets": [("BAD_USER_INPUT", "assetId")],
    }
    assert listed["assets"]["totalCount"] == 0
    assert await stored_keys(store) == []
