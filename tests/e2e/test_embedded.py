"""`channelhub serve` on a fresh folder: migrates SQLite, seeds demo data, serves GraphQL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.e2e.conftest import clean_env, served

LOGIN = 'mutation { login(email: "admin@vendor.example", password: "channelhub-demo") { token } }'
DIRECTORY = """{
  partners(first: 100) {
    totalCount
    edges { node { country tier type status subPartners { name } } }
  }
}"""


def test_embedded_server_serves_the_seeded_demo(embedded_server: str) -> None:
    with httpx.Client(base_url=embedded_server) as http:
        token = http.post("/graphql", json={"query": LOGIN}).json()["data"]["login"]["token"]
        body = http.post(
            "/graphql", json={"query": DIRECTORY}, headers={"authorization": f"Bearer {token}"}
        ).json()
        ready = http.get("/readyz")
        ide = http.get("/graphql", headers={"accept": "text/html"})

    partners = [edge["node"] for edge in body["data"]["partners"]["edges"]]
    assert body["data"]["partners"]["totalCount"] >= 12
    assert len({partner["country"] for partner in partners}) >= 5
    assert {partner["tier"] for partner in partners} == {"REGISTERED", "SILVER", "GOLD", "PLATINUM"}
    assert {partner["type"] for partner in partners} == {
        "RESELLER",
        "DISTRIBUTOR",
        "VAR",
        "MSP",
        "REFERRAL",
        "SYSTEM_INTEGRATOR",
    }
    assert any(
        len(partner["subPartners"]) >= 2 for partner in partners if partner["type"] == "DISTRIBUTOR"
    )
    assert ready.json() == {"status": "ok", "database": "ok", "objects": "ok", "broadcast": "ok"}
    assert "graphiql" in ide.text.lower()
    assert http_catalog(embedded_server, token)["totalCount"] == 4


def test_demo_partner_admin_sees_only_its_channel(embedded_server: str) -> None:
    login = (
        'mutation { login(email: "admin@lakeside.example", password: "channelhub-demo") { token } }'
    )
    with httpx.Client(base_url=embedded_server) as http:
        token = http.post("/graphql", json={"query": login}).json()["data"]["login"]["token"]
        body = http.post(
            "/graphql",
            json={"query": "{ partners { edges { node { name } } } }"},
            headers={"authorization": f"Bearer {token}"},
        ).json()

    assert [edge["node"]["name"] for edge in body["data"]["partners"]["edges"]] == [
        "Lakeside Resellers",
        "Northwind Distribution",
    ]


def http_catalog(base: str, token: str) -> dict[str, object]:
    query = "{ products { totalCount edges { node { sku listPrices { currency } } } } }"
    with httpx.Client(base_url=base) as http:
        body = http.post(
            "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        ).json()
    products: dict[str, object] = body["data"]["products"]
    return products


def test_the_served_port_is_the_one_links_and_origins_use(embedded_server: str) -> None:
    port = embedded_server.rsplit(":", 1)[1]
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    with httpx.Client(base_url=embedded_server) as http:
        allowed = {
            origin: http.options("/graphql", headers={"origin": origin, **preflight})
            for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}")
        }
        stranger = http.options(
            "/graphql", headers={"origin": "http://localhost:8000", **preflight}
        )

    for origin, response in allowed.items():
        assert response.headers.get("access-control-allow-origin") == origin
    assert "access-control-allow-origin" not in stranger.headers


def test_a_served_hub_logs_each_request_as_one_json_line(tmp_path: Path) -> None:
    env = clean_env(CHANNELHUB_VAR_DIR=str(tmp_path / "var"), CHANNELHUB_LOG_FORMAT="json")
    with served(tmp_path, env, "--no-demo") as base:
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "query Probe { __typename }"},
            headers={"x-request-id": "probe-1"},
            timeout=10,
        )
    log = tmp_path / "serve.log"

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    probe = [line for line in lines if line.get("request_id") == "probe-1"]
    assert answer.headers["x-request-id"] == "probe-1"
    assert len(probe) == 1
    assert probe[0]["logger"] == "channelhub.requests" and probe[0]["level"] == "INFO"
    assert (probe[0]["path"], probe[0]["status"], probe[0]["operation"]) == (
        "/graphql",
        200,
        "Probe",
    )
    assert {"time", "duration_ms", "method", "user_id", "organization_id"} <= probe[0].keys()
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own, as JSON
