"""urql with graphcache, its normalized cache keyed by `__typename` and `id`, against a live
hub: a mutation's answer updates the entity in a cached list without a refetch, and nothing
the queries select lacks a key."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from tests.factories import Factory

CLIENT = Path(__file__).resolve().parent.parent / "conformance" / "urql_client.mjs"
LIST = "query Partners { partners(first: 10) { edges { node { id name tier } } totalCount } }"
RENAME = """mutation Rename($id: ID!, $name: String!) {
  updatePartner(id: $id, input: {name: $name}) { id name }
}"""


async def run_client(url: str, token: str, queries: dict[str, Any], folder: Path) -> Any:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the urql conformance check"
    spec = folder / "queries.json"
    spec.write_text(json.dumps(queries))
    process = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT),
        url,
        token,
        str(spec),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_graphcache_updates_a_cached_list_from_a_mutations_answer(
    ws_url: str, factory: Factory, tmp_path: Path
) -> None:
    vendor = await factory.vendor_admin()
    first = await factory.partner("Acme Networks")
    await factory.partner("Globex Systems")
    url = ws_url.replace("ws://", "http://")
    queries = {
        "list": LIST,
        "mutation": RENAME,
        "variables": {"id": first.id, "name": "Acme Renamed"},
    }

    result = await run_client(url, vendor.token, queries, tmp_path)

    assert result["errors"] == [] and result["warnings"] == []
    names = {
        edge["node"]["id"]: edge["node"]["name"] for edge in result["before"]["partners"]["edges"]
    }
    assert names[first.id] == "Acme Networks"
    cached = {
        edge["node"]["id"]: edge["node"]["name"] for edge in result["after"]["partners"]["edges"]
    }
    assert cached == {**names, first.id: "Acme Renamed"}  # from the cache: no third request
    assert result["requests"] == 2
