"""Hostile documents and JSON: fragment bombs, deep nesting, huge numbers, NUL characters.

Each is refused as the client's error (GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED for
the document, BAD_USER_INPUT naming the field where there is one),
quickly, on HTTP and WebSocket alike, and never reaches the database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from websockets.exceptions import ConnectionClosed

from hub.settings import Settings, load_settings
from tests.conftest import hub_env
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEEP = "[" * 1000 + "]" * 1000


def bomb(levels: int, leaf: str = "id", spreads: int = 2) -> str:
    """Fragments each spreading the previous one twice: 2^levels fields written out."""
    fragments = [f"fragment F0 on User {{ {leaf} }}"] + [
        f"fragment F{level} on User {{ {' '.join([f'...F{level - 1}'] * spreads)} }}"
        for level in range(1, levels + 1)
    ]
    return f"query Bomb {{ me {{ ...F{levels} }} }} " + " ".join(fragments)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The default limits, or those a test gives with parametrize("settings", ..., indirect)."""
    overrides: dict[str, str] = getattr(request, "param", {})
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), **overrides))


def refusal(response: httpx.Response) -> tuple[int, list[tuple[str, str | None]], str]:
    body = response.json()
    assert "data" not in body, body
    return response.status_code, errors_of(body), body["errors"][0]["message"]


@contextmanager
def counted_calls() -> Iterator[list[int]]:
    """Count the Python function calls made meanwhile: work, without timing it."""
    count = [0]

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            count[0] += 1

    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(None)


async def test_the_fragment_bomb_is_refused_at_once(factory: Factory) -> None:
    # 884 bytes: 2^22 fields once written out. Strawberry's limiters walked each of them.
    document = bomb(22)

    response = await factory.post(document)

    assert len(document) < 900
    assert refusal(response) == (
        400,
        [("GRAPHQL_VALIDATION_FAILED", None)],
        "'Bomb' selects 4194305 fields once its fragments are written out. Allowed: 500",
    )


async def test_checking_a_fragment_chain_costs_work_linear_in_its_length(
    factory: Factory,
) -> None:
    with counted_calls() as short:
        await factory.post(bomb(10))
    with counted_calls() as long:
        await factory.post(bomb(17))

    # Written out, the longer chain has 128 times the fields; measured once, twice the work.
    assert long[0] < 3 * short[0]


NESTED = "parent { parent { parent { parent { ...F{} } } } }"


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        (bomb(22, leaf="a: id"), "4194304 aliases found. Allowed: 15"),
        (bomb(6, leaf="id @skip(if: false)"), "64 directives found. Allowed: 50"),
        (
            # Four levels per fragment: no fragment is deep, the operation is.
            "query Deep { partners { edges { node { ...F3 } } } } fragment F0 on Partner { id } "
            + " ".join(
                f"fragment F{level} on Partner {{ {NESTED.replace('{}', str(level - 1))} }}"
                for level in range(1, 4)
            ),
            "'Deep' exceeds maximum operation depth of 8",
        ),
        (bomb(12, leaf="organization { id }"), "'Bomb' selects 8193 fields"),
    ],
    ids=["aliases", "directives", "depth", "fields"],
)
async def test_limits_count_fragments_as_written_out(
    factory: Factory, document: str, needle: str
) -> None:
    admin = await factory.vendor_admin()

    status, errors, _ = refusal(await factory.post(document, actor=admin))
    messages = [
        error["message"] for error in (await factory.post(document, actor=admin)).json()["errors"]
    ]

    assert (status, errors[0]) == (400, ("GRAPHQL_VALIDATION_FAILED", None))
    assert any(message.startswith(needle) for message in messages), messages


async def test_anonymous_documents_have_a_smaller_budget(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    roles = ", ".join(["VENDOR_ADMIN"] * 600)
    document = f"{{ users(filter: {{roles: [{roles}]}}) {{ totalCount }} }}"

    anonymous = await factory.post(document)
    signed_in = await factory.post(document, actor=admin)

    assert refusal(anonymous) == (
        400,
        [("GRAPHQL_PARSE_FAILED", None)],
        "Syntax Error: Document contains more than 500 tokens. Parsing aborted.",
    )
    assert signed_in.json() == {"data": {"users": {"totalCount": 1}}}


async def test_anonymous_introspection_fits_the_budget(factory: Factory) -> None:
    # What GraphiQL and code generators send before anyone has logged in.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    response = await factory.post(query)

    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("settings", [{"max_tokens": "2000"}], indirect=True)
async def test_a_document_repeating_a_field_too_often_is_aborted(factory: Factory) -> None:
    # Comparing every pair of 490 `me` fields is quadratic work for graphql-core (1960
    # tokens: the budget holds where MAX_TOKENS is raised).
    admin = await factory.vendor_admin()

    status, errors, message = refusal(
        await factory.post("{ " + "me { id } " * 490 + "}", actor=admin)
    )

    assert (status, errors) == (400, [("GRAPHQL_VALIDATION_FAILED", None)])
    assert message.startswith("Validation aborted: the document repeats fields")


def _json_post(client: httpx.AsyncClient, content: str, actor: Actor) -> Any:
    return client.post(
        "/graphql",
        content=content,
        headers={
            "content-type": "application/json",
            "accept": GRAPHQL_RESPONSE,
            "authorization": f"Bearer {actor.token}",
        },
    )


async def test_deep_json_is_refused_wherever_it_is_read(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    query = "query($x: String) { __typename }"
    headers = {"authorization": f"Bearer {admin.token}", "accept": GRAPHQL_RESPONSE}
    client = factory.client

    post = await _json_post(
        client, json.dumps({"query": query})[:-1] + f', "variables": {{"x": {DEEP}}}}}', admin
    )
    get_variables = await client.get(
        "/graphql", params={"query": query, "variables": f'{{"x": {DEEP}}}'}, headers=headers
    )
    get_extensions = await client.get(
        "/graphql", params={"query": query, "extensions": f'{{"x": {DEEP}}}'}, headers=headers
    )
    multipart = await client.post(
        "/graphql",
        data={"operations": f'{{"query": "{query}", "variables": {{"x": {DEEP}}}}}', "map": "{}"},
        files={"0": ("a.txt", b"x", "text/plain")},
        headers={**headers, "apollo-require-preflight": "1"},
    )
    multipart_map = await client.post(
        "/graphql",
        data={"operations": json.dumps({"query": query}), "map": f'{{"0": {DEEP}}}'},
        files={"0": ("a.txt", b"x", "text/plain")},
        headers={**headers, "apollo-require-preflight": "1"},
    )

    for response, what in (
        (post, "the request body"),
        (get_variables, "the variables parameter"),
        (get_extensions, "the extensions parameter"),
        (multipart, "the operations field"),
        (multipart_map, "the map field"),
    ):
        assert refusal(response) == (
            400,
            [("BAD_USER_INPUT", None)],
            f"{what} is refused: JSON nested deeper than 32 levels",
        )


CONNECTIONS = (
    "users",
    "partners",
    "leads",
    "dealRegistrations",
    "products",
    "orders",
    "assets",
    "articles",
    "bestPractices",
    "courses",
    "enrolments",
    "myEnrolments",
    "certificationDefinitions",
    "certifications",
    "conversations",
)


async def test_a_deep_cursor_is_a_bad_cursor(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()

    for connection in CONNECTIONS:
        body = await factory.gql(
            f"query($a: String) {{ {connection}(after: $a) {{ totalCount }} }}",
            {"a": cursor},
            actor=admin,
        )
        assert errors_of(body) == [("BAD_USER_INPUT", "after")], connection


async def test_deep_json_closes_a_websocket_with_4400(factory: Factory, ws_url: str) -> None:
    admin = await factory.vendor_admin()
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.ws.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", '
            f'"variables": {{"x": {DEEP}}}}}}}'
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.ws.recv(), 5)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4400,
        "Invalid message received: JSON nested deeper than 32 levels",
    )


async def test_a_websocket_message_over_the_body_limit_is_closed(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.ws.send(json.dumps({"type": "ping", "payload": {"x": "y" * 1_100_000}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.ws.recv(), 5)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


async def test_a_long_subscription_is_parsed_no_further_than_the_token_limit(
    factory: Factory, ws_url: str
) -> None:
    # Shared streams parse the document themselves, which used to be without a token limit.
    admin = await factory.vendor_admin()
    document = "subscription { leadEvents { " + "cursor " * 120_000 + "} }"
    async with graphql_socket(ws_url, admin.token) as socket:
        with counted_calls() as calls:
            await socket.subscribe(document)
            message = json.loads(await asyncio.wait_for(socket.ws.recv(), 30))

    assert message["payload"][0]["message"].startswith(
        "Syntax Error: Document contains more than 1000 tokens"
    )
    assert calls[0] < 1_000_000


async def test_syntax_errors_over_a_websocket_are_the_clients(
    factory: Factory, ws_url: str
) -> None:
    admin = await factory.vendor_admin()
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.subscribe("{ me { ", id="1")
        message = json.loads(await asyncio.wait_for(socket.ws.recv(), 5))

    assert message["type"] == "error"
    assert [error["extensions"]["code"] for error in message["payload"]] == ["GRAPHQL_PARSE_FAILED"]
    assert message["payload"][0]["message"].startswith("Syntax Error")


async def test_huge_numbers_are_refused_naming_the_field(factory: Factory) -> None:
    digits = "1" * 5000

    literal = await factory.post(f"{{ users(first: {digits}) {{ totalCount }} }}")
    out_of_range = await factory.post(
        "{ partners(filter: {near: {latitude: 1e999, longitude: 0, radiusKm: 5}}) { totalCount } }"
    )
    admin = await factory.vendor_admin()
    query = json.dumps("query($n: Int) { users(first: $n) { totalCount } }")
    variable = await _json_post(
        factory.client, f'{{"query": {query}, "variables": {{"n": {digits}}}}}', admin
    )
    nan = await _json_post(
        factory.client, f'{{"query": {query}, "variables": {{"n": NaN}}}}', admin
    )

    assert refusal(literal) == (
        400,
        [("BAD_USER_INPUT", "first")],
        "the number given for first is too long (5000 characters, at most 100)",
    )
    assert refusal(out_of_range) == (
        400,
        [("BAD_USER_INPUT", "filter.near.latitude")],
        "the number given for filter.near.latitude is out of range",
    )
    assert refusal(variable)[2] == (
        "the request body is refused: JSON number longer than 100 characters"
    )
    assert refusal(nan)[2] == "the request body is refused: NaN is not a JSON value"


NUL_CASES = [
    ("query($v: ID!) { user(id: $v) { id } }", {"v": "u\x00"}, "v"),
    ("query($v: ID!) { partner(id: $v) { id } }", {"v": "p\x00"}, "v"),
    ("query($v: ID!) { lead(id: $v) { id } }", {"v": "l\x00"}, "v"),
    ("query($v: ID!) { order(id: $v) { id } }", {"v": "o\x00"}, "v"),
    ("query($v: String!) { product(sku: $v) { sku } }", {"v": "s\x00"}, "v"),
    (
        "query($f: LeadFilter) { leads(filter: $f) { totalCount } }",
        {"f": {"partnerId": "x\x00"}},
        "f.partnerId",
    ),
    (
        "query($f: UserFilter) { users(filter: $f) { totalCount } }",
        {"f": {"organizationId": "x\x00"}},
        "f.organizationId",
    ),
    (
        "query($f: PartnerFilter) { partners(filter: $f) { totalCount } }",
        {"f": {"search": "acme\x00"}},
        "f.search",
    ),
    (
        "query($f: AssetFilter) { assets(filter: $f) { totalCount } }",
        {"f": {"search": "deck\x00"}},
        "f.search",
    ),
    ('{ users(filter: {search: "a\\u0000"}) { totalCount } }', {}, "filter.search"),
    ('{ products(filter: {search: "x\\u0000"}) { totalCount } }', {}, "filter.search"),
    ('{ orders(filter: {partnerId: "x\\u0000"}) { totalCount } }', {}, "filter.partnerId"),
    ('{ asset(id: "x\\u0000") { id } }', {}, "id"),
]


@pytest.mark.parametrize(("query", "variables", "field"), NUL_CASES)
async def test_nul_characters_are_refused_before_the_database(
    factory: Factory, query: str, variables: dict[str, Any], field: str
) -> None:
    admin = await factory.vendor_admin()

    status, errors, message = refusal(await factory.post(query, variables, actor=admin))

    assert (status, errors) == (400, [("BAD_USER_INPUT", field)])
    assert message == f"{field} must not contain NUL characters"


async def test_nul_characters_are_refused_over_a_websocket(factory: Factory, ws_url: str) -> None:
    admin = await factory.vendor_admin()
    replies = []
    async with graphql_socket(ws_url, admin.token) as socket:
        for index, (query, variables, _field) in enumerate(NUL_CASES):
            await socket.subscribe(query, variables, id=str(index))
            replies.append(json.loads(await asyncio.wait_for(socket.ws.recv(), 5)))
        await socket.subscribe(
            "subscription($a: String) { leadEvents(after: $a) { cursor } }",
            {"a": "1\x00"},
            id="live",
        )
        replies.append(json.loads(await asyncio.wait_for(socket.ws.recv(), 5)))

    assert [(reply["type"], errors_of({"errors": reply["payload"]})) for reply in replies] == [
        ("error", [("BAD_USER_INPUT", field)]) for _, _, field in NUL_CASES
    ] + [("error", [("BAD_USER_INPUT", "a")])]


async def test_unpaired_surrogates_are_refused_and_never_break_a_response(
    factory: Factory,
) -> None:
    admin = await factory.vendor_admin()
    search = "query($s: String) { users(filter: {search: $s}) { totalCount } }"

    variable = await _json_post(
        factory.client,
        f'{{"query": {json.dumps(search)}, "variables": {{"s": "a\\ud800"}}}}',
        admin,
    )
    key = await _json_post(
        factory.client,
        f'{{"query": {json.dumps(search)}, "variables": {{"s\\udc00": "a"}}}}',
        admin,
    )
    name = await _json_post(
        factory.client, '{"query": "{ __typename }", "operationName": "\\ud800"}', admin
    )

    assert refusal(variable)[:2] == (400, [("BAD_USER_INPUT", "s")])
    assert refusal(key)[:2] == (400, [("BAD_USER_INPUT", "variables")])
    assert name.status_code == 400
    assert name.json()["errors"][0]["message"] == 'Unknown operation named "\ud800".'


async def test_an_event_cursor_of_other_digits_is_bad_input(factory: Factory, ws_url: str) -> None:
    # "²" is a digit to str.isdigit() but not to int().
    admin = await factory.vendor_admin()
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.subscribe(
            "subscription($a: String) { leadEvents(after: $a) { cursor } }", {"a": "²"}
        )
        payload = await socket.next()

    assert errors_of(payload) == [("BAD_USER_INPUT", "after")]


ROW = "id name territories { name } subPartners { id name }"
# Per alias with first: 100: partners 2, edges 2, then per partner node 2, id, name, and
# territories 2 and subPartners 2, whose lists count 5 items each: name 5, id 5 and name 5.
WIDE_COST = 2 + 2 + 100 * (2 + 1 + 1 + 2 + 5 + 2 + 5 + 5)


def wide(aliases: int, first: str, row: str = f"node {{ {ROW} }}", head: str = "") -> str:
    """The same page of partners with nested lists, once per alias."""
    pages = " ".join(
        f"p{index}: partners(first: {first}) {{ edges {{ {row} }} }}" for index in range(aliases)
    )
    return f"query Wide{head} {{ {pages} }}"


def cost_refusal(response: httpx.Response, cost: int, max_cost: int = 20_000) -> None:
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body, body
    assert body["errors"] == [
        {
            "message": f"'Wide' costs {cost} once each field counts for every item of the "
            f"pages above it. Allowed: {max_cost}",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED", "cost": cost, "maxCost": max_cost},
        }
    ]


@pytest.mark.parametrize("settings", [{"max_aliases": "30"}], indirect=True)
async def test_aliased_pages_with_nested_lists_are_refused_by_their_cost(
    factory: Factory,
) -> None:
    # The issue's request: 29 aliases were within the old alias limit, and so is it here.
    admin = await factory.vendor_admin()
    await factory.partner("Acme")

    refused = await factory.post(wide(29, "100"), actor=admin)
    small = await factory.gql(wide(29, "1"), actor=admin)

    cost_refusal(refused, 29 * WIDE_COST)
    assert small["data"]["p28"]["edges"][0]["node"]["name"] == "Acme"


async def test_pages_within_the_alias_limit_still_count_every_item(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    too_many = await factory.post(wide(29, "100"), actor=admin)
    wide_pages = await factory.post(wide(9, "100"), actor=admin)
    fitting = await factory.gql(wide(8, "100"), actor=admin)

    assert refusal(too_many)[1:] == (
        [("GRAPHQL_VALIDATION_FAILED", None)],
        "29 aliases found. Allowed: 15",
    )
    cost_refusal(wide_pages, 9 * WIDE_COST)
    assert fitting["data"]["p7"] == {"edges": []}


async def test_the_cost_counts_pages_given_by_variables(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    document = wide(9, "$n", head="($n: Int)")
    defaulted = wide(9, "$n", head="($n: Int = 100)")

    large = await factory.post(document, {"n": 100}, actor=admin)
    small = await factory.post(document, {"n": 1}, actor=admin)
    large_again = await factory.post(document, {"n": 100}, actor=admin)
    omitted = await factory.post(document, actor=admin)
    by_default = await factory.post(defaulted, actor=admin)

    cost_refusal(large, 9 * WIDE_COST)
    assert small.json() == {"data": {f"p{index}": {"edges": []} for index in range(9)}}
    cost_refusal(large_again, 9 * WIDE_COST)
    # No page size is the default page of 20.
    assert omitted.status_code == 200
    cost_refusal(by_default, 9 * WIDE_COST)


async def test_the_cost_counts_fragments_where_they_are_spread(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    spread = (
        wide(9, "100", row="...Edge")
        + " fragment Edge on PartnerEdge { node { ...Row } }"
        + f" fragment Row on Partner {{ {ROW} }}"
    )
    inline = wide(9, "100", row=f"... on PartnerEdge {{ node {{ ... on Partner {{ {ROW} }} }} }}")

    cost_refusal(await factory.post(spread, actor=admin), 9 * WIDE_COST)
    cost_refusal(await factory.post(inline, actor=admin), 9 * WIDE_COST)


async def test_introspection_costs_nothing(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    schema = "__schema { types { name fields { name type { name ofType { name } } } } }"
    document = wide(9, "100", head="").replace("{ p0:", f"{{ {schema} __typename p0:", 1)

    response = await factory.post(document, actor=admin)

    cost_refusal(response, 9 * WIDE_COST)


async def test_the_heaviest_queries_of_the_demo_fit_the_cost_limit(factory: Factory) -> None:
    # What the demo's conversation page asks: 50 conversations with 20 messages each.
    admin = await factory.vendor_admin()
    conversations = """{ conversations(first: 50) { edges { node {
      id subject contextType unreadCount participants { name organizationName readSeq }
      messages(first: 20) { edges { node { body authorName mentions attachments { fileName } } } }
    } } } }"""
    leads = """{ leads(first: 100) { totalCount edges { node {
      customerCompany status partner { name } fundRequest { title } campaign { name }
      routing { step stepsTried note chosenPartnerId
                candidates { name score } excluded { name reason } }
      assignments { outcome reason partner { name } }
      notes { body } followUps { title doneAt } } } } }"""

    assert await factory.gql(conversations, actor=admin) == {
        "data": {"conversations": {"edges": []}}
    }
    assert await factory.gql(leads, actor=admin) == {
        "data": {"leads": {"totalCount": 0, "edges": []}}
    }


@pytest.mark.parametrize("settings", [{"max_query_cost": "100"}], indirect=True)
async def test_the_cost_limit_is_a_setting(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    within = await factory.gql(wide(3, "1"), actor=admin)
    over = await factory.post(wide(4, "1"), actor=admin)

    assert within["data"]["p2"] == {"edges": []}
    cost_refusal(over, 4 * 27, max_cost=100)


async def test_costly_documents_are_refused_over_a_websocket(factory: Factory, ws_url: str) -> None:
    admin = await factory.vendor_admin()
    async with graphql_socket(ws_url, admin.token) as socket:
        await socket.subscribe(wide(9, "$n", head="($n: Int)"), {"n": 100})
        message = json.loads(await asyncio.wait_for(socket.ws.recv(), 5))

    assert message["type"] == "error"
    assert [error["extensions"] for error in message["payload"]] == [
        {"code": "GRAPHQL_VALIDATION_FAILED", "cost": 9 * WIDE_COST, "maxCost": 20_000}
    ]
