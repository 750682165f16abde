"""Webhooks over the API against a real HTTP receiver on loopback, on PostgreSQL and the
embedded SQLite: endpoints managed by vendor admins, deliveries signed (checked by an
independent HMAC), in event order, once per endpoint, retried with backoff, disabled after a
run of failures and enabled again, replays, pings, secret rotation, refused addresses.

The background worker is idle here (it polls once an hour): each test runs a delivery round
itself (`deliver`), so it knows what was tried when. tests/e2e/test_webhook_workers.py runs
the worker of several hub processes at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.events import log
from hub.roles import Role
from hub.runtime import Hub
from hub.settings import Settings, load_settings
from hub.webhooks import worker
from storage.models.webhooks import WebhookEndpoint
from tests.api.test_lead_events import _channel, create_lead
from tests.conftest import data_of, factory_for, hub_env, sqlite_hub
from tests.factories import Actor, Factory, errors_of
from tests.receiver import Answer, Receiver, receiving, verify

# Tokens outlive the days the clock is moved on by.
IDLE_WORKER = {
    "webhook_allow_loopback": "true",
    "webhook_poll_ms": "3600000",
    "token_ttl_seconds": str(30 * 86400),
}
CREATE = """mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  secret endpoint { id url status topics eventTypes partnerIds description queuedThrough
  secretCreatedAt previousSecretExpiresAt } } }"""
UPDATE = """mutation($id: ID!, $input: WebhookEndpointChangesInput!) {
  updateWebhookEndpoint(id: $id, input: $input) { id url description topics eventTypes
  partnerIds } }"""
ENDPOINTS = """{ webhookEndpoints(first: 10) { totalCount edges { node { id url status } } } }"""
ENDPOINT = """query($id: ID!) { webhookEndpoint(id: $id) { id status disabledReason
  failureStreak lastSuccessAt previousSecretExpiresAt } }"""
DELIVERIES = """query($id: ID!, $statuses: [WebhookDeliveryStatus!]) {
  webhookDeliveries(endpointId: $id, statuses: $statuses, first: 50) { totalCount edges {
  node { kind eventType eventCursor messageId status attemptCount nextAttemptAt
  lastStatusCode lastDurationMs lastResponse lastError finishedAt
  attempts { number statusCode error response } } } } }"""
ROTATE = """mutation($id: ID!, $hours: Int!) { rotateWebhookSecret(id: $id, overlapHours: $hours)
  { secret endpoint { previousSecretExpiresAt } } }"""
ENABLE = "mutation($id: ID!) { enableWebhookEndpoint(id: $id) { status failureStreak } }"
DISABLE = "mutation($id: ID!) { disableWebhookEndpoint(id: $id) { status disabledReason } }"
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }"
REPLAY = """mutation($id: ID!, $after: String!) { replayWebhooks(endpointId: $id, after: $after)
  { queued through complete } }"""
PING = """mutation($id: ID!) { pingWebhookEndpoint(id: $id) { kind eventType status
  lastStatusCode attemptCount messageId } }"""
TOPICS = "{ webhookTopics { name eventTypes } }"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), **IDLE_WORKER))


@pytest.fixture
async def sqlite_hooks(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Factory]:
    async with sqlite_hub(tmp_path, clock, **IDLE_WORKER) as made:
        yield made


@pytest.fixture(params=["postgresql", "sqlite"])
def hooks(request: pytest.FixtureRequest) -> Factory:
    return factory_for(request, "sqlite_hooks")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as served:
        yield served


async def deliver(hub: Hub) -> int:
    """One delivery round, as a hub process's worker runs it."""
    async with worker.client() as http:
        return await worker.run_once(hub, http)


async def register(
    factory: Factory, url: str, actor: Actor | None = None, **fields: Any
) -> dict[str, Any]:
    vendor = actor or await factory.vendor_admin()
    wanted = {"url": url, "topics": ["lead"], "eventTypes": ["LEAD_OFFERED"], **fields}
    made: dict[str, Any] = data_of(await factory.gql(CREATE, {"input": wanted}, actor=vendor))[
        "createWebhookEndpoint"
    ]
    return made


async def deliveries(factory: Factory, endpoint_id: str, **variables: Any) -> list[Any]:
    vendor = await factory.vendor_admin()
    found = data_of(await factory.gql(DELIVERIES, {"id": endpoint_id, **variables}, actor=vendor))[
        "webhookDeliveries"
    ]
    return [edge["node"] for edge in found["edges"]]


async def test_signed_deliveries_carry_the_event_in_order_once(
    hooks: Factory, receiver: Receiver
) -> None:
    channel = await _channel(hooks)
    made = await register(hooks, receiver.url, description="CRM")
    assert made["secret"].startswith("whsec_") and made["endpoint"]["status"] == "ACTIVE"
    leads = [await create_lead(hooks, channel["vendor"], customerCompany=f"C{n}") for n in range(3)]

    assert await deliver(hooks.hub) == 3
    assert await deliver(hooks.hub) == 0

    assert [item.json["data"]["leadId"] for item in receiver.requests] == [
        lead["id"] for lead in leads
    ]
    for item in receiver.requests:
        assert verify(made["secret"], item)
        assert not verify("whsec_" + "A" * 44, item)
        assert item.headers["content-type"] == "application/json"
        assert int(item.headers["webhook-timestamp"]) == int(hooks.hub.clock.now().timestamp())
        body = item.json
        assert body["type"] == "LEAD_OFFERED" and body["topic"] == "lead"
        assert item.message_id == f"msg_{body['cursor']}"
        assert body["occurredAt"] == hooks.hub.clock.now().isoformat()
        assert body["data"]["subjectId"] == body["data"]["leadId"]
    cursors = [int(item.json["cursor"]) for item in receiver.requests]
    assert cursors == sorted(cursors)
    log = await deliveries(hooks, made["endpoint"]["id"])
    assert {(node["status"], node["attemptCount"], node["lastStatusCode"]) for node in log} == {
        ("SUCCEEDED", 1, 200)
    }
    assert log[0]["attempts"] == [{"number": 1, "statusCode": 200, "error": None, "response": "ok"}]


async def test_a_receiver_failing_five_times_gets_every_event_once_in_order(
    hooks: Factory, receiver: Receiver
) -> None:
    channel = await _channel(hooks)
    made = await register(hooks, receiver.url)
    receiver.answer(*[Answer(500, b"down for maintenance")] * 5)
    leads = [await create_lead(hooks, channel["vendor"], customerCompany=f"C{n}") for n in range(3)]
    clock: ManualClock = hooks.hub.clock  # type: ignore[assignment]
    waits = []
    for _ in range(5):
        assert await deliver(hooks.hub) == 1  # the head fails; the others wait behind it
        pending = await deliveries(hooks, made["endpoint"]["id"], statuses=["PENDING"])
        head = next(node for node in pending if node["attemptCount"])
        waits.append(head["nextAttemptAt"])
        assert await deliver(hooks.hub) == 0  # not due yet
        clock.advance(hours=7)
    assert await deliver(hooks.hub) == 3

    assert [item.json["data"]["leadId"] for item in receiver.succeeded] == [
        lead["id"] for lead in leads
    ]
    assert len({item.message_id for item in receiver.requests}) == 3
    assert [item.answered for item in receiver.requests] == [500] * 5 + [200] * 3
    log = {node["eventCursor"]: node for node in await deliveries(hooks, made["endpoint"]["id"])}
    first = log[receiver.requests[0].json["cursor"]]
    assert first["status"] == "SUCCEEDED" and first["attemptCount"] == 6
    assert [attempt["statusCode"] for attempt in first["attempts"]] == [500] * 5 + [200]
    assert first["attempts"][0]["response"] == "down for maintenance"
    assert first["attempts"][0]["error"] == "the receiver answered 500"
    assert sorted(node["attemptCount"] for node in log.values()) == [1, 1, 6]
    assert len(set(waits)) == 5
    endpoint = data_of(
        await hooks.gql(ENDPOINT, {"id": made["endpoint"]["id"]}, actor=channel["vendor"])
    )["webhookEndpoint"]
    assert endpoint["failureStreak"] == 0 and endpoint["status"] == "ACTIVE"


async def test_backoff_grows_with_jitter_and_gives_up_after_three_days(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    made = await register(factory, receiver.url)
    receiver.default = Answer(503)
    factory.hub.settings = dataclasses.replace(
        factory.hub.settings,
        webhooks=dataclasses.replace(factory.hub.settings.webhooks, disable_after_failures=100),
    )
    await create_lead(factory, channel["vendor"])
    clock: ManualClock = factory.hub.clock  # type: ignore[assignment]
    started, gaps = clock.now(), []
    while True:
        before = clock.now()
        assert await deliver(factory.hub) == 1
        (node,) = await deliveries(factory, made["endpoint"]["id"])
        if node["status"] == "FAILED":
            break
        due = node["nextAttemptAt"]
        gaps.append((datetime.fromisoformat(due) - before).total_seconds())
        clock.advance(seconds=(datetime.fromisoformat(due) - clock.now()).total_seconds())
    assert clock.now() - started <= timedelta(days=3)
    assert node["attemptCount"] == len(gaps) + 1 and node["nextAttemptAt"] is None
    assert 4 <= gaps[0] <= 6 and 8 <= gaps[1] <= 12 and 16 <= gaps[2] <= 24
    assert max(gaps) <= 6 * 3600 * 1.2 and max(gaps) >= 6 * 3600 * 0.8
    assert await deliver(factory.hub) == 0


async def test_a_run_of_failures_disables_the_endpoint_until_enabled_by_hand(
    hooks: Factory, receiver: Receiver
) -> None:
    channel = await _channel(hooks)
    made = await register(hooks, receiver.url)
    endpoint_id = made["endpoint"]["id"]
    hooks.hub.settings = dataclasses.replace(
        hooks.hub.settings,
        webhooks=dataclasses.replace(hooks.hub.settings.webhooks, disable_after_failures=3),
    )
    receiver.default = Answer(500)
    leads = [await create_lead(hooks, channel["vendor"], customerCompany=f"C{n}") for n in range(2)]
    clock: ManualClock = hooks.hub.clock  # type: ignore[assignment]
    for _ in range(4):
        await deliver(hooks.hub)
        clock.advance(hours=7)
    assert len(receiver.requests) == 3
    vendor = channel["vendor"]
    found = data_of(await hooks.gql(ENDPOINT, {"id": endpoint_id}, actor=vendor))["webhookEndpoint"]
    assert found["status"] == "DISABLED" and found["failureStreak"] == 3
    assert found["disabledReason"] == (
        "3 attempts in a row failed; the last: the receiver answered 500"
    )
    async with hooks.hub.read() as session:
        told = [event for event in await log.read(session, after=0) if event.topic == "webhook"]
    assert [(event.type, event.payload["endpointId"]) for event in told] == [
        ("WEBHOOK_ENDPOINT_DISABLED", endpoint_id)
    ]
    third = await create_lead(hooks, vendor, customerCompany="C2")
    assert await deliver(hooks.hub) == 0

    receiver.default = Answer(204, b"")
    enabled = data_of(await hooks.gql(ENABLE, {"id": endpoint_id}, actor=vendor))
    assert enabled["enableWebhookEndpoint"] == {"status": "ACTIVE", "failureStreak": 0}
    assert await deliver(hooks.hub) == 3
    assert [item.json["data"]["leadId"] for item in receiver.succeeded] == [
        lead["id"] for lead in [*leads, third]
    ]


async def test_disabling_by_hand_queues_events_for_later(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    made = await register(factory, receiver.url)
    vendor, endpoint_id = channel["vendor"], made["endpoint"]["id"]
    disabled = data_of(await factory.gql(DISABLE, {"id": endpoint_id}, actor=vendor))
    assert disabled["disableWebhookEndpoint"] == {
        "status": "DISABLED",
        "disabledReason": "disabled by hand",
    }
    lead = await create_lead(factory, vendor)
    assert await deliver(factory.hub) == 0 and receiver.requests == []
    await factory.gql(ENABLE, {"id": endpoint_id}, actor=vendor)
    assert await deliver(factory.hub) == 1
    assert receiver.requests[0].json["data"]["leadId"] == lead["id"]


async def test_filters_take_the_chosen_types_and_partners_only(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    gold_id = channel["gold"].user.organization_id
    async with receiving() as everything:
        gold_only = await register(factory, receiver.url, partnerIds=[gold_id])
        await register(factory, everything.url, eventTypes=[])
        first = await create_lead(factory, channel["vendor"])
        await create_lead(
            factory, channel["vendor"], region="US-NY", customerCompany="Initech"
        )  # to the stranger
        await factory.gql(
            "mutation($id: ID!) { declineLead(id: $id, reason: NO_CAPACITY) }",
            {"id": first["id"]},
            actor=channel["gold"],
        )
        await deliver(factory.hub)
    assert gold_only["endpoint"]["partnerIds"] == [gold_id]
    offered = [item.json for item in receiver.requests]
    assert [(body["type"], body["data"]["partnerId"]) for body in offered] == [
        ("LEAD_OFFERED", gold_id)
    ]
    stranger_id = channel["stranger"].user.organization_id
    seen = [(item.json["type"], item.json["data"].get("partnerId")) for item in everything.requests]
    assert seen[:3] == [
        ("LEAD_OFFERED", gold_id),
        ("LEAD_OFFERED", stranger_id),
        ("LEAD_DECLINED", None),
    ]


async def test_replay_resends_from_a_cursor_with_the_same_message_ids(
    hooks: Factory, receiver: Receiver
) -> None:
    channel = await _channel(hooks)
    made = await register(hooks, receiver.url)
    vendor, endpoint_id = channel["vendor"], made["endpoint"]["id"]
    for n in range(3):
        await create_lead(hooks, vendor, customerCompany=f"C{n}")
    await deliver(hooks.hub)
    first_cursor = receiver.requests[0].json["cursor"]

    replayed = data_of(
        await hooks.gql(REPLAY, {"id": endpoint_id, "after": first_cursor}, actor=vendor)
    )["replayWebhooks"]
    assert replayed["queued"] == 2 and replayed["complete"] is True
    assert await deliver(hooks.hub) == 2
    ids = [item.message_id for item in receiver.requests]
    assert ids[3:] == ids[1:3]
    kinds = [node["kind"] for node in await deliveries(hooks, endpoint_id)]
    assert sorted(kinds) == ["EVENT"] * 3 + ["REPLAY"] * 2
    for cursor in ("x", "", "-1", "²", "1" * 19, "900000000", "9" * 100_000):
        bad = await hooks.gql(REPLAY, {"id": endpoint_id, "after": cursor}, actor=vendor)
        assert errors_of(bad) == [("BAD_USER_INPUT", "after")], cursor


async def test_ping_is_signed_sent_now_and_logged(hooks: Factory, receiver: Receiver) -> None:
    made = await register(hooks, receiver.url)
    vendor = await hooks.vendor_admin()
    pinged = data_of(await hooks.gql(PING, {"id": made["endpoint"]["id"]}, actor=vendor))
    assert pinged["pingWebhookEndpoint"]["kind"] == "PING"
    assert pinged["pingWebhookEndpoint"]["status"] == "SUCCEEDED"
    assert pinged["pingWebhookEndpoint"]["lastStatusCode"] == 200
    (request,) = receiver.requests
    assert verify(made["secret"], request)
    assert request.json["type"] == "WEBHOOK_PING"
    assert request.message_id == pinged["pingWebhookEndpoint"]["messageId"]
    receiver.default = Answer(410, b"gone")
    again = data_of(await hooks.gql(PING, {"id": made["endpoint"]["id"]}, actor=vendor))
    assert again["pingWebhookEndpoint"]["status"] == "FAILED"
    assert again["pingWebhookEndpoint"]["lastStatusCode"] == 410
    assert await deliver(hooks.hub) == 0  # pings are not queued


async def test_a_rotated_secret_signs_alongside_the_new_one_during_the_overlap(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    made = await register(factory, receiver.url)
    vendor, endpoint_id = channel["vendor"], made["endpoint"]["id"]
    rotated = data_of(await factory.gql(ROTATE, {"id": endpoint_id, "hours": 24}, actor=vendor))[
        "rotateWebhookSecret"
    ]
    clock: ManualClock = factory.hub.clock  # type: ignore[assignment]
    assert (
        rotated["endpoint"]["previousSecretExpiresAt"]
        == (clock.now() + timedelta(hours=24)).isoformat()
    )
    await create_lead(factory, vendor)
    await deliver(factory.hub)
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(made["secret"], during) and verify(rotated["secret"], during)

    clock.advance(hours=25)
    await create_lead(factory, vendor, customerCompany="Later")
    await deliver(factory.hub)
    after = receiver.requests[-1]
    assert verify(rotated["secret"], after) and not verify(made["secret"], after)
    found = data_of(await factory.gql(ENDPOINT, {"id": endpoint_id}, actor=vendor))
    assert found["webhookEndpoint"]["previousSecretExpiresAt"] is None
    bad = await factory.gql(ROTATE, {"id": endpoint_id, "hours": 1000}, actor=vendor)
    assert errors_of(bad) == [("BAD_USER_INPUT", "overlapHours")]

    week = data_of(await factory.gql(ROTATE, {"id": endpoint_id, "hours": 168}, actor=vendor))
    now = data_of(await factory.gql(ROTATE, {"id": endpoint_id, "hours": 0}, actor=vendor))
    await create_lead(factory, vendor, customerCompany="After two rotations")
    await deliver(factory.hub)
    last = receiver.requests[-1]
    assert verify(now["rotateWebhookSecret"]["secret"], last)
    assert not verify(week["rotateWebhookSecret"]["secret"], last)
    assert not verify(rotated["secret"], last)


async def test_redirects_are_not_followed(factory: Factory, receiver: Receiver) -> None:
    channel = await _channel(factory)
    async with receiving() as elsewhere:
        metadata = b"http://169.254.169.254/latest/meta-data/"
        receiver.answer(Answer(302, b"", headers=((b"location", metadata),)))
        receiver.answer(Answer(307, b"", headers=((b"location", elsewhere.url.encode()),)))
        made = await register(factory, receiver.url)
        await create_lead(factory, channel["vendor"])
        await deliver(factory.hub)
        factory.hub.clock.advance(hours=1)  # type: ignore[attr-defined]
        await deliver(factory.hub)
        assert elsewhere.requests == []
    (node,) = await deliveries(factory, made["endpoint"]["id"])
    assert [attempt["statusCode"] for attempt in node["attempts"]] == [302, 307]
    assert node["lastError"] == "the receiver redirected; redirects are not followed"
    assert node["status"] == "PENDING"


async def test_addresses_that_are_not_public_are_refused(
    factory: Factory, receiver: Receiver
) -> None:
    """In production (loopback not allowed) registration refuses loopback, private,
    link-local and metadata addresses and names resolving to them; and a delivery checks
    again, so an endpoint whose name now resolves to a refused address gets nothing."""
    channel = await _channel(factory)
    made = await register(factory, receiver.url)
    production = dataclasses.replace(factory.hub.settings.webhooks, allow_loopback=False)
    factory.hub.settings = dataclasses.replace(factory.hub.settings, webhooks=production)
    vendor = channel["vendor"]
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00:ec2::254]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://[64:ff9b::a00:1]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[::7f00:1]/hook",
        "http://[fec0::1]/hook",
        "http://2130706433/hook",
        "http://0x7f.1/hook",
    ):
        refused = await factory.gql(
            CREATE, {"input": {"url": url, "topics": ["lead"]}}, actor=vendor
        )
        assert errors_of(refused) == [("BAD_USER_INPUT", "input.url")], url
        assert "not a public address" in refused["errors"][0]["message"]
    await create_lead(factory, vendor)
    assert await deliver(factory.hub) == 1
    assert receiver.requests == []
    (node,) = await deliveries(factory, made["endpoint"]["id"])
    assert (
        node["lastError"]
        == "refused: 127.0.0.1 resolves to 127.0.0.1, which is not a public address"
    )
    assert node["lastStatusCode"] is None and node["status"] == "PENDING"
    allowed = dataclasses.replace(production, allowed_networks=("127.0.0.0/8",))
    factory.hub.settings = dataclasses.replace(factory.hub.settings, webhooks=allowed)
    factory.hub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert await deliver(factory.hub) == 1 and len(receiver.requests) == 1


async def test_bad_input_is_refused_naming_the_field(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    cases = [
        ({"url": "ftp://example.test/x", "topics": ["lead"]}, ("BAD_USER_INPUT", "input.url")),
        ({"url": "http://u:p@127.0.0.1/x", "topics": ["lead"]}, ("BAD_USER_INPUT", "input.url")),
        ({"url": "http://127.0.0.1/\x00", "topics": ["lead"]}, ("BAD_USER_INPUT", "input.url")),
        ({"url": "http://127.0.0.1:99999/", "topics": ["lead"]}, ("BAD_USER_INPUT", "input.url")),
        (
            {"url": "http://" + "a" * 2000 + ".test/", "topics": ["lead"]},
            ("BAD_USER_INPUT", "input.url"),
        ),
        (
            {"url": "http://no-such-host.invalid/", "topics": ["lead"]},
            ("BAD_USER_INPUT", "input.url"),
        ),
        ({"url": "http://127.0.0.1/", "topics": []}, ("BAD_USER_INPUT", "input.topics")),
        ({"url": "http://127.0.0.1/", "topics": ["message"]}, ("BAD_USER_INPUT", "input.topics")),
        (
            {"url": "http://127.0.0.1/", "topics": ["order"], "eventTypes": ["LEAD_OFFERED"]},
            ("BAD_USER_INPUT", "input.eventTypes"),
        ),
        (
            {"url": "http://127.0.0.1/", "topics": ["lead"], "partnerIds": ["nope"]},
            ("NOT_FOUND", "input.partnerIds"),
        ),
        (
            {"url": "http://127.0.0.1/", "topics": ["lead"], "description": "x" * 501},
            ("BAD_USER_INPUT", "input.description"),
        ),
    ]
    for wanted, error in cases:
        assert errors_of(await factory.gql(CREATE, {"input": wanted}, actor=vendor)) == [error]
    found = data_of(await factory.gql(ENDPOINTS, actor=vendor))["webhookEndpoints"]
    assert found["totalCount"] == 0


async def test_endpoints_are_managed_by_vendor_admins_only(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    vendor = channel["vendor"]
    made = await register(factory, receiver.url, description="ERP")
    endpoint_id = made["endpoint"]["id"]
    assert made["endpoint"]["queuedThrough"].isdigit()
    changed = data_of(
        await factory.gql(
            UPDATE,
            {"id": endpoint_id, "input": {"description": "ERP sync", "topics": ["lead", "order"]}},
            actor=vendor,
        )
    )["updateWebhookEndpoint"]
    assert changed["description"] == "ERP sync" and changed["topics"] == ["lead", "order"]
    assert changed["eventTypes"] == ["LEAD_OFFERED"]
    listed = data_of(await factory.gql(ENDPOINTS, actor=vendor))["webhookEndpoints"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [endpoint_id]
    topics = data_of(await factory.gql(TOPICS, actor=vendor))["webhookTopics"]
    assert {topic["name"] for topic in topics} == {
        "lead",
        "order",
        "fund",
        "training",
        "asset",
        "incentive",
    }
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)
    for actor in (manager, channel["gold"], channel["stranger"]):
        for document, variables in (
            (ENDPOINTS, {}),
            (ENDPOINT, {"id": endpoint_id}),
            (DELIVERIES, {"id": endpoint_id}),
            (PING, {"id": endpoint_id}),
            (DELETE, {"id": endpoint_id}),
            (CREATE, {"input": {"url": receiver.url, "topics": ["lead"]}}),
            (UPDATE, {"id": endpoint_id, "input": {"description": "mine"}}),
            (ROTATE, {"id": endpoint_id, "hours": 1}),
            (ENABLE, {"id": endpoint_id}),
            (DISABLE, {"id": endpoint_id}),
            (REPLAY, {"id": endpoint_id, "after": "0"}),
        ):
            body = await factory.gql(document, variables, actor=actor)
            assert [code for code, _ in errors_of(body)] == ["FORBIDDEN"], document
    for actor in (channel["gold"], channel["stranger"]):
        topics = await factory.gql(TOPICS, actor=actor)
        assert [code for code, _ in errors_of(topics)] == ["FORBIDDEN"]
    assert receiver.requests == []
    assert data_of(await factory.gql(DELETE, {"id": endpoint_id}, actor=vendor)) == {
        "deleteWebhookEndpoint": endpoint_id
    }
    gone = await factory.gql(ENDPOINT, {"id": endpoint_id}, actor=vendor)
    assert errors_of(gone) == [("NOT_FOUND", "id")]
    missing = await factory.gql(DELIVERIES, {"id": endpoint_id}, actor=vendor)
    assert errors_of(missing) == [("NOT_FOUND", "endpointId")]
    replay = await factory.gql(REPLAY, {"id": endpoint_id, "after": "0"}, actor=vendor)
    assert errors_of(replay) == [("NOT_FOUND", "endpointId")]


async def test_a_hanging_receiver_times_out_without_holding_up_others(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    quick = dataclasses.replace(factory.hub.settings.webhooks, timeout_seconds=1)
    factory.hub.settings = dataclasses.replace(factory.hub.settings, webhooks=quick)
    async with receiving(Receiver(default=Answer(delay=5))) as hanging:
        slow = await register(factory, hanging.url)
        await register(factory, receiver.url)
        await create_lead(factory, channel["vendor"])
        started = time.monotonic()
        assert await deliver(factory.hub) == 2
        took = time.monotonic() - started
    assert len(receiver.succeeded) == 1 and len(hanging.requests) == 1
    assert took < 3
    (node,) = await deliveries(factory, slow["endpoint"]["id"])
    assert node["lastError"] == "no answer within 1 s" and node["status"] == "PENDING"


async def test_a_delivery_left_by_a_process_that_died_is_sent_once_its_lease_ends(
    hooks: Factory, receiver: Receiver
) -> None:
    channel = await _channel(hooks)
    await register(hooks, receiver.url)
    lead = await create_lead(hooks, channel["vendor"])
    claims = await worker.claim(hooks.hub, limit=10)  # claimed, then the process dies
    assert len(claims) == 1
    assert await deliver(hooks.hub) == 0  # the lease holds
    clock: ManualClock = hooks.hub.clock  # type: ignore[assignment]
    clock.advance(seconds=hooks.hub.settings.webhooks.timeout_seconds + 31)
    assert await deliver(hooks.hub) == 1
    assert [item.json["data"]["leadId"] for item in receiver.requests] == [lead["id"]]
    assert await deliver(hooks.hub) == 0


async def test_the_timeout_setting_is_the_time_a_receiver_has(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    longer = dataclasses.replace(factory.hub.settings.webhooks, timeout_seconds=9)
    factory.hub.settings = dataclasses.replace(factory.hub.settings, webhooks=longer)
    receiver.default = Answer(delay=6)
    made = await register(factory, receiver.url)
    await create_lead(factory, channel["vendor"])
    assert await deliver(factory.hub) == 1
    (node,) = await deliveries(factory, made["endpoint"]["id"])
    assert node["status"] == "SUCCEEDED" and node["lastDurationMs"] >= 6000


async def test_a_host_that_cannot_be_sent_to_is_a_failed_attempt(
    factory: Factory, receiver: Receiver
) -> None:
    channel = await _channel(factory)
    made = await register(factory, receiver.url)
    async with factory.hub.write() as session:
        endpoint = await session.get_one(WebhookEndpoint, made["endpoint"]["id"])
        endpoint.url = "http://b\u00fccher.invalid/hook"  # resolves nowhere
    await create_lead(factory, channel["vendor"])
    assert await deliver(factory.hub) == 1
    (node,) = await deliveries(factory, made["endpoint"]["id"])
    assert node["status"] == "PENDING" and node["attemptCount"] == 1
    assert node["lastError"].startswith("refused: ")
