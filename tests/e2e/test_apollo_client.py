"""Apollo Client itself (npm) against a live hub: Apollo's SetContextLink auth recipe logged
out and in, and PersistedQueryLink's automatic persisted queries over POST and over GET."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, Factory

CLIENT = Path(__file__).resolve().parent.parent / "conformance" / "apollo_client.mjs"


async def run_client(*args: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the Apollo Client conformance check"
    process = await asyncio.create_subprocess_exec(
        node, str(CLIENT), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize("method", ["post", "get"])
async def test_apollo_client_logs_in_and_sends_hashed_queries(
    ws_url: str, factory: Factory, method: str
) -> None:
    admin = await factory.vendor_admin()
    url = ws_url.replace("ws://", "http://")
    result = await run_client(url, admin.user.email, PASSWORD, method)
    steps, requests = result["steps"], result["requests"]

    assert steps["loggedOut"] == {"data": None, "errors": ["UNAUTHENTICATED"]}
    assert steps["login"]["errors"] == [] and steps["login"]["data"]["login"]["token"]
    me = {"me": {"__typename": "User", "email": admin.user.email, "role": "VENDOR_ADMIN"}}
    assert steps["first"] == steps["second"] == {"data": me, "errors": []}
    assert steps["after"] == {"data": None, "errors": ["UNAUTHENTICATED"]}
    hashed = "GET" if method == "get" else "POST"
    sent = [(r["method"], r["hashed"], r["query"], bool(r["authorization"])) for r in requests]
    assert sent == [
        (hashed, True, False, False),  # logged out: the hash alone, not known yet
        ("POST", True, True, False),  # then with the document, which is kept
        ("POST", True, False, False),  # login by hash (a mutation is never sent as GET)
        ("POST", True, True, False),
        (hashed, True, False, True),  # me by hash alone: known since the logged-out try
        (hashed, True, False, True),
        (hashed, True, False, False),  # logged out again
    ]
