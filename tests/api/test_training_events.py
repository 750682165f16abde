"""trainingEvents over a real WebSocket: issue, expiry notices, revocation, tenancy, replay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub import jobs
from hub.clock import ManualClock
from hub.partners import Tier
from hub.roles import Role
from hub.runtime import Hub
from tests.api.test_training import DEFINE, create_course, take
from tests.conftest import data_of
from tests.factories import Factory
from tests.wsclient import graphql_socket

EVENTS = """
subscription($after: String) {
  trainingEvents(after: $after) {
    cursor type userId
    certification { status definition { name } user { email } }
  }
}"""


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    gold = await factory.partner("Gold", tier=Tier.GOLD)
    silver = await factory.partner("Silver", tier=Tier.SILVER)
    return {
        "vendor": await factory.vendor_admin(),
        "learner": await factory.user(gold.id, Role.PARTNER_USER),
        "colleague": await factory.user(gold.id, Role.PARTNER_ADMIN),
        "stranger": await factory.user(silver.id, Role.PARTNER_ADMIN),
    }


async def certify(factory: Factory, channel: dict[str, Any], validity_days: int) -> None:
    vendor = channel["vendor"]
    course = await create_course(factory, vendor)
    definition = {
        "name": "Network Associate",
        "productLine": "NETWORKING",
        "validityDays": validity_days,
        "requiredCourseIds": [course["id"]],
    }
    data_of(await factory.gql(DEFINE, {"input": definition}, actor=vendor))
    await take(factory, channel["learner"], course)


async def test_issue_expiry_and_revocation_reach_the_holders_org_and_vendor_only(
    ws_url: str, factory: Factory, channel: dict[str, Any], hub: Hub, clock: ManualClock
) -> None:
    async with (
        graphql_socket(ws_url, channel["colleague"].token) as colleague,
        graphql_socket(ws_url, channel["vendor"].token) as vendor,
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
    ):
        for socket in (colleague, vendor, stranger):
            await socket.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        await certify(factory, channel, validity_days=40)
        issued = (await colleague.next())["data"]["trainingEvents"]
        clock.advance(days=15)
        await asyncio.gather(jobs.run_once(hub), jobs.run_once(hub))
        expiring = (await colleague.next())["data"]["trainingEvents"]
        clock.advance(days=30)
        await asyncio.gather(jobs.run_once(hub), jobs.run_once(hub))
        expired = (await colleague.next())["data"]["trainingEvents"]
        seen_by_vendor = [(await vendor.next())["data"]["trainingEvents"] for _ in range(3)]

        assert (issued["type"], issued["userId"]) == (
            "CERTIFICATION_ISSUED",
            channel["learner"].user.id,
        )
        assert issued["certification"] == {
            "status": "VALID",
            "definition": {"name": "Network Associate"},
            "user": {"email": channel["learner"].user.email},
        }
        assert expiring["type"] == "CERTIFICATION_EXPIRING"
        assert (expired["type"], expired["certification"]["status"]) == (
            "CERTIFICATION_EXPIRED",
            "EXPIRED",
        )
        assert [event["type"] for event in seen_by_vendor] == [
            "CERTIFICATION_ISSUED",
            "CERTIFICATION_EXPIRING",
            "CERTIFICATION_EXPIRED",
        ]
        assert await colleague.silent(0.3)
        assert await stranger.silent(0.1)


async def test_revocation_is_pushed_and_a_reconnect_replays_what_was_missed(
    ws_url: str, factory: Factory, channel: dict[str, Any]
) -> None:
    async with graphql_socket(ws_url, channel["learner"].token) as learner:
        await learner.subscribe(EVENTS)
        await asyncio.sleep(0.1)
        await certify(factory, channel, validity_days=365)
        issued = (await learner.next())["data"]["trainingEvents"]
    held = data_of(
        await factory.gql("{ certifications { edges { node { id } } } }", actor=channel["vendor"])
    )["certifications"]["edges"][0]["node"]["id"]
    revoked = await factory.gql(
        'mutation($id: ID!) { revokeCertification(id: $id, reason: "lapsed audit") '
        "{ status revokedReason } }",
        {"id": held},
        actor=channel["vendor"],
    )

    async with (
        graphql_socket(ws_url, channel["learner"].token) as again,
        graphql_socket(ws_url, channel["stranger"].token) as stranger,
    ):
        await again.subscribe(EVENTS, {"after": issued["cursor"]})
        await stranger.subscribe(EVENTS, {"after": "0"})
        replayed = (await again.next())["data"]["trainingEvents"]

        assert data_of(revoked)["revokeCertification"] == {
            "status": "REVOKED",
            "revokedReason": "lapsed audit",
        }
        assert (replayed["type"], replayed["certification"]["status"]) == (
            "CERTIFICATION_REVOKED",
            "REVOKED",
        )
        assert await again.silent(0.3)
        assert await stranger.silent(0.1)
