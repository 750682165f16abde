"""Object store basics: errors, StoredObject, the ObjectStore protocol, key and header helpers."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

MiB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 8 * MiB
MIN_PART_SIZE = 5 * MiB
READ_CHUNK_SIZE = 256 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_SEGMENT = r"[a-z0-9][a-z0-9_-]{0,62}"
_PREFIX = rf"{_SEGMENT}(?:/{_SEGMENT}){{0,3}}"
_PREFIX_RE = re.compile(_PREFIX)
_KEY_RE = re.compile(rf"{_PREFIX}/[0-9]{{4}}/(?:0[1-9]|1[0-2])/[0-9a-f]{{32}}")
_LIST_PREFIX_RE = re.compile(r"(?:[a-z0-9_-]{1,63}/){0,8}[a-z0-9_-]{0,63}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
# RFC 5987 attr-chars that urllib.parse.quote would otherwise escape.
_ATTR_CHAR_SAFE = "!#$&+^`|"


class ObjectStoreError(Exception):
    """Base class of object store failures."""


class InvalidObjectKey(ObjectStoreError, ValueError):
    """Raised for a key or prefix that is not of the generated form."""

    def __init__(self, key: str) -> None:
        super().__init__(f"invalid object key: {key!r}")
        self.key = key


class ObjectTooLarge(ObjectStoreError):
    """Raised when a stream exceeds the byte limit of a put."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"object is larger than the limit of {limit} bytes")
        self.limit = limit


class ObjectNotFound(ObjectStoreError):
    """Raised when opening a key that holds no object."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object at key {key!r}")
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a store knows of one object; sha256 is None when the backend does not know it."""

    key: str
    size: int
    sha256: str | None
    content_type: str


class ObjectStore(Protocol):
    """Async object storage: filesystem or S3, chosen by the settings layer."""

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        """Store the stream at ``key``; raise ObjectTooLarge past ``max_bytes``."""

    async def head(self, key: str) -> StoredObject | None:
        """Describe the object at ``key``, or return None when there is none."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Return a stream of the object's bytes; raise ObjectNotFound first."""

    async def delete(self, key: str) -> None:
        """Remove the object at ``key``; a missing object is not an error."""

    def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        """Yield generated keys under ``prefix`` with their last-modified time."""

    async def purge_incomplete(self, prefix: str, *, before: datetime) -> int:
        """Drop unfinished uploads under ``prefix`` begun before ``before``; return how many.

        These are what a crashed process leaves: S3 multipart uploads never completed nor
        aborted, or the filesystem store's temporary files.
        """

    async def download_url(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str,
        content_type: str | None = None,
    ) -> str:
        """Return a time-limited GET URL that downloads as ``filename``."""

    async def upload_url(
        self, key: str, *, expires_in: int, content_type: str
    ) -> tuple[str, dict[str, str]]:
        """Return a time-limited PUT URL and the headers the client must send."""

    async def ensure_ready(self) -> None:
        """Prepare the backing store, or raise ObjectStoreError when unusable."""

    async def check(self) -> None:
        """Raise ObjectStoreError unless the store can be used right now (for readiness)."""

    async def close(self) -> None:
        """Release the store's resources."""


def new_object_key(prefix: str, *, now: datetime | None = None) -> str:
    """Return a fresh key ``prefix/yyyy/mm/<uuid4 hex>``."""
    if not _PREFIX_RE.fullmatch(prefix):
        raise InvalidObjectKey(prefix)
    when = now or datetime.now(UTC)
    return f"{prefix}/{when:%Y/%m}/{uuid.uuid4().hex}"


def validate_key(key: str) -> str:
    """Return ``key`` if it has the generated form, else raise InvalidObjectKey."""
    if not _KEY_RE.fullmatch(key):
        raise InvalidObjectKey(key)
    return key


def content_disposition(filename: str) -> str:
    """Return an ``attachment`` Content-Disposition value (RFC 6266, RFC 5987)."""
    name = _clean_filename(filename)
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in name)
    encoded = quote(name, safe=_ATTR_CHAR_SAFE, errors="replace")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _clean_filename(filename: str) -> str:
    base = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in base if c.isprintable()).strip(" .")
    return name[:200] or "download"


def _check_list_prefix(prefix: str) -> None:
    if not _LIST_PREFIX_RE.fullmatch(prefix):
        raise InvalidObjectKey(prefix)


def _hex_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and _SHA256_RE.fullmatch(value) else None


class _Meter:
    """Count and hash a stream, enforcing its byte limit."""

    def __init__(self, max_bytes: int | None) -> None:
        self.size = 0
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._max_bytes is not None and self.size > self._max_bytes:
            raise ObjectTooLarge(self._max_bytes)
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()
