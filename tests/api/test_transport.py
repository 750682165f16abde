"""GraphQL over HTTP: methods, media types, status codes, limits and the error contract."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from resolvers import identity as identity_resolvers
from schema import documents
from tests.factories import Factory, errors_of
from tests.wsclient import graphql_socket

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_get_runs_queries_and_refuses_mutations(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    headers = {"authorization": f"Bearer {admin.token}", "accept": GRAPHQL_RESPONSE}

    query = await factory.client.get(
        "/graphql", params={"query": "{ me { email } }"}, headers=headers
    )
    mutation = await factory.client.get(
        "/graphql", params={"query": "mutation { logout }"}, headers=headers
    )

    assert query.status_code == 200
    assert query.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert query.json() == {"data": {"me": {"email": admin.user.email}}}
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        ("*/*", "application/json"),
    ],
)
async def test_response_media_type_follows_accept(
    client: httpx.AsyncClient, accept: str, expected: str
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": accept}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/plain"}
    )

    assert response.status_code == 406


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{ __typename }", "text/plain", 415),
        (b'{"query": "{ __typename }"}', "application/json; charset=utf-16", 415),
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"variables": {}}', "application/json", 400),
        (b'{"query": "{ __typename }", "variables": "nope"}', "application/json", 400),
        (b'{"query": 42}', "application/json", 400),
    ],
)
async def test_malformed_requests_are_refused_before_execution(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    response = await client.post(
        "/graphql",
        content=content,
        headers={"content-type": content_type, "accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == status
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_validation_errors_are_400_with_graphql_response_json_and_200_with_json(
    client: httpx.AsyncClient,
) -> None:
    body = {"query": "{ nope }"}

    modern = await client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
    legacy = await client.post("/graphql", json=body, headers={"accept": "application/json"})

    assert modern.status_code == 400 and legacy.status_code == 200
    assert "data" not in modern.json()
    assert errors_of(modern.json()) == [("GRAPHQL_VALIDATION_FAILED", None)]


async def test_field_suggestions_are_off_outside_development(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ partnerz { totalCount } }"})

    assert "Did you mean" not in response.json()["errors"][0]["message"]


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    padding = "x" * 1_100_000
    response = await client.post(
        "/graphql", json={"query": "{ __typename }", "extensions": {"pad": padding}}
    )

    assert response.status_code == 413


async def test_depth_alias_and_token_limits(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    deep = "{ partners { edges { node { " + "parent { " * 12 + "id" + " }" * 12 + " } } } }"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    tokens = "{ " + " ".join("__typename" for _ in range(2100)) + " }"

    for query, needle in (
        (deep, "exceeds maximum operation depth"),
        (aliases, "aliases"),
        (tokens, "token"),
    ):
        response = await factory.post(query, actor=admin)
        assert response.status_code == 400, query[:40]
        assert needle in response.json()["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_logged(
    factory: Factory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await factory.vendor_admin()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(identity_resolvers.user_service, "get", broken)
    with caplog.at_level(logging.ERROR, logger="channelhub.errors"):
        response = await factory.post("{ me { email } }", actor=admin)

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in response.text
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert any(response.headers["x-request-id"] in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("directive", ["defer", "stream"])
async def test_incremental_delivery_is_refused_with_a_clear_error(
    client: httpx.AsyncClient, directive: str
) -> None:
    query = (
        "{ __typename ... @defer { __schema { queryType { name } } } }"
        if directive == "defer"
        else "{ __schema { types @stream(initialCount: 1) { name } } }"
    )
    answer = await client.post(
        "/graphql",
        json={"query": query},
        headers={"accept": "multipart/mixed, application/graphql-response+json"},
    )

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/graphql-response+json")
    (error,) = answer.json()["errors"]
    assert error["message"] == f"Unknown directive '@{directive}'."
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_cors_allows_configured_origins_only(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/graphql",
        headers={"origin": "http://localhost:8000", "access-control-request-method": "POST"},
    )
    refused = await client.options(
        "/graphql",
        headers={"origin": "https://evil.test", "access-control-request-method": "POST"},
    )

    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert "access-control-allow-origin" not in refused.headers


async def test_cors_lets_browser_clients_send_and_read_their_headers(
    client: httpx.AsyncClient,
) -> None:
    origin = "http://localhost:8000"
    sent = "apollographql-client-name, apollographql-client-version, traceparent, tracestate, idempotency-key, x-request-id"
    preflight = await client.options(
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": sent,
        },
    )
    answer = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": origin}
    )

    assert preflight.status_code == 200
    allowed = {
        name.strip() for name in preflight.headers["access-control-allow-headers"].split(",")
    }
    assert {name.strip() for name in sent.split(",")} <= allowed
    exposed = {name.strip() for name in answer.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "retry-after", "idempotent-replayed"} <= exposed


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json()["status"] == "ok"


async def test_a_repeated_document_is_validated_once(factory: Factory) -> None:
    # The budgets' validation rules are made once per schema, so the validation cache,
    # keyed by document and rules, hits on a repeated document.
    cache = documents._validate
    query = "query Repeated { __typename }"
    await factory.gql(query)
    before = cache.cache_info()
    await factory.gql(query)
    after = cache.cache_info()

    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)


async def test_a_long_document_is_not_kept_in_the_caches(factory: Factory) -> None:
    # 512 documents each up to the body limit would keep hundreds of megabytes alive.
    query = "query Long { __typename } # " + "padding " * 5000
    caches = (documents._parse, documents._validate)
    before = [cache.cache_info() for cache in caches]
    bodies = [await factory.gql(query), await factory.gql(query)]
    after = [cache.cache_info() for cache in caches]

    assert bodies == [{"data": {"__typename": "Query"}}] * 2
    assert [(info.hits, info.misses) for info in after] == [
        (info.hits, info.misses) for info in before
    ]


async def test_variables_that_do_not_coerce_are_400_with_graphql_response_json(
    factory: Factory,
) -> None:
    vendor = await factory.vendor_admin()
    query = "query($first: Int) { leads(first: $first) { totalCount } }"
    sent = {"query": query, "variables": {"first": "ten"}}
    auth = {"authorization": f"Bearer {vendor.token}"}

    modern = await factory.client.post(
        "/graphql", json=sent, headers={"accept": GRAPHQL_RESPONSE, **auth}
    )
    legacy = await factory.client.post(
        "/graphql", json=sent, headers={"accept": "application/json", **auth}
    )
    field_error = await factory.client.post(
        "/graphql",
        json={"query": 'query { lead(id: "nope") { id } }'},
        headers={"accept": GRAPHQL_RESPONSE, **auth},
    )

    assert modern.status_code == 400 and "data" not in modern.json()
    assert errors_of(modern.json()) == [("BAD_USER_INPUT", "first")]
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    # An error while a field runs is still a 200 with data (null here), per the spec.
    assert field_error.status_code == 200 and "data" in field_error.json()


async def test_an_empty_or_stale_token_does_not_block_logging_in(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    login = {
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        "variables": {"e": admin.user.email, "p": "correct horse battery"},
    }
    await factory.gql("mutation { logout }", actor=admin)

    empty = await factory.client.post("/graphql", json=login, headers={"authorization": ""})
    blank = await factory.client.post("/graphql", json=login, headers={"authorization": "  "})
    revoked = await factory.client.post(
        "/graphql", json=login, headers={"authorization": f"Bearer {admin.token}"}
    )
    me_with_revoked = await factory.client.post(
        "/graphql",
        json={"query": "{ me { email } login: __typename }"},
        headers={"authorization": f"Bearer {admin.token}"},
    )
    me_without = await factory.client.post(
        "/graphql", json={"query": "{ me { email } }"}, headers={"authorization": ""}
    )

    for response in (empty, blank, revoked):
        assert response.status_code == 200, response.text
        assert response.json()["data"]["login"]["token"]
    assert me_with_revoked.status_code == 401
    assert errors_of(me_without.json()) == [("UNAUTHENTICATED", None)]


async def test_codes_follow_apollos_names_on_http_and_websocket(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    parse = await factory.post("{ me { ", actor=admin)
    validate = await factory.post("{ me { noSuchField } }", actor=admin)
    value = await factory.post(
        "query($n: Int) { partners(first: $n) { totalCount } }", {"n": "ten"}, actor=admin
    )
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.subscribe("{ me { noSuchField } }", id="1")
        over_ws = json.loads(await asyncio.wait_for(socket.ws.recv(), 5))

    assert (parse.status_code, errors_of(parse.json())) == (400, [("GRAPHQL_PARSE_FAILED", None)])
    assert errors_of(validate.json()) == [("GRAPHQL_VALIDATION_FAILED", None)]
    assert errors_of(value.json()) == [("BAD_USER_INPUT", "n")]
    assert over_ws["type"] == "error"
    assert [error["extensions"]["code"] for error in over_ws["payload"]] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


async def test_several_operations_need_an_operation_name(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    document = "query A { me { id } } query B { __typename }"

    unnamed = await factory.post(document, actor=admin)
    named = await factory.client.post(
        "/graphql",
        json={"query": document, "operationName": "B"},
        headers={"authorization": f"Bearer {admin.token}"},
    )

    assert unnamed.status_code == 400
    assert errors_of(unnamed.json()) == [("BAD_USER_INPUT", "operationName")]
    assert "send operationName" in unnamed.json()["errors"][0]["message"]
    assert named.json() == {"data": {"__typename": "Query"}}
