"""The npm graphql-ws client talks to our graphql-transport-ws endpoint, and the
subscriptions-transport-ws client (Apollo's mobile clients' legacy protocol) to the same one."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from hub.partners import TerritoryInput
from hub.roles import Role
from tests.conftest import data_of
from tests.factories import Factory

CONFORMANCE = Path(__file__).resolve().parent.parent / "conformance"
CREATE = 'mutation($c: String!) { createLead(input: {customerCompany: $c, country: "US", productLine: "NETWORKING", region: "US-CA"}) { id } }'


@pytest.mark.parametrize("script", ["ws_client.mjs", "legacy_ws_client.mjs"])
async def test_graphql_ws_client_queries_and_receives_lead_events(
    ws_url: str, factory: Factory, script: str
) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the graphql-ws conformance check"
    partner = await factory.partner(
        "West", territories=(TerritoryInput(name="CA", regions=("US-CA",)),)
    )
    user = await factory.user(partner.id, Role.PARTNER_USER)
    vendor = await factory.vendor_admin()
    process = await asyncio.create_subprocess_exec(
        node,
        str(CONFORMANCE / script),
        ws_url,
        user.token,
        "2",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []

    async def read_until(kind: str) -> None:
        while True:
            raw = await asyncio.wait_for(process.stdout.readline(), 20)  # type: ignore[union-attr]
            assert raw, (await process.stderr.read()).decode()  # type: ignore[union-attr]
            lines.append(json.loads(raw))
            if lines[-1]["kind"] in (kind, "error"):
                return

    await read_until("ready")
    for company in ("First", "Second"):
        data_of(await factory.gql(CREATE, {"c": company}, actor=vendor))
    await read_until("event")
    await read_until("event")
    code = await asyncio.wait_for(process.wait(), 10)

    assert [line["kind"] for line in lines] == ["query", "ready", "event", "event"]
    assert lines[0]["result"] == {"data": {"me": {"email": user.user.email}}}
    events = [line["result"]["data"]["leadEvents"] for line in lines[2:]]
    assert [(event["type"], event["lead"]["customerCompany"]) for event in events] == [
        ("LEAD_OFFERED", "First"),
        ("LEAD_OFFERED", "Second"),
    ]
    assert code == 0
