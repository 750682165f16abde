"""Signed file routes of the filesystem store, and the S3 store wired by the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx

from hub.clock import ManualClock
from hub.settings import load_settings
from storage.objects import FilesystemObjectStore, S3ObjectStore, new_object_key
from tests.conftest import hub_env
from tests.services import service_env
from web.app import create_app


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_signed_download_streams_the_file_with_its_name(
    client: httpx.AsyncClient, app: object, clock: ManualClock
) -> None:
    store = app.state.objects  # type: ignore[attr-defined]
    assert isinstance(store, FilesystemObjectStore)
    key = new_object_key("assets", now=clock.now())
    await store.put(key, chunks(b"%PDF-1.7 brochure"), content_type="application/pdf")
    url = await store.download_url(key, expires_in=60, filename="Price list 2026.pdf")

    response = await client.get(path_of(url))

    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 brochure"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="Price list 2026.pdf"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_tampered_expired_or_traversing_links_are_refused(
    client: httpx.AsyncClient, app: object, clock: ManualClock
) -> None:
    store = app.state.objects  # type: ignore[attr-defined]
    key = new_object_key("assets", now=clock.now())
    await store.put(key, chunks(b"secret"), content_type="text/plain")
    url = path_of(await store.download_url(key, expires_in=60, filename="a.txt"))

    renamed = await client.get(url.replace("fn=a.txt", "fn=b.txt"))
    other_key = await client.get(url.replace(key, new_object_key("assets", now=clock.now())))
    traversal = await client.get("/files/../../etc/passwd?exp=9999999999&sig=00")
    clock.advance(seconds=61)
    expired = await client.get(url)

    assert [r.status_code for r in (renamed, other_key, expired)] == [403, 403, 403]
    assert traversal.status_code in (403, 404)
    assert b"root:" not in traversal.content


async def test_signed_upload_stores_the_body_within_the_limit(
    client: httpx.AsyncClient, app: object, clock: ManualClock
) -> None:
    store = app.state.objects  # type: ignore[attr-defined]
    key = new_object_key("uploads", now=clock.now())
    url, headers = await store.upload_url(key, expires_in=60, content_type="image/png")
    too_big_key = new_object_key("uploads", now=clock.now())
    too_big_url, _ = await store.upload_url(too_big_key, expires_in=60, content_type="image/png")
    limit = app.state.hub.settings.max_upload_bytes  # type: ignore[attr-defined]

    stored = await client.put(path_of(url), content=b"\x89PNG data", headers=headers)
    refused = await client.put(
        path_of(url.replace("uploads", "assets")), content=b"x", headers=headers
    )
    too_big = await client.put(path_of(too_big_url), content=b"x" * (limit + 1), headers=headers)

    assert stored.status_code == 200
    assert stored.json()["size"] == 9
    assert (await store.head(key)).content_type == "image/png"
    assert refused.status_code == 403
    assert too_big.status_code == 413
    assert await store.head(too_big_key) is None


async def test_app_uses_s3_when_configured_and_creates_the_bucket(tmp_path: object) -> None:
    settings = load_settings(
        hub_env(
            var_dir=str(tmp_path),
            s3_bucket="app-wiring-test",
            s3_endpoint_url=service_env("S3_ENDPOINT"),
            s3_access_key=service_env("S3_ACCESS_KEY"),
            s3_secret_key=service_env("S3_SECRET_KEY"),
        )
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        store = app.state.objects
        key = new_object_key("assets")
        await store.put(key, chunks(b"on seaweed"), content_type="text/plain")
        url = await store.download_url(key, expires_in=60, filename="note.txt")
        async with httpx.AsyncClient() as http:
            fetched = await http.get(url)
        await store.delete(key)

    assert isinstance(store, S3ObjectStore)
    assert fetched.content == b"on seaweed"
