"""Messages across two `channelhub serve` processes on one PostgreSQL and one Redis: a
participant's sockets on either process receive every event, typing included; a colleague
who is not in the conversation receives nothing; a reconnect replays exactly what it missed."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from hub.events import CHANNEL
from hub.roles import Role
from tests.factories import Actor, Factory
from tests.services import OwnRedis
from tests.wsclient import GraphQLSocket, graphql_socket

EVENTS = """subscription($after: String) {
  messageEvents(after: $after) { cursor type userId message { body } } }"""


async def call(host: str, actor: Actor, query: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"http://{host}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {actor.token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_events_cross_processes_to_every_socket_of_a_participant_only(
    hub_processes: list[str], factory: Factory
) -> None:
    first, second = hub_processes
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Crossing Co")
    member = await factory.user(partner.id, Role.PARTNER_USER)
    colleague = await factory.user(partner.id, Role.PARTNER_USER)
    started = await call(
        first,
        vendor,
        'mutation($u: ID!) { startConversation(input: {subject: "Rollout", userIds: [$u]}) { id } }',
        {"u": member.principal.user_id},
    )
    conversation = started["startConversation"]["id"]
    send = """mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }"""

    async with (
        graphql_socket(f"ws://{first}/graphql", member.token) as tab,
        graphql_socket(f"ws://{second}/graphql", member.token) as phone,
        graphql_socket(f"ws://{second}/graphql", colleague.token) as outsider,
    ):
        for socket in (tab, phone, outsider):
            await socket.subscribe(EVENTS)
        await asyncio.sleep(0.3)
        await call(
            second, vendor, "mutation($c: ID!) { typing(conversationId: $c) }", {"c": conversation}
        )
        await call(second, vendor, send, {"c": conversation, "b": "From the second process"})
        await call(first, vendor, send, {"c": conversation, "b": "From the first process"})
        got = {
            name: [(await socket.next(wait=10))["data"]["messageEvents"] for _ in range(3)]
            for name, socket in (("tab", tab), ("phone", phone))
        }
        assert await outsider.silent(1.0)

    for events in got.values():
        assert [(event["type"], (event["message"] or {}).get("body")) for event in events] == [
            ("TYPING", None),
            ("MESSAGE_SENT", "From the second process"),
            ("MESSAGE_SENT", "From the first process"),
        ]
    assert got["tab"][1]["cursor"] == got["phone"][1]["cursor"]
    # The phone reconnects to the other process with its last cursor: exactly the rest.
    async with graphql_socket(f"ws://{first}/graphql", member.token) as again:
        await again.subscribe(EVENTS, {"after": got["phone"][1]["cursor"]})
        resumed = (await again.next(wait=10))["data"]["messageEvents"]
        assert await again.silent(1.0)
    assert resumed["cursor"] == got["phone"][2]["cursor"]


async def test_after_a_redis_restart_typing_crosses_again_and_messages_arrive_live(
    hub_processes_on_own_redis: list[str], own_redis: OwnRedis, factory: Factory
) -> None:
    first, second = hub_processes_on_own_redis
    vendor = await factory.vendor_admin()
    member = await factory.user((await factory.partner("Restart Co")).id, Role.PARTNER_USER)
    started = await call(
        first,
        vendor,
        'mutation($u: ID!) { startConversation(input: {subject: "Outage", userIds: [$u]}) { id } }',
        {"u": member.principal.user_id},
    )
    conversation = started["startConversation"]["id"]

    own_redis.kill()
    own_redis.start()
    subscribed = await own_redis.subscribers_within(CHANNEL, 2, seconds=30)
    async with graphql_socket(f"ws://{first}/graphql", member.token) as tab:
        await tab.subscribe(EVENTS)
        await asyncio.sleep(0.3)
        await call(second, vendor, TYPING, {"c": conversation})
        # Typing is never stored: only the broadcast can carry it to the other process.
        typing = await _next_or_none(tab, wait=5)
        delays = [
            await _live_delay(tab, second, vendor, conversation, f"Live {n}") for n in range(7)
        ]

    assert subscribed == 2
    assert typing is not None and typing["type"] == "TYPING"
    assert statistics.median(delays) < 0.3, delays


TYPING = "mutation($c: ID!) { typing(conversationId: $c) }"
SEND = "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }"


async def _next_or_none(socket: GraphQLSocket, *, wait: float) -> dict[str, Any] | None:
    try:
        event: dict[str, Any] = (await socket.next(wait=wait))["data"]["messageEvents"]
    except TimeoutError:
        return None
    return event


async def _live_delay(
    socket: GraphQLSocket, host: str, sender: Actor, conversation: str, body: str
) -> float:
    """Seconds from a send's answer on one process to its event on the other's socket."""
    await call(host, sender, SEND, {"c": conversation, "b": body})
    answered = time.monotonic()
    event = (await socket.next(wait=15))["data"]["messageEvents"]
    assert event["message"]["body"] == body
    return time.monotonic() - answered
