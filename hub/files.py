"""Stored files: streaming uploads to the object store after sniffing their type, download
URLs, and collecting what no record refers to.

A table that keeps files declares it in storage (`FileOwner`, or `AttachedFile` for an
attachment table) with the key prefix its files live under; this module stores files only
under a declared prefix and collects only declared prefixes.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import filetype
from sqlalchemy import delete, select

from hub.errors import BadInput
from hub.runtime import Hub
from storage.models.base import file_owners
from storage.objects import ObjectTooLarge, new_object_key

SNIFF_BYTES = 8192
MAX_EXPIRY = 7 * 86400
# How long a direct upload's signed URL, and the upload, stay open.
UPLOAD_TTL = timedelta(hours=1)
SHA256 = re.compile(r"[0-9a-f]{64}")

ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/plain",
    }
)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the object store, as its record keeps it."""

    key: str
    name: str
    size: int
    content_type: str
    sha256: str

    def columns(self) -> dict[str, Any]:
        """The file columns of a record that keeps this file."""
        return {
            "object_key": self.key,
            "file_name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "sha256": self.sha256,
        }


def prefixes() -> list[str]:
    """The key prefixes some table declares, each once."""
    return sorted({owner.file_prefix for owner in file_owners()})


def detect_type(head: bytes) -> str:
    """The content type of a file from its first bytes; never the client's word for it."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def allowed_type(head: bytes, *, field: str, types: frozenset[str] = ALLOWED_TYPES) -> str:
    """The sniffed type of a file, refused unless it is one of `types` (those ChannelHub keeps)."""
    content_type = detect_type(head)
    if content_type not in types:
        raise BadInput(f"files of type {content_type} are not allowed", field=field)
    return content_type


def file_name_of(value: str, *, field: str = "file") -> str:
    """Only the last path segment, without control characters; it never becomes a key or path."""
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or name in (".", ".."):
        raise BadInput("the file needs a name", field=field)
    return name[:255]


def new_key(hub: Hub, prefix: str) -> str:
    """A fresh object key under a declared prefix."""
    if prefix not in prefixes():
        raise ValueError(f"no table declares the file prefix {prefix!r}")
    return new_object_key(prefix, now=hub.clock.now())


async def store(
    hub: Hub,
    file_name: str,
    chunks: AsyncIterator[bytes],
    *,
    prefix: str,
    field: str = "file",
    types: frozenset[str] = ALLOWED_TYPES,
) -> StoredFile:
    """Stream a file to the store after sniffing its type.

    The same checks hold for every uploaded file: a name, an allowed type, the size limit.
    """
    name = file_name_of(file_name)
    head, rest = await _peek(chunks)
    content_type = allowed_type(head, field=field, types=types)
    limit = hub.settings.max_upload_bytes
    key = new_key(hub, prefix)
    try:
        stored = await hub.objects.put(
            key, _chain(head, rest), content_type=content_type, max_bytes=limit
        )
    except ObjectTooLarge:
        raise BadInput(f"the file exceeds the limit of {limit} bytes", field=field) from None
    if stored.size == 0:
        await hub.objects.delete(key)
        raise BadInput("the file is empty", field=field)
    return StoredFile(key, name, stored.size, content_type, stored.sha256 or "")


@dataclass(frozen=True)
class UploadTicket:
    """Where to PUT a file straight to storage, with which headers, until when."""

    upload_id: str
    url: str
    headers: dict[str, str]
    expires_at: datetime


def checked_size(hub: Hub, size: int, *, field: str = "size") -> int:
    """A declared upload size: whole bytes, at least one, at most the upload limit."""
    limit = hub.settings.max_upload_bytes
    if not 0 < size <= limit:
        raise BadInput(f"size must be between 1 and the limit of {limit} bytes", field=field)
    return size


def checked_sha256(value: str, *, field: str = "sha256") -> str:
    digest = value.strip().lower()
    if not SHA256.fullmatch(digest):
        raise BadInput("sha256 is the file's SHA-256 digest in 64 hex digits", field=field)
    return digest


async def upload_url(hub: Hub, prefix: str) -> tuple[str, str, dict[str, str]]:
    """A fresh key under a declared prefix and a signed URL (with headers) to PUT it to
    within UPLOAD_TTL: presigned on S3, signed by the hub on the filesystem store."""
    key = new_key(hub, prefix)
    url, headers = await hub.objects.upload_url(
        key, expires_in=int(UPLOAD_TTL.total_seconds()), content_type="application/octet-stream"
    )
    return key, url, headers


async def verify_upload(
    hub: Hub,
    key: str,
    *,
    file_name: str,
    declared_size: int,
    sha256: str,
    types: frozenset[str] = ALLOWED_TYPES,
    upload_field: str = "uploadId",
    size_field: str = "size",
    sha_field: str = "sha256",
    type_field: str = "file",
) -> StoredFile:
    """A directly uploaded file once it checks out: there, of the declared size, with the
    given SHA-256 (read back from the store), of an allowed type sniffed from its bytes."""
    head = await hub.objects.head(key)
    if head is None:
        raise BadInput("nothing was uploaded to the URL", field=upload_field)
    if head.size != declared_size:
        raise BadInput(
            f"the uploaded file has {head.size} bytes, not the {declared_size} declared",
            field=size_field,
        )
    digest, first = hashlib.sha256(), b""
    async for chunk in await hub.objects.open(key):
        if len(first) < SNIFF_BYTES:
            first += chunk[: SNIFF_BYTES - len(first)]
        digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise BadInput("the uploaded file does not match the sha256 given", field=sha_field)
    content_type = allowed_type(first, field=type_field, types=types)
    return StoredFile(key, file_name, head.size, content_type, sha256)


async def read(hub: Hub, key: str) -> bytes:
    """A stored object's bytes, whole (for files small enough to work on in memory)."""
    return b"".join([chunk async for chunk in await hub.objects.open(key)])


async def once(data: bytes) -> AsyncIterator[bytes]:
    """Bytes in hand as the chunk stream `store` takes."""
    yield data


async def forget(hub: Hub, keys: Iterable[str]) -> None:
    """Delete stored objects no record will keep (a failed or repeated write); best effort,
    as the collector removes whatever is left."""
    for key in keys:
        with contextlib.suppress(Exception):
            await hub.objects.delete(key)


def check_expiry(expires_in: int) -> None:
    if not 10 <= expires_in <= MAX_EXPIRY:
        raise BadInput(
            f"expiresInSeconds must be between 10 and {MAX_EXPIRY}", field="expiresInSeconds"
        )


async def download_url(
    hub: Hub, key: str, *, file_name: str, content_type: str | None, expires_in: int
) -> str:
    """A short-lived URL of a stored file, named as uploaded; callers check access first."""
    check_expiry(expires_in)
    url: str = await hub.objects.download_url(
        key, expires_in=expires_in, filename=file_name, content_type=content_type
    )
    return url


async def _peek(chunks: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return head, chunks


async def _chain(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk


@dataclass(frozen=True)
class Collected:
    """What one garbage collection removed."""

    objects: int  # stored files nothing refers to
    incomplete: int  # unfinished multipart uploads or temporary files
    records: int  # rows their owner says have expired (e.g. abandoned direct uploads)

    @property
    def total(self) -> int:
        return self.objects + self.incomplete + self.records


async def collect_garbage(hub: Hub, *, grace: timedelta) -> Collected:
    """Clear what failed or abandoned uploads leave, once older than the grace.

    Objects under a declared prefix that no owning row keeps, unfinished multipart uploads
    (or temporary files), and the rows their owners call expired.
    """
    now = hub.clock.now()
    cutoff = now - grace
    owners = file_owners()
    kept: dict[str, set[str]] = {prefix: set() for prefix in prefixes()}
    async with hub.read() as session:
        for owner in owners:
            column: Any = owner.object_key
            rows = await session.scalars(
                select(column).where(column.is_not(None), owner.keeps(now))
            )
            kept[owner.file_prefix].update(rows)
    incomplete = objects = 0
    for prefix, keys in kept.items():
        incomplete += await hub.objects.purge_incomplete(prefix, before=cutoff)
        async for key, modified in hub.objects.list_keys(prefix):
            if key not in keys and modified < cutoff:
                await hub.objects.delete(key)
                objects += 1
    records = 0
    async with hub.write() as session:
        for owner in owners:
            expired = owner.expired(cutoff)
            if expired is not None:
                table: Any = owner
                result = await session.execute(delete(table).where(expired))
                records += int(getattr(result, "rowcount", 0) or 0)
    return Collected(objects, incomplete, records)
