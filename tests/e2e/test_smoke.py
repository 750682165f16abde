"""The smoke test `make check-lowest` runs at the lowest allowed dependency versions.

Every module imports, and a served hub answers the three transports a client uses: GraphQL over
HTTP, a multipart upload and a graphql-transport-ws subscription.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import httpx

from tests.wsclient import graphql_socket

PACKAGES = ("storage", "hub", "schema", "resolvers", "web")
LOGIN = 'mutation { login(email: "admin@vendor.example", password: "channelhub-demo") { token } }'
UPLOAD = """mutation($file: Upload!, $input: AssetInput!) {
  uploadAsset(file: $file, input: $input) { title versions { fileName size } downloadUrl } }"""
PDF = b"%PDF-1.7\n" + b"smoke " * 100
CREATE_LEAD = "mutation($input: LeadInput!) { createLead(input: $input) { id } }"
LEAD = {"customerCompany": "Smoke Inc", "country": "US", "productLine": "NETWORKING"}


def test_every_module_imports() -> None:
    root = Path(__file__).resolve().parents[2]
    names = [
        module.name
        for package in PACKAGES
        for module in pkgutil.walk_packages([str(root / package)], prefix=f"{package}.")
    ]

    for name in names:
        importlib.import_module(name)
    assert len(names) > 100


async def test_a_served_hub_answers_http_multipart_and_websocket(embedded_server: str) -> None:
    async with httpx.AsyncClient(base_url=embedded_server) as http:
        token = (await http.post("/graphql", json={"query": LOGIN})).json()["data"]["login"][
            "token"
        ]
        auth = {"authorization": f"Bearer {token}"}
        me = (await http.post("/graphql", json={"query": "{ me { email } }"}, headers=auth)).json()
        operations = {
            "query": UPLOAD,
            "variables": {"file": None, "input": {"title": "Smoke", "kind": "DATASHEET"}},
        }
        uploaded = (
            await http.post(
                "/graphql",
                data={
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files=[("0", ("smoke.pdf", PDF, "application/pdf"))],
                headers={**auth, "apollo-require-preflight": "1"},
            )
        ).json()
        downloaded = await http.get(uploaded["data"]["uploadAsset"].pop("downloadUrl"))
    first_event = await first_lead_event(embedded_server, token)

    assert me == {"data": {"me": {"email": "admin@vendor.example"}}}
    assert uploaded == {
        "data": {
            "uploadAsset": {
                "title": "Smoke",
                "versions": [{"fileName": "smoke.pdf", "size": len(PDF)}],
            }
        }
    }
    assert downloaded.content == PDF
    assert first_event["data"]["leadEvents"]["lead"] == {"customerCompany": "Smoke Inc"}


async def first_lead_event(base: str, token: str) -> dict[str, object]:
    """A live event: a lead created over HTTP while the socket listens."""
    async with (
        graphql_socket(base.replace("http", "ws", 1) + "/graphql", token) as socket,
        httpx.AsyncClient(base_url=base) as http,
    ):
        await socket.subscribe("subscription { leadEvents { type lead { customerCompany } } }")
        await socket.silent(0.3)  # the subscription is in place before the lead is created
        created = await http.post(
            "/graphql",
            json={"query": CREATE_LEAD, "variables": {"input": LEAD}},
            headers={"authorization": f"Bearer {token}"},
        )
        assert "errors" not in created.json(), created.json()
        return await socket.next()
