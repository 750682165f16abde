"""Two `channelhub serve` processes on one PostgreSQL and one Redis serve the same clients."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import time
from typing import Any

import httpx

from hub.events import CHANNEL
from hub.orders import catalog
from hub.orders.catalog import ProductInput
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from tests.factories import Factory
from tests.hub.test_events import restart_redis
from tests.services import OwnRedis, service_env
from tests.wsclient import GraphQLSocket, graphql_socket

EVENTS = "subscription { leadEvents { cursor type lead { customerCompany } } }"
CREATE = 'mutation($c: String!) { createLead(input: {customerCompany: $c, country: "US", productLine: "NETWORKING", region: "US-CA"}) { id } }'


async def test_a_subscriber_on_one_process_sees_a_mutation_on_the_other(
    hub_processes_on_own_redis: list[str], own_redis: OwnRedis, factory: Factory
) -> None:
    first, second = hub_processes_on_own_redis
    partner = await factory.partner(
        "West", tier=Tier.GOLD, territories=(TerritoryInput(name="CA", regions=("US-CA",)),)
    )
    partner_user = await factory.user(partner.id, Role.PARTNER_USER)
    vendor = await factory.vendor_admin()

    async with graphql_socket(f"ws://{first}/graphql", partner_user.token) as socket:
        await socket.subscribe(EVENTS)
        await _create(second, vendor.token, "Before the outage")
        before = (await socket.next())["data"]["leadEvents"]
        subscribed_before = own_redis.subscribers(CHANNEL)

        own_redis.kill()
        during = [await _create(second, vendor.token, f"During {n}") for n in range(2)]
        own_redis.start()
        await _create(second, vendor.token, "After the outage")
        received = [(await socket.next(wait=15))["data"]["leadEvents"] for _ in range(3)]
    # Both processes subscribe again; then events travel live, not by the 1 s poll.
    subscribed_after = await own_redis.subscribers_within(CHANNEL, 2, seconds=30)
    async with graphql_socket(f"ws://{first}/graphql", vendor.token) as socket:
        await socket.subscribe(EVENTS)
        await asyncio.sleep(0.3)
        delays = [await _live_delay(socket, second, vendor.token, f"Live {n}") for n in range(7)]

    assert before["lead"]["customerCompany"] == "Before the outage"
    assert [event["lead"]["customerCompany"] for event in received] == [
        "During 0",
        "During 1",
        "After the outage",
    ]
    assert len(during) == 2
    cursors = [int(before["cursor"])] + [int(event["cursor"]) for event in received]
    assert cursors == sorted(cursors)
    assert (subscribed_before, subscribed_after) == (2, 2)
    assert statistics.median(delays) < 0.3, delays


async def _live_delay(socket: GraphQLSocket, host: str, token: str, company: str) -> float:
    """Seconds from a mutation's answer on one process to its event on the other's socket
    (none when the event came first: it is published before the mutation answers)."""
    await _create(host, token, company)
    answered = time.monotonic()
    event = (await socket.next(wait=15))["data"]["leadEvents"]
    assert event["lead"]["customerCompany"] == company
    return time.monotonic() - answered


async def test_a_client_that_resumes_after_a_redis_restart_gets_exactly_what_it_missed(
    hub_processes: list[str], factory: Factory
) -> None:
    first, second = hub_processes
    vendor = await factory.vendor_admin()
    await factory.partner("West", territories=(TerritoryInput(name="CA", regions=("US-CA",)),))
    resume = "subscription($after: String) { leadEvents(after: $after) { cursor lead { customerCompany } } }"

    async with graphql_socket(f"ws://{first}/graphql", vendor.token) as socket:
        await socket.subscribe(EVENTS)
        await _create(second, vendor.token, "Seen")
        cursor = (await socket.next())["data"]["leadEvents"]["cursor"]
    port = service_env("REDIS_PORT")
    subprocess.run(
        ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
    )
    for company in ("Missed 1", "Missed 2"):
        await _create(second, vendor.token, company)
    restart_redis(port)
    await _create(first, vendor.token, "Missed 3")

    async with graphql_socket(f"ws://{first}/graphql", vendor.token) as socket:
        await socket.subscribe(resume, {"after": cursor})
        replayed = [(await socket.next(wait=15))["data"]["leadEvents"] for _ in range(3)]
        live = await _create(second, vendor.token, "Live")
        after = (await socket.next(wait=15))["data"]["leadEvents"]
        assert await socket.silent(0.5)

    assert [event["lead"]["customerCompany"] for event in replayed] == [
        "Missed 1",
        "Missed 2",
        "Missed 3",
    ]
    assert after["lead"]["customerCompany"] == "Live"
    assert live["id"]


async def _create(host: str, token: str, company: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{host}/graphql",
            json={"query": CREATE, "variables": {"c": company}},
            headers={"authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]["createLead"]


async def test_order_status_set_on_one_process_reaches_a_partner_on_the_other(
    hub_processes: list[str], factory: Factory, hub: Hub
) -> None:
    first, second = hub_processes
    vendor = await factory.vendor_admin()
    await catalog.create(
        hub,
        principal=vendor.principal,
        data=ProductInput("SW-24", "Switch", "NETWORKING", {"USD": 5_000}),
    )
    buyer = await factory.user(
        (await factory.partner("Buyer", tier=Tier.GOLD)).id, Role.PARTNER_USER
    )
    events = "subscription { orderEvents { type toStatus order { total { amountMinor } } } }"
    place = """mutation { placeOrder(input: {lines: [{sku: "SW-24", quantity: 2}], endCustomer: "Globex",
      currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"}) { id } }"""
    confirm = "mutation($id: ID!) { updateOrderStatus(id: $id, input: {status: CONFIRMED, expectedVersion: 1}) { status } }"

    async with graphql_socket(f"ws://{first}/graphql", buyer.token) as socket:
        await socket.subscribe(events)
        order = await _post(second, buyer.token, place)
        await _post(second, vendor.token, confirm, {"id": order["placeOrder"]["id"]})
        received = [(await socket.next(wait=15))["data"]["orderEvents"] for _ in range(2)]

    assert [(event["type"], event["toStatus"]) for event in received] == [
        ("ORDER_PLACED", "SUBMITTED"),
        ("ORDER_STATUS_CHANGED", "CONFIRMED"),
    ]
    assert received[0]["order"]["total"] == {"amountMinor": 10_000}


async def _post(
    host: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{host}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]
