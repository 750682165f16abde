"""Object stores under test: a folder in tmp_path, and a bucket on the real SeaweedFS S3."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config

from storage.objects import FilesystemObjectStore, ObjectStore, S3ObjectStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SIGNING_SECRET = b"test-object-store-signing-secret!"
PUBLIC_BASE_URL = "http://hub.test"


@dataclass(frozen=True)
class S3Target:
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    bucket: str

    def store(self, **options: bool) -> S3ObjectStore:
        return S3ObjectStore(
            endpoint_url=self.endpoint_url,
            region=self.region,
            bucket=self.bucket,
            access_key=self.access_key,
            secret_key=self.secret_key,
            **options,
        )


@pytest.fixture(scope="session")
def s3_target() -> S3Target:
    endpoint = os.environ.get("CHANNELHUB_TEST_S3_ENDPOINT")
    if not endpoint:
        pytest.fail(
            "CHANNELHUB_TEST_S3_ENDPOINT is not set: the S3 tests need the real SeaweedFS "
            "server; run them through `python scripts/services.py -- pytest ...`",
            pytrace=False,
        )
    return S3Target(
        endpoint_url=endpoint,
        region=os.environ.get("CHANNELHUB_TEST_S3_REGION", "us-east-1"),
        access_key=os.environ.get("CHANNELHUB_TEST_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("CHANNELHUB_TEST_S3_SECRET_KEY", ""),
        bucket=f"channelhub-test-{uuid.uuid4().hex[:16]}",
    )


@pytest.fixture(scope="session")
def s3_admin(s3_target: S3Target) -> Iterator[S3Client]:
    """Yield a plain boto3 client on the test bucket; empty and drop the bucket at the end."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_target.endpoint_url,
        region_name=s3_target.region,
        aws_access_key_id=s3_target.access_key,
        aws_secret_access_key=s3_target.secret_key,
        config=Config(s3={"addressing_style": "path"}),
    )
    yield client
    _drop_bucket(client, s3_target.bucket)
    client.close()


def _drop_bucket(client: S3Client, bucket: str) -> None:
    if bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        return
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    for upload in uploads:
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture
async def s3_store(s3_target: S3Target, s3_admin: S3Client) -> AsyncIterator[S3ObjectStore]:
    store = s3_target.store()
    await store.ensure_ready()
    yield store
    await store.close()


@pytest.fixture
async def fs_store(tmp_path: Path) -> AsyncIterator[FilesystemObjectStore]:
    store = FilesystemObjectStore(
        tmp_path / "objects", secret=SIGNING_SECRET, public_base_url=PUBLIC_BASE_URL
    )
    await store.ensure_ready()
    yield store
    await store.close()


@pytest.fixture(params=["fs", "s3"])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    """Run a test once on each backend."""
    backend: FilesystemObjectStore | S3ObjectStore = request.getfixturevalue(
        f"{request.param}_store"
    )
    return backend  # mypy checks here that both classes satisfy the protocol


@pytest.fixture
def prefix() -> str:
    """Return a key prefix no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"
