"""Guarantees under concurrency, over the API, on PostgreSQL and on the embedded SQLite.

Each race is run through two hub apps sharing one database (as two processes would: their
own pools and write queues), with the requests interleaved on one event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub import jobs
from hub.clock import ManualClock
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from storage.models import Conversation, Event, LeadAssignment, Message, StockLevel
from tests.api.test_query_count import counted_on
from tests.conftest import data_of
from tests.factories import PASSWORD, Actor, Factory, errors_of
from web.app import create_app

Call = Callable[[str, dict[str, Any], Actor | None], Awaitable[dict[str, Any]]]

PLACE = """mutation($qty: Int!) { placeOrder(input: {lines: [{sku: "SW-24", quantity: $qty}],
  endCustomer: "Globex", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""
MOVE = """mutation($id: ID!, $status: OrderStatus!, $v: Int!) {
  updateOrderStatus(id: $id, input: {status: $status, expectedVersion: $v}) { status version } }"""
SHIP = """mutation($id: ID!) { updateOrderStatus(id: $id, input: {status: SHIPPED, expectedVersion: 3,
  carrier: "DHL", trackingNumber: "JD0001"}) { status } }"""
REGISTER = """mutation($company: String!, $email: String) { registerDeal(input: {
  customerCompany: $company, country: "US", productLine: "NETWORKING", customerEmail: $email,
  value: {amountMinor: 100000, currency: "USD"}}) { id status } }"""
APPROVE = "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }"
CREATE_LEAD = """mutation($company: String!) { createLead(input: {customerCompany: $company,
  country: "US", region: "US-CA", productLine: "NETWORKING"}) { id status partner { id } } }"""
ACCEPT = "mutation($id: ID!) { acceptLead(id: $id) { status } }"
DECLINE = "mutation($id: ID!) { declineLead(id: $id, reason: NOT_QUALIFIED) }"
LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"
START = """mutation($users: [ID!]!) { startConversation(input: {subject: "Q3", userIds: $users,
  message: "hello"}) { id } }"""
SEND = """mutation($c: ID!, $cid: String) {
  sendMessage(conversationId: $c, body: "Order 42 is late", clientMessageId: $cid) { id seq } }"""
CALIFORNIA = (TerritoryInput(name="CA", regions=("US-CA",)),)


@pytest.fixture
async def twin(any_factory: Factory) -> AsyncIterator[httpx.AsyncClient]:
    """A second hub app on the same database: its own pool, write queue and event bus."""
    app = create_app(any_factory.hub.settings, clock=any_factory.hub.clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://twin.test") as http:
            yield http


@pytest.fixture
def calls(any_factory: Factory, twin: httpx.AsyncClient) -> list[Call]:
    """Send a GraphQL request through the first app or through its twin."""

    def through(client: httpx.AsyncClient) -> Call:
        async def call(query: str, variables: dict[str, Any], actor: Actor | None) -> Any:
            headers = {"authorization": f"Bearer {actor.token}"} if actor else {}
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert response.status_code == 200, response.text
            return response.json()

        return call

    return [through(any_factory.client), through(twin)]


async def race(calls: list[Call], requests: list[tuple[str, dict[str, Any], Actor | None]]) -> Any:
    """Send all requests at once, alternating between the two apps; answers in request order."""
    return await asyncio.gather(
        *(
            calls[n % 2](query, variables, actor)
            for n, (query, variables, actor) in enumerate(requests)
        )
    )


def outcomes(bodies: list[dict[str, Any]]) -> Counter[str]:
    return Counter("ok" if "errors" not in body else errors_of(body)[0][0] for body in bodies)


async def stock_levels(factory: Factory) -> list[tuple[int, int]]:
    async with factory.hub.db() as session:
        rows = await session.execute(select(StockLevel.on_hand, StockLevel.reserved))
        return [(on_hand, reserved) for on_hand, reserved in rows.all()]


async def switch_for_sale(factory: Factory, vendor: Actor) -> None:
    data = ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 100})
    await catalog.create(factory.hub, principal=vendor.principal, data=data)


async def test_concurrent_allocations_never_oversell(
    any_factory: Factory, calls: list[Call]
) -> None:
    hub, vendor = any_factory.hub, await any_factory.vendor_admin()
    await switch_for_sale(any_factory, vendor)
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    buyer = await any_factory.user((await any_factory.partner("Buyer")).id, Role.PARTNER_USER)
    rounds = []
    for _ in range(5):
        await stock.set_stock(
            hub, principal=vendor.principal, sku="SW-24", warehouse="AMS", on_hand=10
        )
        placed = [
            data_of(await any_factory.gql(PLACE, {"qty": 8}, actor=buyer))["placeOrder"]["id"]
            for _ in range(2)
        ]
        for order in placed:
            data_of(
                await any_factory.gql(
                    MOVE, {"id": order, "status": "CONFIRMED", "v": 1}, actor=vendor
                )
            )

        allocated = await race(
            calls,
            [(MOVE, {"id": order, "status": "ALLOCATED", "v": 2}, vendor) for order in placed],
        )
        after_race = await stock_levels(any_factory)
        winner = next(
            order for order, body in zip(placed, allocated, strict=True) if "errors" not in body
        )
        # The winner is shipped and cancelled at once: exactly one of them happens.
        finished = await race(
            calls,
            [
                (SHIP, {"id": winner}, vendor),
                (MOVE, {"id": winner, "status": "CANCELLED", "v": 3}, vendor),
            ],
        )
        shipped = "errors" not in finished[0]
        rounds.append(
            (
                outcomes(allocated),
                after_race,
                outcomes(finished),
                shipped,
                await stock_levels(any_factory),
            )
        )

    for won, after_race, finished, shipped, after in rounds:
        assert won == Counter({"ok": 1, "CONFLICT": 1})
        assert after_race == [(10, 8)]
        assert finished == Counter({"ok": 1, "CONFLICT": 1})
        assert after == [(2, 0)] if shipped else [(10, 0)]


async def test_one_stale_write_wins_on_expected_version(
    any_factory: Factory, calls: list[Call]
) -> None:
    vendor = await any_factory.vendor_admin()
    await switch_for_sale(any_factory, vendor)
    buyer = await any_factory.user((await any_factory.partner("Buyer")).id, Role.PARTNER_USER)
    order = data_of(await any_factory.gql(PLACE, {"qty": 1}, actor=buyer))["placeOrder"]["id"]

    moved = await race(
        calls,
        [
            (MOVE, {"id": order, "status": status, "v": 1}, vendor)
            for status in ["CONFIRMED", "CANCELLED"] * 3
        ],
    )

    assert outcomes(moved) == Counter({"ok": 1, "CONFLICT": 5})
    assert {errors_of(body)[0][1] for body in moved if "errors" in body} == {"expectedVersion"}


async def test_one_customer_gets_one_protected_partner(
    any_factory: Factory, calls: list[Call]
) -> None:
    golds = [await any_factory.partner(f"Gold {n}", tier=Tier.GOLD) for n in range(5)]
    users = [await any_factory.user(partner.id, Role.PARTNER_USER) for partner in golds]
    results = []
    for customer in range(5):
        # Half of the claims name the customer, half only share its email domain.
        requests = [
            (
                REGISTER,
                {
                    "company": f"Acme {customer}" if n % 2 else f"Other {customer}-{n}",
                    "email": f"u{n}@acme{customer}.example",
                },
                user,
            )
            for n, user in enumerate(users)
        ]
        results.append(await race(calls, requests))

    for bodies in results:
        statuses = Counter(data_of(body)["registerDeal"]["status"] for body in bodies)
        assert statuses == Counter({"APPROVED": 1, "PENDING": 4})


async def test_two_pending_claims_approved_at_once_protect_one_partner(
    any_factory: Factory, calls: list[Call]
) -> None:
    vendor = await any_factory.vendor_admin()
    manager = await any_factory.vendor_user(Role.CHANNEL_MANAGER)
    silvers = [await any_factory.partner(f"Silver {n}", tier=Tier.SILVER) for n in range(2)]
    users = [await any_factory.user(partner.id, Role.PARTNER_USER) for partner in silvers]
    results = []
    for customer in range(5):
        pending = [
            data_of(
                await any_factory.gql(REGISTER, {"company": f"Initech {customer}"}, actor=user)
            )["registerDeal"]
            for user in users
        ]
        results.append(
            await race(
                calls,
                [
                    (APPROVE, {"id": deal["id"]}, staff)
                    for deal, staff in zip(pending, (vendor, manager), strict=True)
                ],
            )
        )

    for bodies in results:
        assert outcomes(bodies) == Counter({"ok": 1, "CONFLICT": 1})


async def test_an_offer_is_accepted_or_declined_once(
    any_factory: Factory, calls: list[Call]
) -> None:
    vendor = await any_factory.vendor_admin()
    gold = await any_factory.partner("Gold", tier=Tier.GOLD, territories=CALIFORNIA)
    team = [await any_factory.user(gold.id, Role.PARTNER_USER) for _ in range(2)]
    results = []
    for n in range(5):
        lead = data_of(
            await any_factory.gql(CREATE_LEAD, {"company": f"Globex {n}"}, actor=vendor)
        )["createLead"]
        assert (lead["status"], lead["partner"]["id"]) == ("OFFERED", gold.id)
        answers = [
            (ACCEPT, {"id": lead["id"]}, team[0]),
            (DECLINE, {"id": lead["id"]}, team[1]),
        ] * 2
        results.append((lead["id"], await race(calls, answers)))

    async with any_factory.hub.db() as session:
        closed = Counter(
            lead_id
            for (lead_id,) in (
                await session.execute(
                    select(LeadAssignment.lead_id).where(
                        LeadAssignment.outcome.in_(["ACCEPTED", "DECLINED"])
                    )
                )
            ).all()
        )
    for lead_id, bodies in results:
        answered = outcomes(bodies)
        assert answered["ok"] == 1 and answered["CONFLICT"] + answered["NOT_FOUND"] == 3
        assert closed[lead_id] == 1


async def test_expired_offers_are_pulled_back_once_by_every_process(
    any_factory: Factory, twin: httpx.AsyncClient, clock: ManualClock
) -> None:
    vendor = await any_factory.vendor_admin()
    await any_factory.partner("Gold", tier=Tier.GOLD, territories=CALIFORNIA)
    leads = [
        data_of(await any_factory.gql(CREATE_LEAD, {"company": f"Hooli {n}"}, actor=vendor))[
            "createLead"
        ]["id"]
        for n in range(6)
    ]
    clock.advance(hours=49)
    other_hub = twin._transport.app.state.hub  # type: ignore[attr-defined]

    await asyncio.gather(
        *(jobs.run_once(hub) for hub in (any_factory.hub, other_hub, any_factory.hub, other_hub))
    )

    async with any_factory.hub.db() as session:
        expired = Counter(
            subject
            for (subject,) in (
                await session.execute(select(Event.subject_id).where(Event.type == "LEAD_EXPIRED"))
            ).all()
        )
    assert expired == Counter(dict.fromkeys(leads, 1))


async def test_parallel_guesses_never_pass_the_login_limit(
    any_factory: Factory, calls: list[Call]
) -> None:
    admin = await any_factory.vendor_admin()
    email = admin.user.email
    other = await any_factory.vendor_user(Role.CHANNEL_MANAGER)

    guesses = await race(
        calls, [(LOGIN, {"email": email, "password": f"wrong {n}"}, None) for n in range(30)]
    )
    right_after = await any_factory.gql(LOGIN, {"email": email, "password": PASSWORD})
    mixed = await race(
        calls,
        [(LOGIN, {"email": other.user.email, "password": f"wrong {n}"}, None) for n in range(29)]
        + [(LOGIN, {"email": other.user.email, "password": PASSWORD}, None)],
    )

    assert outcomes(guesses) == Counter({"UNAUTHENTICATED": 5, "RATE_LIMITED": 25})
    assert errors_of(right_after) == [("RATE_LIMITED", None)]
    # A success clears the count, so guesses counted after it start afresh: when the right
    # password got through, up to 4 guesses before it and 5 after it were checked.
    right = mixed[-1]
    checked = outcomes(mixed)["UNAUTHENTICATED"]
    if "errors" in right:
        assert errors_of(right) == [("RATE_LIMITED", None)] and checked == 5
    else:
        assert checked <= 9


async def test_a_retried_send_makes_one_message(any_factory: Factory, calls: list[Call]) -> None:
    vendor = await any_factory.vendor_admin()
    reseller = await any_factory.user((await any_factory.partner("Reseller")).id, Role.PARTNER_USER)
    conversation = data_of(
        await any_factory.gql(START, {"users": [vendor.user.id]}, actor=reseller)
    )["startConversation"]["id"]

    sent = await race(
        calls, [(SEND, {"c": conversation, "cid": "phone-7f3a"}, reseller) for _ in range(8)]
    )

    assert len({data_of(body)["sendMessage"]["id"] for body in sent}) == 1
    async with any_factory.hub.db() as session:
        stored = await session.scalar(select(func.count()).select_from(Message))
        numbered = await session.scalar(select(Conversation.last_seq))
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "MESSAGE_SENT")
        )
    assert stored == 2
    # The retries numbered nothing (no gap before the next message) and logged no event.
    assert numbered == 2
    assert events == 2


async def test_an_application_is_approved_or_rejected_once(
    any_factory: Factory, calls: list[Call]
) -> None:
    vendor = await any_factory.vendor_admin()
    manager = await any_factory.vendor_user(Role.CHANNEL_MANAGER)
    apply = (
        """mutation($input: PartnerApplicationInput!) { applyAsPartner(input: $input) { id } }"""
    )
    approve = "mutation($id: ID!) { approvePartnerApplication(id: $id) { status } }"
    reject = 'mutation($id: ID!) { rejectPartnerApplication(id: $id, reason: "no") { status } }'
    status = "query($id: ID!) { partner(id: $id) { status } }"
    results = []
    for n in range(4):
        application = {
            "name": f"Newco {n}",
            "type": "RESELLER",
            "country": "US",
            "contact": {"name": "Ann", "email": f"ann{n}@newco.example", "password": PASSWORD},
        }
        applied = data_of(await any_factory.gql(apply, {"input": application}))["applyAsPartner"]
        answers = await race(
            calls,
            [(approve, {"id": applied["id"]}, vendor), (reject, {"id": applied["id"]}, manager)],
        )
        final = data_of(await any_factory.gql(status, {"id": applied["id"]}, actor=vendor))
        results.append((answers, final["partner"]["status"]))

    for answers, final in results:
        assert outcomes(answers) == Counter({"ok": 1, "BAD_USER_INPUT": 1})
        [winner] = [body["data"] for body in answers if "errors" not in body]
        assert next(iter(winner.values()))["status"] == final


ROUTE_LEAD = """mutation($company: String!) { createLead(input: {customerCompany: $company,
  country: "US", region: "US-CA", productLine: "NETWORKING"}) {
  status partner { name } routing { candidates { name tier } excluded { name reason } } } }"""
WARM_UP = """mutation { createLead(input: {customerCompany: "Nobody", country: "FR",
  productLine: "NETWORKING"}) { status } }"""
PARTNER_STATUS = """mutation($id: ID!, $status: PartnerStatus!) {
  changePartnerStatus(id: $id, status: $status, reason: "review") { status } }"""
PARTNER_TIER = """mutation($id: ID!) {
  changePartnerTier(id: $id, tier: PLATINUM, reason: "top seller") { tier } }"""
PARTNER_UPDATE = """mutation($id: ID!, $input: PartnerUpdateInput!) {
  updatePartner(id: $id, input: $input) { id } }"""


async def test_routing_never_fills_a_partner_past_capacity_on_two_hubs(
    any_factory: Factory, calls: list[Call]
) -> None:
    vendor = await any_factory.vendor_admin()
    partners = [
        await any_factory.partner(f"Reseller {n}", territories=CALIFORNIA, lead_capacity=2)
        for n in range(3)
    ]
    # Both hubs build (and keep) their routing index before the race: on a lead nobody takes.
    for call in calls:
        warm = data_of(await call(WARM_UP, {}, vendor))["createLead"]
        assert warm["status"] == "UNASSIGNABLE"

    created = await asyncio.gather(
        *(calls[n % 2](CREATE_LEAD, {"company": f"Initech {n}"}, vendor) for n in range(10))
    )

    leads = [data_of(body)["createLead"] for body in created]
    offered = Counter(lead["partner"]["id"] for lead in leads if lead["partner"])
    assert sorted(offered.values()) == [2, 2, 2]
    assert set(offered) == {partner.id for partner in partners}
    assert Counter(lead["status"] for lead in leads) == {"OFFERED": 6, "UNASSIGNABLE": 4}


async def test_a_partner_changed_through_one_hub_is_routed_as_changed_by_the_other(
    any_factory: Factory, calls: list[Call]
) -> None:
    here, there = calls
    vendor = await any_factory.vendor_admin()
    gold = await any_factory.partner("Gold", tier=Tier.GOLD, territories=CALIFORNIA)
    silver = await any_factory.partner("Silver", territories=CALIFORNIA)
    engine = any_factory.hub.db.kw["bind"]

    async def route(company: str) -> dict[str, Any]:
        with counted_on(engine) as statements:
            lead: dict[str, Any] = data_of(await here(ROUTE_LEAD, {"company": company}, vendor))[
                "createLead"
            ]
        # The index reads specializations only when it is (re)built.
        lead["rebuilt"] = any("partner_specializations" in sql for sql in statements)
        return lead

    first, second = await route("Acme 1"), await route("Acme 2")
    data_of(await there(PARTNER_STATUS, {"id": gold.id, "status": "SUSPENDED"}, vendor))
    suspended = await route("Acme 3")
    data_of(await there(PARTNER_STATUS, {"id": gold.id, "status": "ACTIVE"}, vendor))
    data_of(await there(PARTNER_TIER, {"id": silver.id}, vendor))
    promoted = await route("Acme 4")
    moved = {"territories": [{"name": "NV", "regions": ["US-NV"]}]}
    data_of(await there(PARTNER_UPDATE, {"id": silver.id, "input": moved}, vendor))
    relocated = await route("Acme 5")
    # A change outside routing (the description) keeps the index.
    described = {"description": "Networking specialists"}
    data_of(await there(PARTNER_UPDATE, {"id": silver.id, "input": described}, vendor))
    unchanged = await route("Acme 6")

    assert (first["partner"], first["rebuilt"]) == ({"name": "Gold"}, True)
    assert (second["partner"], second["rebuilt"]) == ({"name": "Gold"}, False)
    assert suspended["partner"] == {"name": "Silver"} and suspended["rebuilt"]
    assert {"name": "Gold", "reason": "NOT_ACTIVE"} in suspended["routing"]["excluded"]
    assert promoted["partner"] == {"name": "Silver"} and promoted["rebuilt"]
    assert {"name": "Silver", "tier": "PLATINUM"} in promoted["routing"]["candidates"]
    assert relocated["partner"] == {"name": "Gold"} and relocated["rebuilt"]
    assert relocated["routing"]["candidates"] == [{"name": "Gold", "tier": "GOLD"}]
    assert unchanged["partner"] == {"name": "Gold"} and not unchanged["rebuilt"]
