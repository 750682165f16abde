"""Filesystem object store: objects as files in a local folder, served through signed URLs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlencode

from storage.objects.base import (
    _KEY_RE,
    DEFAULT_CONTENT_TYPE,
    READ_CHUNK_SIZE,
    ObjectNotFound,
    ObjectStoreError,
    StoredObject,
    _check_list_prefix,
    _hex_or_none,
    _Meter,
    validate_key,
)

_EXPIRY_RE = re.compile(r"[0-9]{1,12}")


class FilesystemObjectStore:
    """Objects as files under ``root``, served through signed hub routes."""

    def __init__(
        self,
        root: Path,
        *,
        secret: bytes,
        public_base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the URL signing secret must be at least 16 bytes")
        self._root = Path(root)
        self._secret = secret
        self._base_url = public_base_url.rstrip("/")
        self._clock = clock

    def path_for(self, key: str) -> Path:
        """Return the file of ``key``, refusing any key not of the generated form."""
        return self._root.joinpath(*validate_key(key).split("/"))

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        """Write the stream to a temporary file, then move it into place."""
        path = self.path_for(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        fd, name = await asyncio.to_thread(
            tempfile.mkstemp, dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            meter = await _write_file(fd, chunks, max_bytes)
            stored = StoredObject(key, meter.size, meter.sha256, content_type)
            await asyncio.to_thread(_commit_file, Path(name), path, stored)
        except BaseException:
            await asyncio.to_thread(Path(name).unlink, missing_ok=True)
            raise
        return stored

    async def head(self, key: str) -> StoredObject | None:
        """Describe the object at ``key`` from its file and metadata sidecar."""
        path = self.path_for(key)
        return await asyncio.to_thread(_head_file, key, path)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Return a stream of the file's bytes; raise ObjectNotFound first."""
        path = self.path_for(key)
        if not await asyncio.to_thread(path.is_file):
            raise ObjectNotFound(key)
        return _read_file(key, path)

    async def delete(self, key: str) -> None:
        """Remove the file and its metadata sidecar, if present."""
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        await asyncio.to_thread(_meta_path(path).unlink, missing_ok=True)

    async def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        """Yield generated keys under ``prefix`` with their modification time."""
        _check_list_prefix(prefix)
        for item in await asyncio.to_thread(self._scan, prefix):
            yield item

    async def purge_incomplete(self, prefix: str, *, before: datetime) -> int:
        """Remove temporary files of unfinished puts under ``prefix`` older than ``before``."""
        _check_list_prefix(prefix)
        return await asyncio.to_thread(self._purge_temporary, prefix, before.timestamp())

    async def download_url(
        self,
        key: str,
        *,
        expires_in: int,
        filename: str,
        content_type: str | None = None,
    ) -> str:
        """Return a signed hub URL that downloads the file as ``filename``."""
        return self._signed_url(key, "GET", expires_in, filename)

    async def upload_url(
        self, key: str, *, expires_in: int, content_type: str
    ) -> tuple[str, dict[str, str]]:
        """Return a signed hub URL for a PUT of the object's bytes."""
        return self._signed_url(key, "PUT", expires_in, ""), {"Content-Type": content_type}

    def verify_signature(
        self, key: str, method: str, exp: int | str, fn: str, sig: str, now: datetime
    ) -> bool:
        """Tell whether ``sig`` allows ``method`` on ``key`` with ``fn`` at ``now``."""
        expiry = int(exp) if _EXPIRY_RE.fullmatch(str(exp)) else None
        if expiry is None or expiry < now.timestamp() or not _KEY_RE.fullmatch(key):
            return False
        expected = self._sign(key, method, expiry, fn).encode()
        return hmac.compare_digest(expected, sig.encode("utf-8", "surrogatepass"))

    async def ensure_ready(self) -> None:
        """Create the root folder."""
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)

    async def check(self) -> None:
        """Check the root folder is there and writable."""
        usable = await asyncio.to_thread(
            lambda: self._root.is_dir() and os.access(self._root, os.W_OK | os.X_OK)
        )
        if not usable:
            raise ObjectStoreError(f"the folder {self._root} is missing or not writable")

    async def close(self) -> None:
        """Release nothing: the store holds no open resources."""

    def _signed_url(self, key: str, method: str, expires_in: int, fn: str) -> str:
        validate_key(key)
        exp = int(self._clock().timestamp()) + expires_in
        query = {"exp": str(exp), "fn": fn} if fn else {"exp": str(exp)}
        query["sig"] = self._sign(key, method, exp, fn)
        return f"{self._base_url}/files/{key}?{urlencode(query, quote_via=quote)}"

    def _sign(self, key: str, method: str, exp: int, fn: str) -> str:
        message = "\n".join(("channelhub-object-v1", method.upper(), key, str(exp), fn))
        data = message.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def _scan(self, prefix: str) -> list[tuple[str, datetime]]:
        found = []
        for folder, _, names in os.walk(self._root.joinpath(*prefix.split("/")[:-1])):
            for name in names:
                key = Path(folder, name).relative_to(self._root).as_posix()
                if key.startswith(prefix) and _KEY_RE.fullmatch(key):
                    with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                        mtime = Path(folder, name).stat().st_mtime
                        found.append((key, datetime.fromtimestamp(mtime, UTC)))
        return found

    def _purge_temporary(self, prefix: str, before: float) -> int:
        removed = 0
        for folder, _, names in os.walk(self._root.joinpath(*prefix.split("/")[:-1])):
            relative = Path(folder).relative_to(self._root).as_posix()
            for name in names:
                path = Path(folder, name)
                if not (_is_temporary(name) and f"{relative}/{name}".startswith(prefix)):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if path.stat().st_mtime < before:
                        path.unlink()
                        removed += 1
        return removed


def _is_temporary(name: str) -> bool:
    # mkstemp names of put(): ".<object name>.<random>.tmp"
    return name.startswith(".") and name.endswith(".tmp")


def _meta_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.meta.json")


async def _write_file(fd: int, chunks: AsyncIterable[bytes], max_bytes: int | None) -> _Meter:
    meter = _Meter(max_bytes)
    with os.fdopen(fd, "wb") as file:
        async for chunk in chunks:
            meter.add(chunk)
            await asyncio.to_thread(file.write, chunk)
        await asyncio.to_thread(_sync, file)
    return meter


def _sync(file: IO[bytes]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _commit_file(tmp: Path, path: Path, stored: StoredObject) -> None:
    meta = {"content_type": stored.content_type, "sha256": stored.sha256}
    meta_tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.meta.tmp")
    meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(meta_tmp, _meta_path(path))
    os.replace(tmp, path)


def _head_file(key: str, path: Path) -> StoredObject | None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    meta = _read_meta(path)
    content_type = meta.get("content_type")
    if not isinstance(content_type, str):
        content_type = DEFAULT_CONTENT_TYPE
    return StoredObject(key, size, _hex_or_none(meta.get("sha256")), content_type)


def _read_meta(path: Path) -> dict[str, object]:
    try:
        meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


async def _read_file(key: str, path: Path) -> AsyncIterator[bytes]:
    try:
        file = await asyncio.to_thread(lambda: path.open("rb"))
    except FileNotFoundError as exc:
        raise ObjectNotFound(key) from exc
    try:
        while chunk := await asyncio.to_thread(file.read, READ_CHUNK_SIZE):
            yield chunk
    finally:
        file.close()
