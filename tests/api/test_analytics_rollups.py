"""The revenue rollups kept in the order transactions equal a rebuild from raw orders, after a
random mix of orders, deliveries, returns (whole, partial, refused), cancellations and a new
exchange rate, with the moves of many orders racing each other; on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from hub.analytics import rollups
from hub.analytics import service as analytics_service
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.roles import Role
from storage.models.analytics import (
    LineRevenueDay,
    LineRevenueMonth,
    PartnerRevenueDay,
    PartnerRevenueMonth,
)
from tests.api.test_analytics import CONCENTRATION, DELIVER, RATE, Shop
from tests.conftest import data_of
from tests.factories import Actor, Factory
from tests.web.test_import_files import run_command

TABLES: dict[str, Any] = {
    "partners": PartnerRevenueDay,
    "lines": LineRevenueDay,
    "partner months": PartnerRevenueMonth,
    "line months": LineRevenueMonth,
}
LINES = ["NETWORKING", "SECURITY", "CLOUD"]
FATES = ["deliver", "return all", "return part", "refused return", "cancel", "ship only"]


async def _open_shop(factory: Factory) -> tuple[Shop, list[Actor]]:
    """Three products in three lines priced in four currencies, EUR and JPY rates, and a
    buyer at each of three partners."""
    hub, vendor = factory.hub, await factory.vendor_admin()
    for sku, line in [("SW-24", "NETWORKING"), ("FW-1", "SECURITY"), ("AP-7", "CLOUD")]:
        prices = {"USD": 10_001, "EUR": 9_003, "JPY": 1_507_000, "GBP": 7_999}
        await catalog.create(
            hub, principal=vendor.principal, data=ProductInput(sku, sku, line, prices)
        )
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="A", country="NL"
    )
    for sku in ("SW-24", "FW-1", "AP-7"):
        data_of(
            await factory.gql(
                f'mutation {{ setStock(sku: "{sku}", warehouse: "AMS", onHand: 10000) }}',
                actor=vendor,
            )
        )
    for currency, rate in [("EUR", "1.0825"), ("JPY", "0.0067")]:
        data_of(
            await factory.gql(
                RATE, {"currency": currency, "rate": rate, "from": "2026-01-01"}, actor=vendor
            )
        )
    buyers = [
        await factory.user((await factory.partner(f"P{n}")).id, Role.PARTNER_USER) for n in range(3)
    ]
    return Shop(factory, vendor), buyers


def _plans(chance: random.Random, buyers: list[Actor], count: int) -> list[Any]:
    return [
        (
            chance.choice(buyers),
            chance.choice(["USD", "EUR", "JPY", "GBP"]),
            chance.choice(FATES),
            {
                sku: chance.randint(1, 4)
                for sku in chance.sample(["SW_24", "FW_1", "AP_7"], chance.randint(1, 3))
            },
        )
        for _ in range(count)
    ]


async def test_rollups_equal_a_rebuild_after_a_random_mix(any_factory: Factory) -> None:
    factory, hub = any_factory, any_factory.hub
    shop, buyers = await _open_shop(factory)
    vendor, chance = shop.vendor, random.Random(20261203)

    for day in range(4):
        await asyncio.gather(*(_play(shop, *plan) for plan in _plans(chance, buyers, 8)))
        now = hub.clock.advance(hours=20)  # type: ignore[attr-defined]
        # Tokens last an hour: the actors log in again each day.
        vendor, buyers = factory.fresh(vendor), [factory.fresh(buyer) for buyer in buyers]
        shop.vendor = vendor
        if day == 1:  # a GBP rate from yesterday on: what it covers is converted anew
            since = (now - timedelta(days=1)).date().isoformat()
            rate = {"currency": "GBP", "rate": "1.2705", "from": since}
            data_of(await factory.gql(RATE, rate, actor=vendor))

    kept = await _rollups(factory)
    await analytics_service.rebuild(hub)
    rebuilt = await _rollups(factory)
    async with hub.write() as session:  # damage them: the command puts them right
        await session.execute(delete(LineRevenueDay))
        await session.execute(update(PartnerRevenueDay).values(revenue_minor=0))
    command = await run_command(factory, "analytics", "rebuild")
    repaired = await _rollups(factory)

    assert kept == rebuilt == repaired
    assert command.returncode == 0, command.stderr
    assert command.stdout.startswith("revenue rollups rebuilt from ")
    assert len(kept["partners"]) >= 6 and any(row[-3] < 0 or row[-2] for row in kept["partners"])


async def test_new_rates_racing_deliveries_leave_the_rollups_equal_to_a_rebuild(
    any_factory: Factory,
) -> None:
    factory = any_factory
    shop, buyers = await _open_shop(factory)
    chance = random.Random(7)

    async def new_rates() -> None:
        for rate in ("1.2001", "1.2502", "1.3003"):
            await asyncio.sleep(chance.random() / 20)
            since = factory.hub.clock.now().date().isoformat()
            data = {"currency": "GBP", "rate": rate, "from": since}
            data_of(await factory.gql(RATE, data, actor=shop.vendor))

    plans = [(buyer, "GBP", fate, lines) for buyer, _, fate, lines in _plans(chance, buyers, 12)]
    plays = [_play(shop, *plan) for plan in plans]
    await asyncio.gather(new_rates(), *plays)
    kept = await _rollups(factory)
    await analytics_service.rebuild(factory.hub)

    assert kept == await _rollups(factory)
    assert any(row[2] == "GBP" and row[-2] for row in kept["partners"])


async def _play(shop: Shop, buyer: Actor, currency: str, fate: str, lines: dict[str, int]) -> None:
    order = await shop.order(buyer, currency, **lines)
    if fate == "cancel":
        await shop.move(order, [{"status": "CANCELLED"}], by=buyer)
        return
    at = await shop.move(order, DELIVER[:3] if fate == "ship only" else DELIVER)
    if fate in ("deliver", "ship only"):
        return
    returning: dict[str, Any] = {"status": "RETURN_REQUESTED", "note": "not needed"}
    if fate == "return part":
        returning["lines"] = [{"lineNo": 1, "quantity": 1}]
    at = await shop.move(order, [returning], by=buyer, at=at)
    await shop.move(
        order, [{"status": "DELIVERED" if fate == "refused return" else "RETURNED"}], at=at
    )


async def _rollups(factory: Factory) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row, by table: the days, and the months (which must be their sums)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with factory.hub.read() as session:
        for name, table in TABLES.items():
            columns, keys = _columns(table)
            rows = await session.execute(
                select(*(table.__table__.c[column] for column in columns)).order_by(
                    *(table.__table__.c[key] for key in keys)
                )
            )
            found[name] = [tuple(row) for row in rows]
    for days, months in [("partners", "partner months"), ("lines", "line months")]:
        assert found[months] == _summed_by_month(found[days], TABLES[days]), months
    return found


def _columns(table: Any) -> tuple[list[str], list[str]]:
    """Keys, then delivered and returned orders (partner tables), then the sums."""
    keys = [column.name for column in table.__table__.primary_key.columns]
    counts = [name for name in ("delivered_orders", "returned_orders") if name in table.__table__.c]
    return [*keys, *counts, "revenue_minor", "reporting_minor", "unconverted_minor"], keys


def _summed_by_month(rows: list[tuple[Any, ...]], table: Any) -> list[tuple[Any, ...]]:
    columns, keys = _columns(table)
    sums: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        values["day"] = values["day"].replace(day=1)
        key = tuple(values[name] for name in keys)
        adding = [values[name] for name in columns if name not in keys]
        sums[key] = [a + b for a, b in zip(sums.get(key, [0] * len(adding)), adding, strict=True)]
    month_columns = ["month" if name == "day" else name for name in columns]
    month_keys = ["month" if name == "day" else name for name in keys]
    made = []
    for key, totals in sorted(sums.items()):
        named = dict(zip(month_keys, key, strict=True))
        named.update(zip([c for c in month_columns if c not in month_keys], totals, strict=True))
        made.append(tuple(named[name] for name in month_columns))
    return made


async def test_a_rate_set_while_a_delivery_converts_waits_for_it(
    any_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery has read the rates and is about to add to the rollups when the new rate
    comes: the rate's rebuild must wait and count it, or the delivery would add at the old
    rate after the rebuild."""
    factory = any_factory
    shop, buyers = await _open_shop(factory)
    order = await shop.order(buyers[0], "GBP", SW_24=2)
    at = await shop.move(order, DELIVER[:3])
    paused, resume = asyncio.Event(), asyncio.Event()
    add = rollups._add

    async def add_after_a_pause(*args: Any) -> None:
        paused.set()
        await resume.wait()
        await add(*args)

    monkeypatch.setattr(rollups, "_add", add_after_a_pause)
    delivering = asyncio.create_task(shop.move(order, DELIVER[3:], at=at))
    await asyncio.wait_for(paused.wait(), 10)
    since = factory.hub.clock.now().date().isoformat()
    rating = asyncio.create_task(
        factory.gql(RATE, {"currency": "GBP", "rate": "1.5", "from": since}, actor=shop.vendor)
    )
    await asyncio.sleep(0.3)  # the rate would commit now, were it not made to wait
    resume.set()
    await delivering
    data_of(await rating)
    kept = await _rollups(factory)
    await analytics_service.rebuild(factory.hub)

    assert kept == await _rollups(factory)
    assert [row[-2] for row in kept["partners"]] == [2 * 7_999 * 3 // 2]  # 2 x 79.99 GBP at 1.5


async def test_periods_read_from_months_and_days_give_the_daily_sums(
    any_factory: Factory,
) -> None:
    """Whole months come from the monthly rollups and the days at either end from the daily
    ones: over random rollups, every kind of period (inside a month, across month and year
    ends, whole months, a quarter, one day) sums to what the days hold, per partner and per
    product line, through channelConcentration."""
    factory, chance = any_factory, random.Random(41)
    vendor = await factory.vendor_admin()
    partners = [(await factory.partner(f"R{n}")).id for n in range(4)]
    first = date(2025, 11, 20)
    changes = [
        rollups.Change(
            chance.choice(partners),
            first + timedelta(days=chance.randrange(130)),
            "USD",
            first,
            {line: chance.randint(-300, 5_000) for line in chance.sample(LINES, 2)},
            delivered=1,
        )
        for _ in range(300)
    ]
    async with factory.hub.write() as session:
        await rollups._add(session, changes, await rollups.rates(session))
    periods = [
        ("2025-12-03", "2025-12-19"),
        ("2025-11-25", "2026-01-07"),
        ("2025-12-01", "2026-01-31"),
        ("2025-12-31", "2026-02-01"),
        ("2026-01-01", "2026-03-31"),
        ("2026-02-14", "2026-02-14"),
        ("2025-11-01", "2026-04-10"),
    ]
    for start, end in periods:
        low, high = date.fromisoformat(start), date.fromisoformat(end)
        inside = [change for change in changes if low <= change.day <= high]
        for group, key in [("PARTNER", lambda c, _: c.partner_id), ("PRODUCT_LINE", None)]:
            expected: dict[str, int] = {}
            for change in inside:
                for line, minor in change.by_line.items():
                    name = line if key is None else key(change, line)
                    expected[name] = expected.get(name, 0) + minor
            variables = {"period": {"from": start, "to": end}, "by": group}
            found = data_of(await factory.gql(CONCENTRATION, variables, actor=vendor))
            served = {
                row["key"]: int(row["revenueMinor"])
                for row in found["channelConcentration"]["groups"]
            }
            assert served == {k: v for k, v in expected.items() if v}, (start, end, group)
