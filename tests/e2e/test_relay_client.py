"""Relay itself (relay-compiler and relay-runtime from npm) against a live hub: the refetch
query relay-compiler makes for an @refetchable fragment reads the partner again through
`node(id)`, and Relay's store, keyed by the global id, holds the fresh record."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from hub.partners import Tier
from tests.factories import Factory
from web.cli import SCHEMA_FILE

CONFORMANCE = Path(__file__).resolve().parent.parent / "conformance"


async def run(*command: str, cwd: Path | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, (out + err).decode()
    return out.decode()


async def test_relay_refetches_a_partner_through_node(
    ws_url: str, factory: Factory, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the Relay conformance check"
    (tmp_path / "src" / "__generated__").mkdir(parents=True)
    shutil.copy(CONFORMANCE / "relay" / "partner.js", tmp_path / "src")
    config = {
        "src": "./src",
        "schema": str(SCHEMA_FILE),
        "language": "javascript",
        "artifactDirectory": "./src/__generated__",
    }
    (tmp_path / "relay.config.json").write_text(json.dumps(config))
    await run(str(CONFORMANCE / "node_modules" / ".bin" / "relay-compiler"), cwd=tmp_path)
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Acme Networks", tier=Tier.GOLD)
    url = ws_url.replace("ws://", "http://")

    result = json.loads(
        await run(
            node,
            str(CONFORMANCE / "relay_client.cjs"),
            url,
            vendor.token,
            str(tmp_path / "src" / "__generated__"),
            partner.id,
            "Acme Renamed",
        )
    )

    assert result["requests"] == ["partnerQuery", "partnerRefetchQuery"]
    assert result["first"]["partner"]["id"] == partner.id
    assert result["refetched"]["node"]["__id"] == partner.id  # the store record it read
    assert result["stored"] == {"typename": "Partner", "name": "Acme Renamed", "tier": "GOLD"}
