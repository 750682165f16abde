"""The event backbone: ordered, gap-free, audience-scoped delivery that survives Redis restarts."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import events
from hub.clock import ManualClock
from hub.events import DomainEvent, EventBus, Reach, SubscriberTooSlow
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.db import create_session_factory
from tests.factories import Factory
from tests.services import OwnRedis, service_env


async def emit(
    hub: Hub,
    clock: ManualClock,
    audience: list[str],
    kind: str = "LEAD_OFFERED",
    topic: str = "lead",
) -> int:
    async with hub.write() as session:
        pending = await events.append(
            session,
            topic=topic,
            type=kind,
            subject_id="lead1",
            audience=audience,
            payload={"n": 1},
            now=clock.now(),
        )
    assert pending.event is not None
    return pending.event.id


async def take(stream: AsyncIterator[DomainEvent], count: int) -> list[DomainEvent]:
    return [await asyncio.wait_for(anext(stream), 5) for _ in range(count)]


def partner_principal(organization_id: str) -> Principal:
    return Principal(user_id="u", organization_id=organization_id, role=Role.PARTNER_USER)


VENDOR = Principal(user_id="v", organization_id="vendor", role=Role.CHANNEL_MANAGER)


async def test_partners_receive_only_their_events_and_vendor_receives_all(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    a, b = await factory.partner(), await factory.partner()
    async with (
        hub.events.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream_a,
        hub.events.subscribe(partner_principal(b.id), {"lead"}, after=None) as stream_b,
        hub.events.subscribe(VENDOR, {"lead"}, after=None) as vendor,
    ):
        first = await emit(hub, clock, [a.id])
        second = await emit(hub, clock, [b.id])
        third = await emit(hub, clock, [a.id], topic="order")

        assert [e.id for e in await take(vendor, 2)] == [first, second]
        assert [e.id for e in await take(stream_a, 1)] == [first]
        assert [e.id for e in await take(stream_b, 1)] == [second]
        await emit(hub, clock, [a.id])
        assert (await take(stream_a, 1))[0].id > third


async def test_recipient_events_reach_their_users_alone_live_and_on_replay(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    partner = await factory.partner()
    member = await factory.user(partner.id, Role.PARTNER_USER)
    colleague = await factory.user(partner.id, Role.PARTNER_USER)
    staff = await factory.vendor_user(Role.CHANNEL_MANAGER)

    async def private() -> int:
        async with hub.write() as session:
            pending = await events.append(
                session,
                topic="message",
                type="MESSAGE_SENT",
                subject_id="c1",
                audience=(),
                recipients=[member.principal.user_id],
                payload={"conversationId": "c1"},
                now=clock.now(),
            )
        assert pending.event is not None
        return pending.event.id

    async with (
        hub.events.subscribe(member.principal, {"message"}, after=None) as mine,
        hub.events.subscribe(colleague.principal, {"message"}, after=None) as theirs,
        hub.events.subscribe(staff.principal, {"message", "lead"}, after=None) as vendor,
    ):
        sent = await private()
        typing = events.DomainEvent(
            0, "message", "TYPING", "c1", {}, clock.now(), frozenset(),
            frozenset({member.principal.user_id}), ephemeral=True,
        )  # fmt: skip
        await hub.events.publish_ephemeral(typing)
        public = await emit(hub, clock, [partner.id])

        # Typing is not ordered with stored events (it may overtake one held for order).
        assert sorted((e.id, e.type) for e in await take(mine, 2)) == [
            (0, "TYPING"),
            (sent, "MESSAGE_SENT"),
        ]
        assert [e.id for e in await take(vendor, 1)] == [public]
        assert [e.id async for e in _until_quiet(theirs)] == []
    replays = {}
    for name, actor in (("member", member), ("colleague", colleague), ("staff", staff)):
        async with hub.events.subscribe(actor.principal, {"message"}, after=0) as stream:
            replays[name] = [e.id async for e in _until_quiet(stream)]
    assert replays == {"member": [sent], "colleague": [], "staff": []}


async def _until_quiet(stream: AsyncIterator[DomainEvent]) -> AsyncIterator[DomainEvent]:
    while True:
        try:
            yield await asyncio.wait_for(anext(stream), 0.5)
        except TimeoutError:
            return


async def test_after_replays_missed_events_then_continues_live_without_duplicates(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    a = await factory.partner()
    seen = await emit(hub, clock, [a.id])
    missed = [await emit(hub, clock, [a.id]) for _ in range(3)]
    await emit(hub, clock, [])

    async with hub.events.subscribe(partner_principal(a.id), {"lead"}, after=seen) as stream:
        replayed = await take(stream, 3)
        live = await emit(hub, clock, [a.id])
        after_live = await take(stream, 1)

    assert [e.id for e in replayed] == missed
    assert [e.id for e in after_live] == [live]


async def test_a_gap_in_the_broadcast_is_filled_from_the_table(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    a = await factory.partner()
    async with hub.events.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
        async with hub.db() as session, session.begin():
            await events.append(
                session,
                topic="lead",
                type="LEAD_OFFERED",
                subject_id="x",
                audience=[a.id],
                payload={},
                now=clock.now(),
            )
            [lost] = await events.write_pending(session)
        announced = await emit(hub, clock, [a.id])

        assert [e.id for e in await take(stream, 2)] == [lost.id, announced]


async def test_a_slow_subscriber_is_closed_with_a_reason(
    database: AsyncEngine, factory: Factory, hub: Hub, clock: ManualClock
) -> None:
    a = await factory.partner()
    bus = EventBus("memory://", create_session_factory(database), queue_size=3)
    await bus.start()
    try:
        async with bus.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
            for _ in range(5):
                async with events.transaction(hub.writer, bus) as session:
                    await events.append(
                        session,
                        topic="lead",
                        type="T",
                        subject_id="x",
                        audience=[a.id],
                        payload={},
                        now=clock.now(),
                    )
            await asyncio.sleep(0.2)
            with pytest.raises(SubscriberTooSlow, match="too far behind"):
                await take(stream, 5)
    finally:
        await bus.stop()


@pytest.fixture
async def redis_bus(database: AsyncEngine) -> AsyncIterator[tuple[EventBus, EventBus]]:
    """Two buses on one Redis: two hub processes' worth of fan-out."""
    db = create_session_factory(database)
    first = EventBus(service_env("REDIS_URL"), db, poll_seconds=0.5)
    second = EventBus(service_env("REDIS_URL"), db, poll_seconds=0.5)
    await first.start()
    await second.start()
    yield first, second
    await first.stop()
    await second.stop()


async def publish_through(bus: EventBus, hub: Hub, clock: ManualClock, audience: list[str]) -> int:
    async with events.transaction(hub.writer, bus) as session:
        pending = await events.append(
            session,
            topic="lead",
            type="T",
            subject_id="x",
            audience=audience,
            payload={},
            now=clock.now(),
        )
    assert pending.event is not None
    return pending.event.id


async def test_redis_carries_events_between_processes(
    redis_bus: tuple[EventBus, EventBus], hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    writer, reader = redis_bus
    a = await factory.partner()
    async with reader.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
        sent = [await publish_through(writer, hub, clock, [a.id]) for _ in range(3)]
        received = await take(stream, 3)

    assert [e.id for e in received] == sent


async def test_redis_restart_loses_nothing(
    redis_bus: tuple[EventBus, EventBus], hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    writer, reader = redis_bus
    a = await factory.partner()
    port = service_env("REDIS_PORT")
    async with reader.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
        before = await publish_through(writer, hub, clock, [a.id])
        subprocess.run(
            ["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True
        )
        during = [await publish_through(writer, hub, clock, [a.id]) for _ in range(3)]
        restart_redis(port)
        after = await publish_through(writer, hub, clock, [a.id])
        received = await take(stream, 5)

    assert [e.id for e in received] == [before, *during, after]


def restart_redis(port: str) -> None:
    directory = service_env("SERVICES_DIR")
    subprocess.run(
        [
            service_env("REDIS_SERVER"),
            "--port",
            port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            directory,
            "--daemonize",
            "yes",
        ],
        check=True,
        capture_output=True,
    )
    for _ in range(100):
        if (
            subprocess.run(
                ["redis-cli", "-p", port, "ping"], capture_output=True, text=True, check=False
            ).stdout.strip()
            == "PONG"
        ):
            return
        subprocess.run(["sleep", "0.05"], check=False)
    raise AssertionError("redis did not come back")


async def test_live_payload_travels_with_the_broadcast_but_is_never_stored(
    hub: Hub, factory: Factory, clock: ManualClock
) -> None:
    partner = await factory.partner()
    member = await factory.user(partner.id, Role.PARTNER_USER)
    colleague = await factory.user(partner.id, Role.PARTNER_USER)
    outsider = await factory.user(partner.id, Role.PARTNER_USER)
    member_id, colleague_id = member.principal.user_id, colleague.principal.user_id

    # A stream shared by the member and the colleague takes recipient events of either.
    async with hub.events.subscribe(
        Reach.members(outsider.principal, {member_id, colleague_id}), {"message"}, after=None
    ) as shared:
        async with hub.write() as session:
            await events.append(
                session,
                topic="message",
                type="MESSAGE_SENT",
                subject_id="c1",
                audience=(),
                recipients=[colleague_id],
                payload={"conversationId": "c1", "messageId": "m1"},
                now=clock.now(),
                live_payload={"id": "m1", "body": "as sent"},
            )
        [live] = await take(shared, 1)
    assert live.live_payload == {"id": "m1", "body": "as sent"}
    assert live.recipients == {colleague_id}

    async with hub.events.subscribe(colleague.principal, {"message"}, after=0) as replay:
        [again] = [e async for e in _until_quiet(replay)]
    assert (again.id, again.live_payload) == (live.id, None)
    with pytest.raises(ValueError, match="cannot replay"):
        async with hub.events.subscribe(Reach.members(VENDOR, {member_id}), {"message"}, after=0):
            pass


async def test_broadcasts_that_cross_are_put_back_in_order_without_reading_the_table(
    hub: Hub, factory: Factory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = await factory.partner()

    async def committed_unpublished() -> DomainEvent:
        async with hub.db() as session, session.begin():
            await events.append(
                session,
                topic="lead",
                type="LEAD_OFFERED",
                subject_id="lead1",
                audience=[partner.id],
                payload={},
                now=clock.now(),
            )
            [written] = await events.write_pending(session)
        return written

    async with hub.events.subscribe(partner_principal(partner.id), {"lead"}, after=None) as stream:
        # The bus has caught up with what the factory wrote without publishing.
        published = await emit(hub, clock, [partner.id])
        assert [e.id for e in await take(stream, 1)] == [published]
        reads: list[object] = []
        load = hub.events._load

        async def counted(**kwargs: object) -> list[DomainEvent]:
            reads.append(kwargs)
            return await load(**kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(hub.events, "_load", counted)
        # Two processes commit in id order, but their broadcasts cross on the way.
        first, second = await committed_unpublished(), await committed_unpublished()
        await hub.events.publish([second])
        await asyncio.sleep(0.02)
        await hub.events.publish([first])
        assert [e.id for e in await take(stream, 2)] == [first.id, second.id]
        assert reads == []

        # One that never comes (a lost broadcast) is read from the table after a moment.
        lost, third = await committed_unpublished(), await committed_unpublished()
        await hub.events.publish([third])
        assert [e.id for e in await take(stream, 2)] == [lost.id, third.id]
        assert len(reads) == 1


async def test_a_bus_polls_while_redis_is_down_and_subscribes_again_when_it_returns(
    database: AsyncEngine, hub: Hub, factory: Factory, clock: ManualClock, own_redis: OwnRedis
) -> None:
    db = create_session_factory(database)
    writer, reader = EventBus(own_redis.url, db), EventBus(own_redis.url, db)
    await writer.start()
    await reader.start()
    a = await factory.partner()
    try:
        async with reader.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
            own_redis.kill()
            during = [await publish_through(writer, hub, clock, [a.id]) for _ in range(2)]
            # Redis is still down: the table delivers them.
            received_during = await take(stream, 2)
            own_redis.start()
            subscribed = await own_redis.subscribers_within(events.CHANNEL, 2, seconds=30)
            after = await publish_through(writer, hub, clock, [a.id])
            received_after = await take(stream, 1)
    finally:
        await writer.stop()
        await reader.stop()

    assert [e.id for e in received_during] == during
    assert [e.id for e in received_after] == [after]
    assert subscribed == 2


async def test_a_publish_to_a_redis_that_stopped_answering_gives_up_and_the_poll_delivers(
    database: AsyncEngine, hub: Hub, factory: Factory, clock: ManualClock, own_redis: OwnRedis
) -> None:
    db = create_session_factory(database)
    writer, reader = EventBus(own_redis.url, db), EventBus(own_redis.url, db)
    await writer.start()
    await reader.start()
    a = await factory.partner()
    try:
        async with reader.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
            own_redis.pause()
            # A generous bound: without one of its own, the publish would wait for ever.
            async with asyncio.timeout(30):
                published = [await publish_through(writer, hub, clock, [a.id]) for _ in range(2)]
            received = await take(stream, 2)
    finally:
        own_redis.resume()
        await writer.stop()
        await reader.stop()

    assert [e.id for e in received] == published


async def test_a_bus_whose_redis_accepts_but_does_not_answer_delivers_by_polling(
    database: AsyncEngine, hub: Hub, factory: Factory, clock: ManualClock, own_redis: OwnRedis
) -> None:
    a = await factory.partner()
    newest = await emit(hub, clock, [a.id])
    own_redis.pause()  # connections are accepted, nothing is answered
    bus = EventBus(own_redis.url, create_session_factory(database))
    starting = asyncio.create_task(bus.start())
    try:
        while bus.last_id < newest:  # it has read where the table ends
            await asyncio.sleep(0.01)
        async with bus.subscribe(partner_principal(a.id), {"lead"}, after=None) as stream:
            published = [await emit(hub, clock, [a.id]) for _ in range(2)]
            received = [await asyncio.wait_for(anext(stream), 20) for _ in range(2)]
    finally:
        own_redis.resume()
        await starting
        await bus.stop()

    assert [e.id for e in received] == published
