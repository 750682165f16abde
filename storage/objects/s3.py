"""S3 object store: an S3-compatible bucket through boto3."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.objects.base import (
    _KEY_RE,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_MULTIPART_THRESHOLD,
    MIN_PART_SIZE,
    READ_CHUNK_SIZE,
    ObjectNotFound,
    ObjectStoreError,
    StoredObject,
    _check_list_prefix,
    _hex_or_none,
    _Meter,
    content_disposition,
    validate_key,
)

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, ListObjectsV2OutputTypeDef

# Named after the package, as when the store was a single module.
logger = logging.getLogger("storage.objects")

# Parts uploading at once for one object (each up to the multipart threshold in memory).
PARTS_IN_FLIGHT = 3

_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3ObjectStore:
    """Objects in an S3-compatible bucket; every boto3 call runs in a worker thread."""

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        region: str,
        bucket: str,
        access_key: str | None,
        secret_key: str | None,
        create_bucket: bool = True,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
    ) -> None:
        if multipart_threshold < MIN_PART_SIZE:
            raise ValueError(f"multipart_threshold must be at least {MIN_PART_SIZE} bytes")
        self._bucket = bucket
        self._region = region
        self._create_bucket = create_bucket
        self._threshold = multipart_threshold
        self._client = _make_client(endpoint_url, region, access_key, secret_key)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> StoredObject:
        """Upload the stream: one PUT up to the threshold, else a multipart upload."""
        upload = _Upload(self._client, self._bucket, validate_key(key), content_type)
        meter, buffer = _Meter(max_bytes), bytearray()
        try:
            async for chunk in chunks:
                meter.add(chunk)
                buffer = await self._fill(upload, buffer, memoryview(chunk))
            await upload.finish(buffer, meter.sha256)
        except BaseException:
            await upload.abort()
            raise
        return StoredObject(key, meter.size, meter.sha256, content_type)

    async def head(self, key: str) -> StoredObject | None:
        """Describe the object at ``key``; sha256 is known for single-PUT objects only."""
        try:
            found = await asyncio.to_thread(
                self._client.head_object, Bucket=self._bucket, Key=validate_key(key)
            )
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            raise
        sha256 = _hex_or_none(found.get("Metadata", {}).get("sha256"))
        content_type = found.get("ContentType", DEFAULT_CONTENT_TYPE)
        return StoredObject(key, found["ContentLength"], sha256, content_type)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """Start a GET and return its body as a stream; raise ObjectNotFound first."""
        try:
            found = await asyncio.to_thread(
                self._client.get_object, Bucket=self._bucket, Key=validate_key(key)
            )
        except ClientError as exc:
            if _is_not_found(exc):
                raise ObjectNotFound(key) from exc
            raise
        return _read_body(found["Body"])

    async def delete(self, key: str) -> None:
        """Delete the object at ``key``; a missing object is not an error."""
        try:
            await asyncio.to_thread(
                self._client.delete_object, Bucket=self._bucket, Key=validate_key(key)
            )
        except ClientError as exc:
            if not _is_not_found(exc):
                raise

    async def list_keys(self, prefix: str) -> AsyncIterator[tuple[str, datetime]]:
        """Yield generated keys under ``prefix`` with their last-modified time."""
        _check_list_prefix(prefix)
        token: str | None = None
        while True:
            page = await asyncio.to_thread(self._list_page, prefix, token)
            for item in page.get("Contents", []):
                if _KEY_RE.fullmatch(item["Key"]):
                    yield item["Key"], item["LastModified"].astimezone(UTC)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or token is None:
                return

    async def purge_incomplete(self, prefix: str, *, before: datetime) -> int:
        """Abort multipart uploads under ``prefix`` begun before ``before``."""
        _check_list_prefix(prefix)
        stale = await asyncio.to_thread(self._stale_uploads, prefix, before)
        for key, upload_id in stale:
            try:
                await asyncio.to_thread(
                    self._client.abort_multipart_upload,
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                    raise
        return len(stale)

    async def download_url(
        self, key: str, *, expires_in: int, filename: str, content_type: str | None = None
    ) -> str:
        """Return a presigned GET URL that downloads as ``filename``."""
        params = {"Bucket": self._bucket, "Key": validate_key(key)}
        params["ResponseContentDisposition"] = content_disposition(filename)
        if content_type:
            params["ResponseContentType"] = content_type
        return await self._presign("get_object", params, expires_in)

    async def upload_url(
        self, key: str, *, expires_in: int, content_type: str
    ) -> tuple[str, dict[str, str]]:
        """Return a presigned PUT URL and the headers the client must send with it."""
        params = {"Bucket": self._bucket, "Key": validate_key(key), "ContentType": content_type}
        return await self._presign("put_object", params, expires_in), {"Content-Type": content_type}

    async def ensure_ready(self) -> None:
        """Check the bucket is reachable, creating it when missing and allowed."""
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self._bucket)
        except ClientError as exc:
            if not (self._create_bucket and _is_not_found(exc)):
                raise ObjectStoreError(f"bucket {self._bucket!r} is not usable: {exc}") from exc
            await self._make_bucket()
        except BotoCoreError as exc:
            raise ObjectStoreError(f"bucket {self._bucket!r} is not reachable: {exc}") from exc

    async def check(self) -> None:
        """Check the bucket answers, creating nothing."""
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self._bucket)
        except (ClientError, BotoCoreError) as exc:
            raise ObjectStoreError(f"bucket {self._bucket!r} is not usable: {exc}") from exc

    async def close(self) -> None:
        """Close the client's connection pool."""
        await asyncio.to_thread(self._client.close)

    async def _fill(self, upload: _Upload, buffer: bytearray, data: memoryview) -> bytearray:
        # A full buffer is sent only once more data follows, so a stream of exactly
        # the threshold still goes up in a single PUT. A sent buffer belongs to its
        # part upload until that finishes, so filling goes on in a fresh one.
        while data:
            if len(buffer) == self._threshold:
                await upload.send_part(buffer)
                buffer = bytearray()
            room = self._threshold - len(buffer)
            buffer += data[:room]
            data = data[room:]
        return buffer

    async def _presign(self, method: str, params: dict[str, str], expires_in: int) -> str:
        return await asyncio.to_thread(
            self._client.generate_presigned_url, method, Params=params, ExpiresIn=expires_in
        )

    def _list_page(self, prefix: str, token: str | None) -> ListObjectsV2OutputTypeDef:
        if token is None:
            return self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix)
        return self._client.list_objects_v2(
            Bucket=self._bucket, Prefix=prefix, ContinuationToken=token
        )

    def _stale_uploads(self, prefix: str, before: datetime) -> list[tuple[str, str]]:
        stale = []
        pages = self._client.get_paginator("list_multipart_uploads")
        for page in pages.paginate(Bucket=self._bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                key, started = upload.get("Key", ""), upload.get("Initiated")
                if _KEY_RE.fullmatch(key) and started is not None and started < before:
                    stale.append((key, upload["UploadId"]))
        return stale

    async def _make_bucket(self) -> None:
        try:
            await asyncio.to_thread(self._create_bucket_sync)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise ObjectStoreError(f"cannot create bucket {self._bucket!r}: {exc}") from exc

    def _create_bucket_sync(self) -> None:
        if self._region == "us-east-1":
            self._client.create_bucket(Bucket=self._bucket)
            return
        location = cast("BucketLocationConstraintType", self._region)
        self._client.create_bucket(
            Bucket=self._bucket, CreateBucketConfiguration={"LocationConstraint": location}
        )


class _Upload:
    """One object upload: a single PUT while small, numbered parts once large.

    Up to PARTS_IN_FLIGHT parts upload at once while the next one fills, so a stream
    arriving as fast as the store takes it is not slowed to one round trip per part;
    memory stays at (PARTS_IN_FLIGHT + 1) parts whatever the object's size.
    """

    def __init__(self, client: S3Client, bucket: str, key: str, content_type: str) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self._content_type = content_type
        self._upload_id: str | None = None
        self._sending: list[asyncio.Task[CompletedPartTypeDef]] = []

    async def finish(self, tail: bytearray, sha256: str) -> None:
        """Store ``tail`` as the whole object, or as the last part and complete."""
        if self._upload_id is None:
            await asyncio.to_thread(
                self._client.put_object,
                Bucket=self._bucket,
                Key=self._key,
                Body=_blob(tail),
                ContentType=self._content_type,
                Metadata={"sha256": sha256},
            )
            return
        await self.send_part(tail)
        parts = list(await asyncio.gather(*self._sending))
        await asyncio.to_thread(
            self._client.complete_multipart_upload,
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )

    async def abort(self) -> None:
        """Abort the multipart upload, if one was started, once its parts in flight end.

        A part still uploading in its worker thread could otherwise land after the abort.
        """
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self._upload_id is None:
            return
        try:
            await asyncio.to_thread(
                self._client.abort_multipart_upload,
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
            )
        except (BotoCoreError, ClientError):
            logger.warning("could not abort multipart upload of %s", self._key, exc_info=True)

    async def send_part(self, data: bytearray) -> None:
        """Start uploading ``data`` as the next part, once fewer than the maximum are in flight.

        The first failed part raises here (or in ``finish``), not later than the next call.
        """
        if self._upload_id is None:
            created = await asyncio.to_thread(
                self._client.create_multipart_upload,
                Bucket=self._bucket,
                Key=self._key,
                ContentType=self._content_type,
            )
            self._upload_id = created["UploadId"]
        while sum(not task.done() for task in self._sending) >= PARTS_IN_FLIGHT:
            await asyncio.wait(
                [task for task in self._sending if not task.done()],
                return_when=asyncio.FIRST_COMPLETED,
            )
        for task in self._sending:
            if task.done():
                task.result()  # raises the part's failure
        number = len(self._sending) + 1
        self._sending.append(asyncio.create_task(self._part(self._upload_id, number, data)))

    async def _part(self, upload_id: str, number: int, data: bytearray) -> CompletedPartTypeDef:
        sent = await asyncio.to_thread(
            self._client.upload_part,
            Bucket=self._bucket,
            Key=self._key,
            UploadId=upload_id,
            PartNumber=number,
            Body=_blob(data),
        )
        return {"ETag": sent["ETag"], "PartNumber": number}


def _make_client(
    endpoint_url: str | None, region: str, access_key: str | None, secret_key: str | None
) -> S3Client:
    config = Config(
        region_name=region,
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=32,
        # Default CRC32 trailers of newer botocore break several S3-compatible stores.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def _blob(data: bytearray) -> bytes:
    # botocore sends a bytearray as is; the stubs only lack it. Copying would double memory.
    return cast(bytes, data)


def _is_not_found(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES


async def _read_body(body: StreamingBody) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(body.read, READ_CHUNK_SIZE):
            yield chunk
    finally:
        body.close()
