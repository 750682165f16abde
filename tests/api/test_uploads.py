"""Multipart requests over the real SeaweedFS S3: a body refused creates nothing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from hub.settings import Settings, load_settings
from tests.conftest import data_of, hub_env
from tests.factories import Factory
from tests.services import service_env

PDF = b"%PDF-1.7\n" + b"price list " * 300
UPLOAD_MANY = """mutation($files: [Upload!]!, $input: AssetInput!) {
  uploadAssets(files: $files, input: $input) { id } }"""
UPLOAD_ONE = """mutation($file: Upload!, $input: AssetInput!) {
  uploadAsset(file: $file, input: $input) { id } }"""
NEW_VERSION = """mutation($asset: ID!, $file: Upload!) {
  uploadAssetVersion(assetId: $asset, file: $file) { number } }"""
VERSIONS = "query($id: ID!) { asset(id: $id) { versions { fileName } } }"
CREATE_PRODUCT = """mutation($input: ProductInput!) { createProduct(input: $input) { sku } }"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Files go to a bucket of their own on the SeaweedFS S3 server of the test services."""
    return load_settings(
        hub_env(
            var_dir=str(tmp_path / "var"),
            s3_bucket=f"uploads-{uuid.uuid4().hex[:12]}",
            s3_endpoint_url=service_env("S3_ENDPOINT"),
            s3_access_key=service_env("S3_ACCESS_KEY"),
            s3_secret_key=service_env("S3_SECRET_KEY"),
        )
    )


def bucket_contents(settings: Settings) -> tuple[list[str], list[str]]:
    """The objects in the bucket, and the multipart uploads still open there."""
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.objects.s3_endpoint_url,
        region_name=settings.objects.s3_region,
        aws_access_key_id=settings.objects.s3_access_key,
        aws_secret_access_key=settings.objects.s3_secret_key,
    )
    bucket = settings.objects.s3_bucket
    objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return [item["Key"] for item in objects], [item["Key"] for item in uploads]


async def post_multipart(
    factory: Factory, operations: dict[str, Any], files: list[tuple[str, Any]]
) -> Any:
    admin = await factory.vendor_admin()
    mapped = {name: [path] for name, (_, _, _, path) in files if path is not None}
    return await factory.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapped)},
        files=[
            (name, (file_name, data, "application/pdf")) for name, (file_name, data, _, _) in files
        ],
        headers={"authorization": f"Bearer {admin.token}", "apollo-require-preflight": "1"},
    )


async def test_parts_over_the_limit_after_the_files_create_nothing(
    factory: Factory, settings: Settings
) -> None:
    operations = {
        "query": UPLOAD_MANY,
        "variables": {"files": [None] * 20, "input": {"title": "Kit", "kind": "DATASHEET"}},
    }
    files = [
        (str(index), (f"{index}.pdf", PDF, None, f"variables.files.{index}")) for index in range(20)
    ]
    extra = [("extra", ("x.txt", b"x", None, None))] * 480

    response = await post_multipart(factory, operations, files + extra)
    admin = await factory.vendor_admin()
    listed = data_of(await factory.gql("{ assets { totalCount } }", actor=admin))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "message": "a multipart request may have at most 28 parts",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]
    assert listed == {"assets": {"totalCount": 0}}
    assert bucket_contents(settings) == ([], [])


async def test_parts_over_the_limit_before_any_file_refuse_the_operation(
    factory: Factory,
) -> None:
    product = {
        "sku": "KIT-1",
        "name": "Kit",
        "productLine": "networking",
        "listPrices": [{"amountMinor": 100, "currency": "USD"}],
    }
    extra = [("extra", ("x.txt", b"x", None, None))] * 40

    response = await post_multipart(
        factory, {"query": CREATE_PRODUCT, "variables": {"input": product}}, extra
    )
    admin = await factory.vendor_admin()
    listed = data_of(await factory.gql("{ products { totalCount } }", actor=admin))

    assert response.status_code == 400
    assert "at most 28 parts" in response.json()["errors"][0]["message"]
    assert listed == {"products": {"totalCount": 0}}


async def test_files_within_the_limits_still_upload_to_s3(
    factory: Factory, settings: Settings
) -> None:
    operations = {
        "query": UPLOAD_MANY,
        "variables": {"files": [None] * 3, "input": {"title": "Kit", "kind": "DATASHEET"}},
    }
    files = [
        (str(index), (f"{index}.pdf", PDF, None, f"variables.files.{index}")) for index in range(3)
    ]
    extra = [("extra", ("x.txt", b"x", None, None))] * 5

    response = await post_multipart(factory, operations, files + extra)

    assert len(data_of(response.json())["uploadAssets"]) == 3
    assert len(bucket_contents(settings)[0]) == 3


async def test_a_file_streams_to_the_store_holding_no_database_connection(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uploadAssetVersion reads the asset, then streams the file: the read's connection is
    back in the pool by then (multipart requests do not share one for the whole request)."""
    admin = await factory.vendor_admin()
    operations = {
        "query": UPLOAD_ONE,
        "variables": {"file": None, "input": {"title": "Kit", "kind": "DATASHEET"}},
    }
    first = await post_multipart(
        factory, operations, [("0", ("a.pdf", PDF, None, "variables.file"))]
    )
    asset = first.json()["data"]["uploadAsset"]["id"]
    pool = factory.hub.db.kw["bind"].pool
    held: list[int] = []
    put = factory.hub.objects.put

    async def counting_put(*args: Any, **kwargs: Any) -> Any:
        held.append(pool.checkedout())
        return await put(*args, **kwargs)

    monkeypatch.setattr(factory.hub.objects, "put", counting_put)
    operations = {"query": NEW_VERSION, "variables": {"asset": asset, "file": None}}
    second = await post_multipart(
        factory, operations, [("0", ("b.pdf", PDF, None, "variables.file"))]
    )
    versions = data_of(await factory.gql(VERSIONS, {"id": asset}, actor=admin))

    assert second.json() == {"data": {"uploadAssetVersion": {"number": 2}}}
    assert held == [0]
    assert [version["fileName"] for version in versions["asset"]["versions"]] == ["b.pdf", "a.pdf"]
