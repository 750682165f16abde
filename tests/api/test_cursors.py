"""Cursors: a list takes back its own, on every page, and refuses any other as bad input on after.

Every connection field and every subscription with `after` is covered, on both databases;
test_every_connection_is_listed fails when a new one is added without being listed here.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from hub.clock import ManualClock
from hub.settings import load_settings
from resolvers.root import build_schema
from tests.conftest import free_port
from tests.factories import Factory, errors_of
from tests.lists import LISTINGS, SAME_SORT, World, seed
from tests.wsclient import graphql_socket
from web.app import create_app

SUBSCRIPTIONS = {
    "leadEvents": ("subscription($after: String) { leadEvents(after: $after) { cursor } }", "vendor"),
    "orderEvents": ("subscription($after: String) { orderEvents(after: $after) { cursor } }", "vendor"),
    "assetEvents": ("subscription($after: String) { assetEvents(after: $after) { cursor } }", "vendor"),
    "trainingEvents": (
        "subscription($after: String) { trainingEvents(after: $after) { cursor } }",
        "seller",
    ),
    "messageEvents": (
        "subscription($after: String) { messageEvents(after: $after) { cursor } }",
        "seller",
    ),
    "fundEvents": ("subscription($after: String) { fundEvents(after: $after) { cursor } }", "seller"),
    "incentiveEvents": (
        "subscription($after: String) { incentiveEvents(after: $after) { cursor } }",
        "seller",
    ),
    "webhookEvents": (
        "subscription($after: String) { webhookEvents(after: $after) { cursor } }",
        "vendor",
    ),
}  # fmt: skip


# Mutations whose `after` is an event cursor, tested where they live (test_webhooks).
EVENT_CURSOR_MUTATIONS = {"Mutation.replayWebhooks"}


def packed(value: Any) -> str:
    """A cursor as this server shapes them, around any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def unpacked(cursor: str) -> list[Any]:
    found: list[Any] = json.loads(base64.urlsafe_b64decode(cursor))
    return found


GARBAGE = {
    "not base64": "!!!not-a-cursor!!!",
    "empty": "",
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
    "strings": packed(["x", "y"]),
    "null": packed(None),
    "object": packed({"after": 1}),
    "empty list": packed([]),
    "lone surrogate": packed(["x", "\ud800"]),
    "huge": "A" * 100_000,
    "deeply nested": base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode(),
}


MOMENT = {"dt": "2026-01-01T00:00:00+00:00"}


def wrong_for(part: Any) -> list[Any]:
    """Values a key part of this kind must never take: another type, or out of range."""
    wrong: list[Any] = [None, True, [1]]
    if isinstance(part, str):
        return [*wrong, 12345, 1.5, MOMENT, "\x00", "x" * 5000]
    if isinstance(part, dict):
        naive, far_east = "2026-01-01T00:00:00", "0001-01-01T00:00:00+05:00"
        return [*wrong, "x", 12345, {"dt": naive}, {"dt": far_east}, {"dt": "not a date"}]
    if isinstance(part, int):
        return [*wrong, "x", 1.5, 10**30, MOMENT]
    return [*wrong, "x", MOMENT, float("inf"), float("nan")]


def tampered(cursor: str) -> dict[str, str]:
    """Variants of a real cursor: another tag, a part missing or added, each part retyped."""
    tag, *parts = unpacked(cursor)
    variants = {
        "another tag": packed(["0" * 12, *parts]),
        "no tag": packed(parts),
        "a part missing": packed([tag, *parts[:-1]]),
        "a part more": packed([tag, *parts, "x"]),
    }
    for index, part in enumerate(parts):
        for value in wrong_for(part):
            retyped = [tag, *parts[:index], value, *parts[index + 1 :]]
            variants[f"part {index} = {value!r:.30}"] = packed(retyped)
    return variants


def refused(body: dict[str, Any]) -> bool:
    return errors_of(body) == [("BAD_USER_INPUT", "after")]


@pytest.fixture
async def world(any_factory: Factory) -> World:
    return await seed(any_factory)


def test_every_connection_is_listed() -> None:
    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )
    schema = build_schema(settings)._schema
    with_after = {
        f"{type_name}.{field_name}"
        for type_name, kind in schema.type_map.items()
        if not type_name.startswith("__")
        and hasattr(kind, "fields")
        and not hasattr(kind, "of_type")
        for field_name, field in getattr(kind, "fields", {}).items()
        if "after" in getattr(field, "args", {})
    }

    assert with_after == set(LISTINGS) | EVENT_CURSOR_MUTATIONS | {
        f"Subscription.{name}" for name in SUBSCRIPTIONS
    }


async def test_each_list_walks_to_its_end_one_cursor_at_a_time(world: World) -> None:
    for name in LISTINGS:
        seen: list[str] = []
        after = None
        while True:
            page = world.connection(name, await world.page(name, after=after))
            seen += [edge["cursor"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]

        assert len(seen) == page["totalCount"] >= 2, name
        assert len(set(seen)) == len(seen), name


async def test_garbage_cursors_are_bad_input_on_after(world: World) -> None:
    answers = {
        (name, case): await world.page(name, after=cursor)
        for name in LISTINGS
        for case, cursor in GARBAGE.items()
    }

    assert [key for key, body in answers.items() if not refused(body)] == []


async def test_tampered_cursors_are_bad_input_on_after(world: World) -> None:
    answers = {}
    for name in LISTINGS:
        real = world.connection(name, await world.page(name))["pageInfo"]["endCursor"]
        for case, cursor in tampered(real).items():
            answers[(name, case)] = await world.page(name, after=cursor)

    assert [key for key, body in answers.items() if not refused(body)] == []


async def test_a_cursor_of_another_list_is_bad_input_on_after(world: World) -> None:
    cursors = {
        name: world.connection(name, await world.page(name))["pageInfo"]["endCursor"]
        for name in LISTINGS
    }
    answers = {
        (name, source): await world.page(name, after=cursor)
        for name in LISTINGS
        for source, cursor in cursors.items()
        if source != name and frozenset({name, source}) not in SAME_SORT
    }

    assert [key for key, body in answers.items() if not refused(body)] == []


async def test_best_practice_cursors_belong_to_their_order(world: World) -> None:
    newest = world.connection("Query.bestPractices", await world.page("Query.bestPractices"))[
        "pageInfo"
    ]["endCursor"]
    query = """query($after: String, $order: BestPracticeOrder!) {
      bestPractices(first: 1, after: $after, orderBy: $order) { edges { cursor } } }"""
    vendor = world.actors["vendor"]

    top_rated = await world.factory.gql(
        query, {"after": newest, "order": "TOP_RATED"}, actor=vendor
    )
    ranked = await world.factory.gql(query, {"after": newest, "order": "RANKED"}, actor=vendor)

    assert refused(top_rated)
    assert "errors" not in ranked


async def test_a_near_cursor_is_not_a_name_cursor(world: World) -> None:
    query = """query($after: String, $near: NearInput) {
      partners(first: 1, after: $after, filter: {near: $near}) { pageInfo { endCursor } } }"""
    vendor = world.actors["vendor"]
    by_name = world.connection("Query.partners", await world.page("Query.partners"))
    near = {"latitude": 0.0, "longitude": 0.0, "radiusKm": 20_000}

    answer = await world.factory.gql(
        query, {"after": by_name["pageInfo"]["endCursor"], "near": near}, actor=vendor
    )
    forged = await world.factory.gql(
        query,
        {
            "after": packed(["partners.near", {"dt": "2026-01-01T00:00:00+00:00"}, "x"]),
            "near": near,
        },
        actor=vendor,
    )

    assert refused(answer)
    assert refused(forged)


@pytest.fixture
async def any_ws_url(any_factory: Factory, clock: ManualClock) -> AsyncIterator[str]:
    """A live server of a second app on the same database (its own bus replays from the table)."""
    app = create_app(any_factory.hub.settings, clock=clock)
    async with app.router.lifespan_context(app):
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                ws="websockets-sansio",
                log_level="warning",
                lifespan="off",
            )
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        yield f"ws://127.0.0.1:{port}/graphql"
        server.should_exit = True
        await task


async def test_subscription_cursors_replay_or_are_bad_input_on_after(
    world: World, any_ws_url: str
) -> None:
    connection_cursor = world.connection("Query.leads", await world.page("Query.leads"))
    bad = {
        "superscript digit": "²",
        "arabic digits": "١٢",
        "negative": "-1",
        "too long": "1" * 19,
        "words": "yesterday",
        "a connection cursor": connection_cursor["pageInfo"]["endCursor"],
        "past the newest event": "900000000",
        "huge": "9" * 100_000,
    }
    answers: dict[tuple[str, str], Any] = {}
    replayed: dict[str, Any] = {}
    for name, (query, reader) in SUBSCRIPTIONS.items():
        async with graphql_socket(any_ws_url, world.actors[reader].token) as socket:
            for index, (case, cursor) in enumerate(bad.items()):
                await socket.subscribe(query, {"after": cursor}, id=str(index))
                answers[(name, case)] = await socket.result(str(index))
            await socket.subscribe(query, {"after": "0"}, id="replay")
            replayed[name] = await socket.result("replay")

    assert [key for key, body in answers.items() if not refused(body)] == []
    assert {name: "errors" in body for name, body in replayed.items()} == dict.fromkeys(
        SUBSCRIPTIONS, False
    )
