"""The object store on both backends: a temporary folder and the real SeaweedFS S3."""

from __future__ import annotations

import hashlib
import re
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from storage.objects import (
    DEFAULT_MULTIPART_THRESHOLD,
    PARTS_IN_FLIGHT,
    FilesystemObjectStore,
    InvalidObjectKey,
    MiB,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectTooLarge,
    S3ObjectStore,
    StoredObject,
    content_disposition,
    new_object_key,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from tests.storage.conftest import S3Target

FILENAME = 'Prüfbericht "Q3" 50% ; final.pdf'


async def stream(data: bytes, chunk_size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]


async def generated(total: int, digest: hashlib._Hash) -> AsyncIterator[bytes]:
    """Yield ``total`` bytes in 1 MiB chunks made on the fly, hashing them as they go."""
    for number in range(total // MiB):
        chunk = number.to_bytes(4, "big") * (MiB // 4)
        digest.update(chunk)
        yield chunk


async def read_all(store: ObjectStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(key)])


async def listed(store: ObjectStore, prefix: str) -> list[str]:
    return sorted([key async for key, _ in store.list_keys(prefix)])


def pending_uploads(admin: S3Client, bucket: str, prefix: str) -> list[str]:
    uploads = admin.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    return [upload["Key"] for upload in uploads]


def leftover_files(root: Path) -> list[str]:
    return [path.name for path in root.rglob("*") if path.is_file()]


async def test_round_trip_keeps_bytes_size_hash_and_type(store: ObjectStore, prefix: str) -> None:
    key, data = new_object_key(prefix), b"partner price list\n" * 1000
    expected = StoredObject(key, len(data), hashlib.sha256(data).hexdigest(), "text/csv")

    stored = await store.put(key, stream(data), content_type="text/csv")

    assert stored == expected
    assert await store.head(key) == expected
    assert await read_all(store, key) == data


async def test_empty_object_round_trips(store: ObjectStore, prefix: str) -> None:
    key = new_object_key(prefix)

    stored = await store.put(key, stream(b""), content_type="text/plain")

    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert await read_all(store, key) == b""


async def test_large_object_streams_without_buffering_it(store: ObjectStore, prefix: str) -> None:
    key, digest = new_object_key(prefix), hashlib.sha256()

    tracemalloc.start()
    try:
        stored = await store.put(key, generated(64 * MiB, digest), content_type="video/mp4")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (stored.size, stored.sha256) == (64 * MiB, digest.hexdigest())
    # S3 holds the filling part and PARTS_IN_FLIGHT sending ones (32 MiB), not the 64 MiB;
    # the slack covers the incoming chunk and the filling buffer's growth.
    assert peak < (PARTS_IN_FLIGHT + 1) * DEFAULT_MULTIPART_THRESHOLD + 8 * MiB
    read_back, size = hashlib.sha256(), 0
    async for chunk in await store.open(key):
        read_back.update(chunk)
        size += len(chunk)
    assert (size, read_back.hexdigest()) == (64 * MiB, digest.hexdigest())


async def test_large_object_goes_up_in_parts(
    s3_store: S3ObjectStore, s3_admin: S3Client, s3_target: S3Target, prefix: str
) -> None:
    key = new_object_key(prefix)

    await s3_store.put(key, generated(20 * MiB, hashlib.sha256()), content_type="video/mp4")

    etag = s3_admin.head_object(Bucket=s3_target.bucket, Key=key)["ETag"]
    assert etag.strip('"').endswith("-3")  # 8 MiB + 8 MiB + 4 MiB
    head = await s3_store.head(key)
    assert head == StoredObject(key, 20 * MiB, None, "video/mp4")


@pytest.mark.parametrize(("size", "limit"), [(101, 100), (12 * MiB, 10 * MiB)])
async def test_too_large_stream_leaves_nothing(
    store: ObjectStore, prefix: str, size: int, limit: int, tmp_path: Path
) -> None:
    key = new_object_key(prefix)

    with pytest.raises(ObjectTooLarge) as raised:
        await store.put(key, stream(bytes(size), MiB), content_type="text/plain", max_bytes=limit)

    assert raised.value.limit == limit
    assert await store.head(key) is None
    assert await listed(store, prefix) == []
    if isinstance(store, FilesystemObjectStore):
        assert leftover_files(tmp_path) == []


async def test_too_large_multipart_upload_is_aborted(
    s3_store: S3ObjectStore, s3_admin: S3Client, s3_target: S3Target, prefix: str
) -> None:
    key = new_object_key(prefix)

    with pytest.raises(ObjectTooLarge):
        await s3_store.put(
            key, generated(20 * MiB, hashlib.sha256()), content_type="video/mp4", max_bytes=17 * MiB
        )

    assert pending_uploads(s3_admin, s3_target.bucket, prefix) == []
    assert await s3_store.head(key) is None


async def test_failing_stream_leaves_nothing(store: ObjectStore, prefix: str) -> None:
    key = new_object_key(prefix)

    async def broken() -> AsyncIterator[bytes]:
        yield bytes(9 * MiB)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(key, broken(), content_type="text/plain")

    assert await listed(store, prefix) == []


async def test_delete_is_idempotent(store: ObjectStore, prefix: str) -> None:
    key = new_object_key(prefix)
    await store.put(key, stream(b"old brochure"), content_type="application/pdf")

    await store.delete(key)
    await store.delete(key)

    assert await store.head(key) is None
    with pytest.raises(ObjectNotFound):
        await store.open(key)


async def test_list_keys_gives_keys_under_prefix_with_times(
    store: ObjectStore, prefix: str
) -> None:
    keys = sorted([new_object_key(f"{prefix}/a"), new_object_key(f"{prefix}/b")])
    other = new_object_key(f"{prefix}x")
    for key in [*keys, other]:
        await store.put(key, stream(b"x"), content_type="text/plain")
    now = datetime.now(UTC)

    found = sorted([item async for item in store.list_keys(f"{prefix}/")])

    assert [key for key, _ in found] == keys
    assert all(abs(now - modified) < timedelta(minutes=1) for _, modified in found)


async def test_presigned_download_serves_bytes_as_attachment(
    s3_store: S3ObjectStore, prefix: str
) -> None:
    key, data = new_object_key(prefix), b"%PDF-1.7 datasheet"
    await s3_store.put(key, stream(data), content_type="application/pdf")

    url = await s3_store.download_url(
        key, expires_in=300, filename=FILENAME, content_type="application/pdf"
    )
    async with httpx.AsyncClient() as client:
        response = await client.get(url)

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == content_disposition(FILENAME)


async def test_presigned_upload_accepts_a_put(s3_store: S3ObjectStore, prefix: str) -> None:
    key, data = new_object_key(prefix), b"partner logo bytes"

    url, headers = await s3_store.upload_url(key, expires_in=300, content_type="image/png")
    async with httpx.AsyncClient() as client:
        response = await client.put(url, content=data, headers=headers)

    assert response.status_code == 200
    assert await s3_store.head(key) == StoredObject(key, len(data), None, "image/png")
    assert await read_all(s3_store, key) == data


async def test_ensure_ready_refuses_a_missing_bucket_it_may_not_create(
    s3_target: S3Target,
) -> None:
    absent = replace(s3_target, bucket=f"{s3_target.bucket}-absent")
    store = absent.store(create_bucket=False)
    try:
        with pytest.raises(ObjectStoreError, match="absent"):
            await store.ensure_ready()
    finally:
        await store.close()


async def test_ensure_ready_is_idempotent(store: ObjectStore) -> None:
    await store.ensure_ready()
    await store.ensure_ready()


def signed_query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return parts.path.removeprefix("/files/"), query


async def test_filesystem_download_url_is_signed(fs_store: FilesystemObjectStore) -> None:
    key, now = new_object_key("assets"), datetime.now(UTC)
    url = await fs_store.download_url(key, expires_in=60, filename=FILENAME)
    path, query = signed_query(url)
    exp, fn, sig = query["exp"], query["fn"], query["sig"]

    assert url.startswith(f"http://hub.test/files/{key}?")
    assert (path, fn) == (key, FILENAME)
    assert fs_store.verify_signature(key, "GET", exp, fn, sig, now)
    assert fs_store.verify_signature(key, "GET", int(exp), fn, sig, now + timedelta(seconds=59))
    assert not fs_store.verify_signature(key, "GET", exp, fn, sig, now + timedelta(seconds=61))
    assert not fs_store.verify_signature(key, "PUT", exp, fn, sig, now)
    assert not fs_store.verify_signature(key, "GET", exp, "other.pdf", sig, now)
    assert not fs_store.verify_signature(key, "GET", str(int(exp) + 1), fn, sig, now)
    assert not fs_store.verify_signature(new_object_key("assets"), "GET", exp, fn, sig, now)
    tampered = sig[:-1] + ("1" if sig[-1] == "0" else "0")
    assert not fs_store.verify_signature(key, "GET", exp, fn, tampered, now)
    assert not fs_store.verify_signature(key, "GET", exp, fn, "ü", now)
    assert not fs_store.verify_signature(key, "GET", "soon", fn, sig, now)


async def test_filesystem_upload_url_is_signed_for_put(fs_store: FilesystemObjectStore) -> None:
    key, now = new_object_key("uploads"), datetime.now(UTC)

    url, headers = await fs_store.upload_url(key, expires_in=60, content_type="image/png")
    path, query = signed_query(url)

    assert headers == {"Content-Type": "image/png"}
    assert "fn" not in query
    assert fs_store.verify_signature(path, "PUT", query["exp"], "", query["sig"], now)
    assert not fs_store.verify_signature(path, "GET", query["exp"], "", query["sig"], now)


BAD_KEYS = [
    "../etc/passwd",
    "/abs",
    "a\\b",
    "assets/2026/01/../../../etc/passwd",
    "/assets/2026/01/" + "a" * 32,
    "assets/2026/13/" + "a" * 32,
    "assets/2026/01/" + "A" * 32,
    "assets/2026/01/" + "a" * 32 + "\n",
    "assets/2026/01/" + "a" * 31 + "\0",
    "assets\\2026\\01\\" + "a" * 32,
    "assets/2026/01/report.pdf",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_invalid_keys_are_refused(store: ObjectStore, key: str) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.put(key, stream(b"x"), content_type="text/plain"),
        lambda: store.head(key),
        lambda: store.open(key),
        lambda: store.delete(key),
        lambda: store.download_url(key, expires_in=60, filename="a.txt"),
        lambda: store.upload_url(key, expires_in=60, content_type="text/plain"),
    ]
    for call in calls:
        with pytest.raises(InvalidObjectKey):
            await call()
    with pytest.raises(InvalidObjectKey):
        validate_key(key)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_filesystem_path_refuses_invalid_keys(fs_store: FilesystemObjectStore, key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        fs_store.path_for(key)


def test_new_object_key_has_the_generated_form() -> None:
    key = new_object_key("messages/attachments", now=datetime(2026, 3, 9, tzinfo=UTC))

    assert re.fullmatch(r"messages/attachments/2026/03/[0-9a-f]{32}", key)
    assert validate_key(key) == key
    assert new_object_key("assets") != new_object_key("assets")


@pytest.mark.parametrize("prefix", ["", "../x", "Assets", "a/", "/a", "a//b", "a.b"])
def test_new_object_key_refuses_odd_prefixes(prefix: str) -> None:
    with pytest.raises(InvalidObjectKey):
        new_object_key(prefix)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "price list.pdf",
            "attachment; filename=\"price list.pdf\"; filename*=UTF-8''price%20list.pdf",
        ),
        (
            'Prüf "Q3" 50%.pdf',
            'attachment; filename="Pr_f _Q3_ 50_.pdf"; '
            "filename*=UTF-8''Pr%C3%BCf%20%22Q3%22%2050%25.pdf",
        ),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        ("C:\\a\\b\r\n.txt", "attachment; filename=\"b.txt\"; filename*=UTF-8''b.txt"),
        ("...", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
def test_content_disposition_escapes_the_file_name(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


@pytest.mark.parametrize("prefix", ["../", "/etc", "a\\b", "a//b", "A/"])
async def test_list_keys_refuses_odd_prefixes(store: ObjectStore, prefix: str) -> None:
    with pytest.raises(InvalidObjectKey):
        await anext(store.list_keys(prefix))


async def test_stale_multipart_uploads_are_aborted_young_ones_kept(
    s3_store: S3ObjectStore, s3_admin: S3Client, s3_target: S3Target, prefix: str
) -> None:
    # What a process that died mid-upload leaves behind: a multipart upload never ended.
    key = new_object_key(prefix)
    s3_admin.create_multipart_upload(Bucket=s3_target.bucket, Key=key)
    now = datetime.now(UTC)

    young = await s3_store.purge_incomplete(prefix, before=now - timedelta(hours=1))
    kept = pending_uploads(s3_admin, s3_target.bucket, prefix)
    old = await s3_store.purge_incomplete(prefix, before=now + timedelta(hours=1))

    assert (young, kept) == (0, [key])
    assert old == 1
    assert pending_uploads(s3_admin, s3_target.bucket, prefix) == []


async def test_stale_temporary_files_are_removed_objects_kept(
    fs_store: FilesystemObjectStore, prefix: str, tmp_path: Path
) -> None:
    key = new_object_key(prefix)
    await fs_store.put(key, stream(b"kept"), content_type="text/plain")
    crashed = fs_store.path_for(key).with_name(f".{uuid.uuid4().hex}.abc123.tmp")
    crashed.write_bytes(b"half a file")
    now = datetime.now(UTC)

    young = await fs_store.purge_incomplete(prefix, before=now - timedelta(hours=1))
    old = await fs_store.purge_incomplete(prefix, before=now + timedelta(hours=1))

    assert (young, old) == (0, 1)
    assert not crashed.exists()
    assert await read_all(fs_store, key) == b"kept"
