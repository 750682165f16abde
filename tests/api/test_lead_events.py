"""leadEvents over a real WebSocket: offers, accepts, declines, expiry, tenancy and replay."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from hub import jobs
from hub.clock import ManualClock
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from tests.conftest import data_of, serving, until
from tests.factories import Actor, Factory
from tests.wsclient import graphql_socket

EVENTS = """
subscription($after: String) {
  leadEvents(after: $after) { cursor type leadId lead { id status customerCompany partner { name } } }
}"""
CREATE = """
mutation($input: LeadInput!) { createLead(input: $input) { id status partner { name } } }"""
LEAD = {
    "customerCompany": "Globex",
    "country": "US",
    "productLine": "NETWORKING",
    "region": "US-CA",
}


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    return await _channel(factory)


async def _channel(factory: Factory) -> dict[str, Any]:
    california = (TerritoryInput(name="CA", regions=("US-CA",)),)
    gold = await factory.partner("Gold", tier=Tier.GOLD, territories=california)
    silver = await factory.partner("Silver", tier=Tier.SILVER, territories=california)
    stranger = await factory.partner(
        "Stranger", territories=(TerritoryInput(name="NY", regions=("US-NY",)),)
    )
    return {
        "vendor": await factory.vendor_admin(),
        "gold": await factory.user(gold.id, Role.PARTNER_USER),
        "silver": await factory.user(silver.id, Role.PARTNER_USER),
        "stranger": await factory.user(stranger.id, Role.PARTNER_ADMIN),
    }


async def create_lead(factory: Factory, vendor: Actor, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = data_of(
        await factory.gql(CREATE, {"input": {**LEAD, **fields}}, actor=vendor)
    )["createLead"]
    return created


async def test_offer_decline_and_reassign_reach_only_their_audience(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    async with (
        graphql_socket(ws_url, channel["gold"].token) as gold,
        graphql_socket(ws_url, channel["silver"].token) as silver,
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
        graphql_socket(ws_url, channel["vendor"].token) as vendor,
    ):
        for socket in (gold, silver, stranger, vendor):
            await socket.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        lead = await create_lead(factory, channel["vendor"])
        offered = (await gold.next())["data"]["leadEvents"]
        await factory.gql(
            "mutation($id: ID!) { declineLead(id: $id, reason: NO_CAPACITY) }",
            {"id": lead["id"]},
            actor=channel["gold"],
        )
        declined = (await gold.next())["data"]["leadEvents"]
        reassigned = (await silver.next())["data"]["leadEvents"]
        seen_by_vendor = [(await vendor.next())["data"]["leadEvents"]["type"] for _ in range(3)]

        assert (offered["type"], offered["lead"]["status"], offered["lead"]["partner"]["name"]) == (
            "LEAD_OFFERED",
            "OFFERED",
            "Gold",
        )
        assert (declined["type"], declined["lead"]) == ("LEAD_DECLINED", None)
        assert (reassigned["type"], reassigned["lead"]["partner"]["name"]) == (
            "LEAD_REASSIGNED",
            "Silver",
        )
        assert seen_by_vendor == ["LEAD_OFFERED", "LEAD_DECLINED", "LEAD_REASSIGNED"]
        assert await gold.silent()
        assert await stranger.silent(0.1)


async def test_accept_and_pipeline_moves_are_pushed_to_the_owner(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    async with graphql_socket(ws_url, channel["gold"].token) as gold:
        await gold.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        lead = await create_lead(factory, channel["vendor"])
        await gold.next()
        await factory.gql(
            "mutation($id: ID!) { acceptLead(id: $id) { status } }",
            {"id": lead["id"]},
            actor=channel["gold"],
        )
        await factory.gql(
            "mutation($id: ID!) { updateLeadStatus(id: $id, status: CONTACTED) { status } }",
            {"id": lead["id"]},
            actor=channel["gold"],
        )
        await factory.gql(
            'mutation($id: ID!) { addLeadNote(id: $id, body: "called the CTO") { id } }',
            {"id": lead["id"]},
            actor=channel["gold"],
        )

        kinds = [(await gold.next())["data"]["leadEvents"] for _ in range(4)]

    assert [event["type"] for event in kinds] == [
        "LEAD_ACCEPTED",
        "OPPORTUNITY_OPENED",
        "LEAD_STATUS_CHANGED",
        "LEAD_NOTE_ADDED",
    ]
    assert {event["leadId"] for event in kinds} == {lead["id"]}
    assert kinds[-1]["lead"]["status"] == "CONTACTED"


async def test_expired_offer_tells_the_old_partner_and_nothing_more(
    ws_url: str, factory: Factory, channel: dict[str, Any], hub: Hub, clock: ManualClock
) -> None:
    async with (
        graphql_socket(ws_url, channel["gold"].token) as gold,
        graphql_socket(ws_url, channel["silver"].token) as silver,
    ):
        await gold.subscribe(EVENTS)
        await silver.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        lead = await create_lead(factory, channel["vendor"])
        await gold.next()
        clock.advance(hours=49)
        await jobs.run_once(hub)
        expired = (await gold.next())["data"]["leadEvents"]
        offered = (await silver.next())["data"]["leadEvents"]
        await factory.gql(
            "mutation($id: ID!) { acceptLead(id: $id) { status } }",
            {"id": lead["id"]},
            actor=factory.fresh(channel["silver"]),
        )
        await silver.next()

        assert (expired["type"], expired["leadId"], expired["lead"]) == (
            "LEAD_EXPIRED",
            lead["id"],
            None,
        )
        assert offered["type"] == "LEAD_REASSIGNED"
        assert await gold.silent()


async def test_reconnect_with_after_replays_exactly_what_was_missed(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    async with graphql_socket(ws_url, vendor.token) as first:
        await first.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        await create_lead(factory, vendor, customerCompany="First")
        cursor = (await first.next())["data"]["leadEvents"]["cursor"]
    missed = [await create_lead(factory, vendor, customerCompany=f"Missed {n}") for n in range(3)]

    async with graphql_socket(ws_url, vendor.token) as again:
        await again.subscribe(EVENTS, {"after": cursor})
        replayed = [(await again.next())["data"]["leadEvents"] for _ in range(3)]
        live = await create_lead(factory, vendor, customerCompany="Live")
        after_replay = (await again.next())["data"]["leadEvents"]
        assert await again.silent(0.3)

    assert [event["leadId"] for event in replayed] == [lead["id"] for lead in missed]
    assert [int(event["cursor"]) for event in replayed] == sorted(
        int(event["cursor"]) for event in replayed
    )
    assert after_replay["leadId"] == live["id"]


async def test_a_partner_replay_holds_only_its_own_events(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    await create_lead(factory, channel["vendor"], customerCompany="For gold")
    await create_lead(
        factory, channel["vendor"], customerCompany="Nobody", region=None, country="FR"
    )

    async with (
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
        graphql_socket(ws_url, channel["gold"].token) as gold,
    ):
        await stranger.subscribe(EVENTS, {"after": "0"})
        await gold.subscribe(EVENTS, {"after": "0"})
        replayed = (await gold.next())["data"]["leadEvents"]

        assert replayed["lead"]["customerCompany"] == "For gold"
        assert await gold.silent(0.3)
        assert await stranger.silent(0.1)


async def test_bad_cursor_is_refused(ws_url: str, channel: dict[str, Any]) -> None:
    async with graphql_socket(ws_url, channel["gold"].token) as gold:
        await gold.subscribe(EVENTS, {"after": "yesterday"})
        payload = await gold.next()

    assert payload["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


IDS = """
subscription($after: String) { leadEvents(after: $after) { cursor type leadId } }"""


async def test_a_mass_reconnect_with_after_replays_each_alone_then_shares_one_stream(
    ws_url: str, factory: Factory, channel: dict[str, Any], app: Any
) -> None:
    await _mass_reconnect(factory, app.websocket_endpoint.groups, ws_url, channel, sockets=1000)


async def test_a_mass_reconnect_loses_and_repeats_nothing_on_sqlite_too(
    sqlite_factory: Factory,
) -> None:
    channel = await _channel(sqlite_factory)
    async with serving(sqlite_factory.app) as server:
        ws_url = f"ws://127.0.0.1:{server.config.port}/graphql"
        groups = sqlite_factory.app.websocket_endpoint.groups
        await _mass_reconnect(sqlite_factory, groups, ws_url, channel, sockets=300)


async def _mass_reconnect(
    factory: Factory, groups: Any, ws_url: str, channel: dict[str, Any], *, sockets: int
) -> None:
    """Sockets reconnect at once with one cursor while events keep coming: each replays
    alone, all then share one stream, and each gets every event after its cursor once.
    The hub never runs more than one stream for them: a replaying socket is a member of its
    group (holding what the group delivers) from the start, never a stream of its own."""
    vendor = channel["vendor"]
    await create_lead(factory, vendor, customerCompany="Seen")
    async with graphql_socket(ws_url, vendor.token) as watcher:
        await watcher.subscribe(IDS, {"after": "0"})
        cursor = (await watcher.next())["data"]["leadEvents"]["cursor"]
    for n in range(2):
        await create_lead(factory, vendor, customerCompany=f"Missed {n}")
    opening = asyncio.Semaphore(50)

    async def reconnect(stack: contextlib.AsyncExitStack) -> Any:
        async with opening:
            # Hundreds of connection_inits at once on a shared two-core machine: what is
            # asserted is nothing lost or repeated, not how fast the hub accepts them.
            socket = await stack.enter_async_context(
                graphql_socket(ws_url, vendor.token, ack_wait=60)
            )
            await socket.subscribe(IDS, {"after": cursor})
            return socket

    streams: list[int] = []

    async def count_streams() -> None:
        while True:
            streams.append(len(groups.sizes()))
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(count_streams())
    async with contextlib.AsyncExitStack() as stack:
        reconnecting = asyncio.gather(*(reconnect(stack) for _ in range(sockets)))
        # Events keep coming while the sockets replay and join: none lost, none twice.
        for n in range(3):
            await create_lead(factory, vendor, customerCompany=f"During {n}")
        connected = await reconnecting
        await until(lambda: list(groups.sizes().values()) == [sockets], seconds=60)
        await create_lead(factory, vendor, customerCompany="Live")
        expected = [
            str(event.id)
            async for event in factory.hub.events.history(
                vendor.principal, {"lead"}, after=int(cursor)
            )
        ]
        received = await asyncio.gather(*(_cursors(socket, len(expected)) for socket in connected))
        silent = await asyncio.gather(*(socket.silent(0.3) for socket in connected[:50]))
        one_stream = list(groups.sizes().values())
        sampler.cancel()

    assert len(expected) >= 6  # two missed, three during, one live lead: an event each at least
    assert all(cursors == expected for cursors in received)
    assert all(silent)
    assert one_stream == [sockets]
    assert max(streams) == 1


async def _cursors(socket: Any, count: int) -> list[str]:
    return [(await socket.next(wait=60))["data"]["leadEvents"]["cursor"] for _ in range(count)]
