"""Uploads through GraphQL multipart requests, CSRF, limits, entitlement and download URLs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.partners import Tier
from hub.roles import Role
from hub.settings import Settings, load_settings
from tests.conftest import data_of, hub_env
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"png body" * 100
PDF = b"%PDF-1.7\n" + b"datasheet " * 500
UPLOAD = """mutation($file: Upload!, $input: AssetInput!) {
  uploadAsset(file: $file, input: $input) { id title versions { number fileName contentType size sha256 } }
}"""
CSRF = {"apollo-require-preflight": "true"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A small upload limit so the limit is easy to cross."""
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), max_upload_bytes="65536"))


async def upload(
    factory: Factory,
    actor: Actor,
    data: bytes,
    name: str,
    input: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    operations = {"query": UPLOAD, "variables": {"file": None, "input": input}}
    return await factory.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, data, "application/pdf")},
        headers={
            "authorization": f"Bearer {actor.token}",
            **(CSRF if headers is None else headers),
        },
    )


async def test_upload_keeps_the_detected_type_not_the_clients(factory: Factory) -> None:
    vendor = await factory.vendor_admin()

    response = await upload(
        factory, vendor, PNG, "C:\\\\fakepath\\\\logo.pdf", {"title": "Logo", "kind": "LOGO"}
    )

    asset = data_of(response.json())["uploadAsset"]
    [version] = asset["versions"]
    assert (version["fileName"], version["contentType"], version["size"]) == (
        "logo.pdf",
        "image/png",
        len(PNG),
    )


async def test_multipart_without_a_preflight_header_is_refused_before_reading(
    factory: Factory,
) -> None:
    vendor = await factory.vendor_admin()

    response = await upload(
        factory, vendor, PDF, "d.pdf", {"title": "D", "kind": "DATASHEET"}, headers={}
    )

    assert response.status_code == 400
    assert "CSRF" in response.json()["errors"][0]["message"]


async def test_oversize_disallowed_and_non_file_values_are_bad_input(factory: Factory) -> None:
    vendor = await factory.vendor_admin()

    too_big = await upload(
        factory, vendor, b"%PDF-1.7\n" + b"x" * 70_000, "big.pdf", {"title": "Big", "kind": "VIDEO"}
    )
    exe = await upload(
        factory,
        vendor,
        b"MZ\x90\x00" + b"\x00" * 300,
        "setup.pdf",
        {"title": "Exe", "kind": "OTHER"},
    )
    not_a_file = await factory.client.post(
        "/graphql",
        json={
            "query": UPLOAD,
            "variables": {"file": "just a string", "input": {"title": "X", "kind": "OTHER"}},
        },
        headers={"authorization": f"Bearer {vendor.token}"},
    )

    assert errors_of(too_big.json()) == [("BAD_USER_INPUT", "file")]
    assert "65536 bytes" in too_big.json()["errors"][0]["message"]
    assert errors_of(exe.json()) == [("BAD_USER_INPUT", "file")]
    assert errors_of(not_a_file.json()) == [("BAD_USER_INPUT", "file")]
    listed = data_of(await factory.gql("{ assets { totalCount } }", actor=vendor))
    assert listed["assets"]["totalCount"] == 0


async def test_two_files_in_one_request_and_malformed_maps(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    created = data_of(
        (await upload(factory, vendor, PDF, "a.pdf", {"title": "A", "kind": "DATASHEET"})).json()
    )["uploadAsset"]
    both = """mutation($id: ID!, $a: Upload!, $b: Upload!) {
      one: uploadAssetVersion(assetId: $id, file: $a) { number } two: uploadAssetVersion(assetId: $id, file: $b) { number } }"""
    operations = {"query": both, "variables": {"id": created["id"], "a": None, "b": None}}
    headers = {"authorization": f"Bearer {vendor.token}", **CSRF}

    response = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.a"], "1": ["variables.b"]}),
        },
        files={
            "0": ("v2.pdf", PDF + b"2", "application/pdf"),
            "1": ("v3.pdf", PDF + b"3", "application/pdf"),
        },
        headers=headers,
    )
    bad_path = await factory.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["query"]})},
        files={"0": ("x.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    missing_part = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.a"], "7": ["variables.b"]}),
        },
        files={"0": ("x.pdf", PDF, "application/pdf")},
        headers=headers,
    )

    assert data_of(response.json()) == {"one": {"number": 2}, "two": {"number": 3}}
    assert bad_path.status_code == 400
    # Files stream while the operation runs: a part that never comes fails its own field
    # (the first field's file did come, and its version stands).
    assert errors_of(missing_part.json()) == [("BAD_USER_INPUT", "file")]
    assert missing_part.json()["errors"][0]["path"] == ["two"]
    assert "'7'" in missing_part.json()["errors"][0]["message"]
    versions = await factory.gql(
        "query($id: ID!) { asset(id: $id) { versions { number } } }",
        {"id": created["id"]},
        actor=vendor,
    )
    assert len(data_of(versions)["asset"]["versions"]) == 4


async def test_files_in_a_list_and_one_file_at_two_paths(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    many = """mutation($files: [Upload!]!, $input: AssetInput!) {
      uploadAssets(files: $files, input: $input) { title versions { fileName contentType size } }
    }"""
    operations = {
        "query": many,
        "variables": {"files": [None, None, None], "input": {"title": "Logos", "kind": "LOGO"}},
    }

    response = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps(
                {"a": ["variables.files.0", "variables.files.2"], "b": ["variables.files.1"]}
            ),
        },
        files={
            "a": ("logo.png", PNG, "image/png"),
            "b": ("logo.pdf", PDF, "application/pdf"),
        },
        headers={"authorization": f"Bearer {vendor.token}", **CSRF},
    )

    assert [
        (asset["title"], asset["versions"][0]["fileName"], asset["versions"][0]["size"])
        for asset in data_of(response.json())["uploadAssets"]
    ] == [
        ("Logos (logo.png)", "logo.png", len(PNG)),
        ("Logos (logo.pdf)", "logo.pdf", len(PDF)),
        ("Logos (logo.png)", "logo.png", len(PNG)),
    ]


async def test_a_bad_file_in_a_list_publishes_none_of_them(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    many = """mutation($files: [Upload!]!, $input: AssetInput!) {
      uploadAssets(files: $files, input: $input) { id } }"""
    operations = {
        "query": many,
        "variables": {"files": [None, None], "input": {"title": "Pack", "kind": "OTHER"}},
    }

    response = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.files.0"], "1": ["variables.files.1"]}),
        },
        files={
            "0": ("good.pdf", PDF, "application/pdf"),
            "1": ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 300, "application/pdf"),
        },
        headers={"authorization": f"Bearer {vendor.token}", **CSRF},
    )

    assert errors_of(response.json()) == [("BAD_USER_INPUT", "files[1]")]
    listed = data_of(await factory.gql("{ assets { totalCount } }", actor=vendor))
    assert listed["assets"]["totalCount"] == 0
    assert stored_files(factory) == []


async def test_the_operation_runs_while_the_file_is_still_arriving(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    boundary = "hub-test-boundary"
    operations = {
        "query": UPLOAD,
        "variables": {"file": None, "input": {"title": "S", "kind": "VIDEO"}},
    }
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{json.dumps(operations)}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        f'{{"0": ["variables.file"]}}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="s.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    seen_in_store_early = []

    async def body() -> Any:
        yield head + PDF * 3  # past the bytes sniffed for the type
        # The store is already writing the object before the rest of the body is sent.
        for _ in range(200):
            if list(objects_dir(factory).rglob("*.tmp")):
                seen_in_store_early.append(True)
                break
            await asyncio.sleep(0.01)
        yield b"tail" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await factory.client.post(
        "/graphql",
        content=body(),
        headers={
            "authorization": f"Bearer {vendor.token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
            **CSRF,
        },
    )

    assert data_of(response.json())["uploadAsset"]["versions"][0]["size"] == len(PDF) * 3 + 4000
    assert seen_in_store_early == [True]


async def test_files_must_follow_operations_and_map(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    boundary = "b"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.pdf"\r\n\r\n'
        f"%PDF-1.7\r\n--{boundary}--\r\n"
    ).encode()

    response = await factory.client.post(
        "/graphql",
        content=body,
        headers={
            "authorization": f"Bearer {vendor.token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
            **CSRF,
        },
    )

    assert response.status_code == 400
    assert "operations field before its files" in response.json()["errors"][0]["message"]


def objects_dir(factory: Factory) -> Path:
    return factory.hub.settings.objects.root


def stored_files(factory: Factory) -> list[Path]:
    root = objects_dir(factory)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_a_silver_partner_cannot_obtain_a_gold_only_url(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    gold = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)
    silver = await factory.user((await factory.partner(tier=Tier.SILVER)).id, Role.PARTNER_USER)
    created = data_of(
        (
            await upload(
                factory,
                vendor,
                PDF,
                "p.pdf",
                {"title": "Gold prices", "kind": "PRICE_LIST", "minTier": "GOLD"},
            )
        ).json()
    )
    query = "query($id: ID!) { asset(id: $id) { title downloadUrl(expiresInSeconds: 60) } }"

    as_gold = await factory.gql(query, {"id": created["uploadAsset"]["id"]}, actor=gold)
    as_silver = await factory.gql(query, {"id": created["uploadAsset"]["id"]}, actor=silver)
    url = data_of(as_gold)["asset"]["downloadUrl"]
    fetched = await factory.client.get(url.removeprefix("http://127.0.0.1:8000"))

    assert errors_of(as_silver) == [("NOT_FOUND", "id")]
    assert fetched.content == PDF


ASSET_EVENTS = """
subscription($after: String) {
  assetEvents(after: $after) { cursor type assetId version asset { title } }
}"""


async def test_published_assets_reach_entitled_partners_live_and_on_replay(
    factory: Factory, ws_url: str
) -> None:
    vendor = await factory.vendor_admin()
    gold = await factory.user((await factory.partner(tier=Tier.GOLD)).id, Role.PARTNER_USER)
    silver = await factory.user((await factory.partner(tier=Tier.SILVER)).id, Role.PARTNER_USER)

    async with (
        graphql_socket(ws_url, gold.token) as gold_socket,
        graphql_socket(ws_url, silver.token) as silver_socket,
    ):
        await gold_socket.subscribe(ASSET_EVENTS)
        await silver_socket.subscribe(ASSET_EVENTS)
        await asyncio.sleep(0.2)
        gold_only = data_of(
            (
                await upload(
                    factory,
                    vendor,
                    PDF,
                    "g.pdf",
                    {"title": "Gold deck", "kind": "PRESENTATION"} | {"minTier": "GOLD"},
                )
            ).json()
        )["uploadAsset"]
        for_all = data_of(
            (await upload(factory, vendor, PNG, "l.png", {"title": "Logo", "kind": "LOGO"})).json()
        )["uploadAsset"]

        gold_first = (await gold_socket.next())["data"]["assetEvents"]
        gold_second = (await gold_socket.next())["data"]["assetEvents"]
        silver_first = (await silver_socket.next())["data"]["assetEvents"]
        assert await silver_socket.silent()

    assert [(gold_first["assetId"], gold_first["asset"]), (gold_second["assetId"])] == [
        (gold_only["id"], {"title": "Gold deck"}),
        for_all["id"],
    ]
    assert (silver_first["type"], silver_first["assetId"], silver_first["version"]) == (
        "ASSET_PUBLISHED",
        for_all["id"],
        1,
    )
    # A reconnecting app replays what it missed after its last cursor, nothing it may not see.
    async with graphql_socket(ws_url, silver.token) as again:
        await again.subscribe(ASSET_EVENTS, {"after": "0"})
        replayed = (await again.next())["data"]["assetEvents"]
        assert replayed["cursor"] == silver_first["cursor"]
        assert await again.silent()
    async with graphql_socket(ws_url, gold.token) as again:
        await again.subscribe(ASSET_EVENTS, {"after": gold_first["cursor"]})
        assert (await again.next())["data"]["assetEvents"]["cursor"] == gold_second["cursor"]
