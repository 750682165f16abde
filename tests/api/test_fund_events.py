"""fundEvents over a real WebSocket: allocation and every step of a request reach the
partner, its distributor and vendor staff, never another partner; a reconnect replays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.partners import PartnerType
from hub.roles import Role
from tests.api.test_fund_claims import APPROVE_CLAIM, PAID, PDF, SUBMIT_CLAIM, upload
from tests.api.test_funds import APPROVE, REJECT, SUBMIT, WITHDRAW, allocate, open_budget
from tests.api.test_funds import request_input as request_of
from tests.conftest import data_of
from tests.factories import Factory
from tests.wsclient import graphql_socket

EVENTS = """
subscription($after: String) {
  fundEvents(after: $after) {
    cursor type partnerId allocationId requestId amount
    request { title status approved { amountMinor } partner { name } }
    allocation { available { amountMinor } }
  }
}"""


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    distributor = await factory.partner("Distributor", type=PartnerType.DISTRIBUTOR)
    sub = await factory.partner("Sub", parent_id=distributor.id)
    stranger = await factory.partner("Stranger")
    return {
        "vendor": await factory.vendor_admin(),
        "sub": sub,
        "sub_user": await factory.user(sub.id, Role.PARTNER_USER),
        "distributor": await factory.user(distributor.id, Role.PARTNER_ADMIN),
        "stranger": await factory.user(stranger.id, Role.PARTNER_ADMIN),
    }


async def steps(factory: Factory, channel: dict[str, Any]) -> list[str]:
    """Allocate 2,000.00 to Sub, which asks twice; one is approved in part then withdrawn,
    the other rejected."""
    vendor, user = channel["vendor"], channel["sub_user"]
    budget = await open_budget(factory, vendor)
    allocated = await allocate(factory, vendor, budget, channel["sub"].id, 2_000_00)
    allocation = data_of(allocated)["allocateFunds"]["id"]
    ids = []
    for title in ("Webinar", "Mailing"):
        submitted = await factory.gql(
            SUBMIT, {"input": request_of(allocation, 500_00, title=title)}, actor=user
        )
        ids.append(data_of(submitted)["submitFundRequest"]["id"])
    data_of(
        await factory.gql(
            APPROVE,
            {"id": ids[0], "amount": {"amountMinor": 400_00, "currency": "USD"}},
            actor=vendor,
        )
    )
    data_of(await factory.gql(REJECT, {"id": ids[1], "reason": "out of scope"}, actor=vendor))
    data_of(await factory.gql(WITHDRAW, {"id": ids[0]}, actor=user))
    return [allocation, *ids]


async def test_each_step_reaches_the_partner_its_distributor_and_vendor_only(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    async with (
        graphql_socket(ws_url, channel["sub_user"].token) as sub,
        graphql_socket(ws_url, channel["distributor"].token) as distributor,
        graphql_socket(ws_url, channel["vendor"].token) as vendor,
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
    ):
        for socket in (sub, distributor, vendor, stranger):
            await socket.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        allocation, webinar, mailing = await steps(factory, channel)
        seen = {
            name: [(await socket.next())["data"]["fundEvents"] for _ in range(6)]
            for name, socket in [("sub", sub), ("distributor", distributor), ("vendor", vendor)]
        }

        expected = [
            ("FUNDS_ALLOCATED", None, 2_000_00),
            ("FUND_REQUEST_SUBMITTED", webinar, 500_00),
            ("FUND_REQUEST_SUBMITTED", mailing, 500_00),
            ("FUND_REQUEST_APPROVED", webinar, 400_00),
            ("FUND_REQUEST_REJECTED", mailing, 500_00),
            ("FUND_REQUEST_WITHDRAWN", webinar, 400_00),
        ]
        for events in seen.values():
            assert [(event["type"], event["requestId"], event["amount"]) for event in events] == (
                expected
            )
            assert {event["partnerId"] for event in events} == {channel["sub"].id}
            assert {event["allocationId"] for event in events} == {allocation}
        # The request as the subscriber may see it when the event is delivered: the last.
        assert seen["distributor"][5]["request"] == {
            "title": "Webinar",
            "status": "WITHDRAWN",
            "approved": {"amountMinor": 400_00},
            "partner": {"name": "Sub"},
        }
        assert seen["sub"][5]["allocation"] == {"available": {"amountMinor": 2_000_00}}
        assert await stranger.silent(0.3)
        assert await sub.silent(0.1)


async def test_a_reconnect_replays_what_was_missed_and_a_stranger_replays_nothing(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"]
    async with graphql_socket(ws_url, channel["sub_user"].token) as sub:
        await sub.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        budget = await open_budget(factory, vendor)
        data_of(await allocate(factory, vendor, budget, channel["sub"].id, 1_000_00))
        first = (await sub.next())["data"]["fundEvents"]
    data_of(await allocate(factory, vendor, budget, channel["sub"].id, 1_500_00))

    async with (
        graphql_socket(ws_url, channel["sub_user"].token) as again,
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
    ):
        await again.subscribe(EVENTS, {"after": first["cursor"]})
        await stranger.subscribe(EVENTS, {"after": "0"})
        replayed = (await again.next())["data"]["fundEvents"]

        assert (first["type"], first["amount"]) == ("FUNDS_ALLOCATED", 1_000_00)
        assert (replayed["type"], replayed["amount"]) == ("FUNDS_ALLOCATED", 1_500_00)
        assert replayed["allocation"] == {"available": {"amountMinor": 1_500_00}}
        assert await again.silent(0.3)
        assert await stranger.silent(0.1)


CLAIM_EVENTS = """
subscription($after: String) {
  fundEvents(after: $after) { type claimId requestId amount claim { status proofs { fileName } } }
}"""


async def test_claim_steps_reach_the_partner_its_distributor_and_vendor_only(
    ws_url: str, factory: Factory, channel: dict[str, Any], clock: ManualClock
) -> None:
    vendor, user = channel["vendor"], channel["sub_user"]
    budget = await open_budget(factory, vendor)
    allocated = await allocate(factory, vendor, budget, channel["sub"].id, 2_000_00)
    allocation = data_of(allocated)["allocateFunds"]["id"]
    asked = await factory.gql(SUBMIT, {"input": request_of(allocation, 500_00)}, actor=user)
    request = data_of(asked)["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request}, actor=vendor))
    clock.advance(days=33)  # the activity ended on 3 April
    fresh = {name: factory.fresh(channel[name]) for name in ("vendor", "sub_user", "distributor")}
    stranger = factory.fresh(channel["stranger"])
    async with (
        graphql_socket(ws_url, fresh["sub_user"].token) as sub,
        graphql_socket(ws_url, fresh["distributor"].token) as distributor,
        graphql_socket(ws_url, fresh["vendor"].token) as staff,
        graphql_socket(ws_url, stranger.token) as outsider,
    ):
        for socket in (sub, distributor, staff, outsider):
            await socket.subscribe(CLAIM_EVENTS)
        await asyncio.sleep(0.1)
        variables = {"request": request, "amount": {"amountMinor": 450_00, "currency": "USD"}}
        submitted = await upload(
            factory, fresh["sub_user"], SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)]
        )
        claim = data_of(submitted)["submitFundClaim"]["id"]
        data_of(await factory.gql(APPROVE_CLAIM, {"id": claim}, actor=fresh["vendor"]))
        paid = {"id": claim, "reference": "ERP-1"}
        data_of(await factory.gql(PAID, paid, actor=fresh["vendor"]))
        seen = {
            name: [(await socket.next())["data"]["fundEvents"] for _ in range(3)]
            for name, socket in [("sub", sub), ("distributor", distributor), ("vendor", staff)]
        }

        for events in seen.values():
            assert [(e["type"], e["claimId"], e["requestId"], e["amount"]) for e in events] == [
                ("CLAIM_SUBMITTED", claim, request, 450_00),
                ("CLAIM_APPROVED", claim, request, 450_00),
                ("CLAIM_PAID", claim, request, 450_00),
            ]
            assert events[2]["claim"] == {"status": "PAID", "proofs": [{"fileName": "invoice.pdf"}]}
        assert await outsider.silent(0.3)


CONFIRM = """mutation($b: ID!, $allocations: [FundAllocationShareInput!]!) {
  confirmFundAllocations(budgetId: $b, allocations: $allocations) { id } }"""


async def test_confirmed_allocations_reach_each_partner_its_own_only(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    vendor, stranger = channel["vendor"], channel["stranger"]
    budget = await open_budget(factory, vendor)
    async with (
        graphql_socket(ws_url, channel["sub_user"].token) as sub,
        graphql_socket(ws_url, channel["distributor"].token) as distributor,
        graphql_socket(ws_url, vendor.token) as staff,
        graphql_socket(ws_url, stranger.token) as outsider,
    ):
        for socket in (sub, distributor, staff, outsider):
            await socket.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        lines = [
            {"partnerId": channel["sub"].id, "amount": {"amountMinor": 300_00, "currency": "USD"}},
            {
                "partnerId": stranger.user.organization_id,
                "amount": {"amountMinor": 700_00, "currency": "USD"},
            },
        ]
        data_of(await factory.gql(CONFIRM, {"b": budget, "allocations": lines}, actor=vendor))
        seen = {
            name: [(await socket.next())["data"]["fundEvents"] for _ in range(count)]
            for name, socket, count in [
                ("sub", sub, 1),
                ("distributor", distributor, 1),
                ("outsider", outsider, 1),
                ("vendor", staff, 2),
            ]
        }

        def of(name: str) -> list[tuple[str, str, int]]:
            return [(e["type"], e["partnerId"], e["amount"]) for e in seen[name]]

        mine = ("FUNDS_ALLOCATED", channel["sub"].id, 300_00)
        theirs = ("FUNDS_ALLOCATED", stranger.user.organization_id, 700_00)
        assert of("sub") == of("distributor") == [mine]
        assert of("outsider") == [theirs]
        assert of("vendor") == [mine, theirs]
        for socket in (sub, distributor, outsider):
            assert await socket.silent(0.2)
