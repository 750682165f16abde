"""`channelhub serve` on a fresh folder: migrates SQLite, seeds demo data, serves GraphQL."""

from __future__ import annotations

import httpx

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
    assert ready.json() == {"status": "ok", "database": "ok"}
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
