"""apollo-upload-client (npm, with Apollo Client) uploads an asset through our multipart endpoint."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from tests.factories import Factory

CLIENT = Path(__file__).resolve().parent.parent / "conformance" / "upload_client.mjs"


async def test_apollo_upload_client_uploads_an_asset(ws_url: str, factory: Factory) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the apollo-upload-client check"
    vendor = await factory.vendor_admin()
    url = ws_url.replace("ws://", "http://")

    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT),
        url,
        vendor.token,
        "Brochure.pdf",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    result = (
        json.loads(stdout.decode().strip().splitlines()[-1])
        if stdout.strip()
        else {"error": stderr.decode()}
    )
    assert result.get("ok") is True, result
    asset = result["data"]["uploadAsset"]
    assert asset["title"] == "From Apollo"
    assert asset["versions"] == [
        {
            "fileName": "Brochure.pdf",
            "contentType": "application/pdf",
            "size": result["size"],
            "__typename": "AssetVersion",
        }
    ]
