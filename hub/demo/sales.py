"""A year of delivered orders behind the reports: the 80/20 channel, with some returns.

A few PLATINUM partners order often and in bulk, GOLD ones monthly, SILVER ones now and then,
so the scorecards, the concentration view and the forecast's actuals have a year to compare.
Before RECENT_DAYS ago orders come half as often and twice as big: the same revenue, fewer
orders to seed.
The stock is counted again every week, as a warehouse would, so the orders never run dry.
Orders and dates come from a seeded random generator: every seed gives the same history.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from hub.demo.orders import DEMO_PRODUCTS, move_order, place
from hub.demo.world import HISTORY_DAYS, RECENT_DAYS, Demo, Part, Story
from hub.orders import stock
from hub.orders.rules import OrderStatus

S = OrderStatus
# Every this many orders of a partner, the order comes back.
RETURN_EVERY = 8
# The newest history order is placed this many days ago, so it has been delivered.
NEWEST = 6
# Units free per warehouse once the stock is counted again.
COUNTED = {"RNO": 60, "AMS": 40}
RETURN_NOTE = "The customer's project shrank after the order; the units go back."


class Buyer(NamedTuple):
    login: str
    per_month: float
    units: tuple[int, int]
    currency: str
    address: str
    customers: tuple[str, ...]
    lines: int = 1


BUYERS = (
    Buyer(
        "admin@northwind.example",
        2,
        (5, 9),
        "USD",
        "2000 W Fulton St, Chicago, IL 60612, US",
        ("Midwest Grocers", "Lakeshore Schools", "Windy City Logistics", "Prairie State Bank"),
        2,
    ),
    Buyer(
        "admin@goldengate.example",
        1.5,
        (5, 8),
        "USD",
        "1 Market St, San Francisco, CA 94105, US",
        ("Bay Area Biotech", "Pacific Freight", "Sunset Media", "Mission Health"),
        2,
    ),
    Buyer(
        "admin@bayern.example",
        1.5,
        (5, 8),
        "EUR",
        "Leopoldstraße 1, 80802 München, DE",
        ("Isar Versicherung", "Alpen Logistik", "Münchner Kliniken", "Donau Energie"),
        2,
    ),
    Buyer(
        "admin@prairie.example",
        0.7,
        (3, 6),
        "USD",
        "202 S Park St, Madison, WI 53715, US",
        ("Madison Credit Union", "Capitol Clinics"),
    ),
    Buyer(
        "admin@maple.example",
        0.7,
        (3, 6),
        "USD",
        "100 King St W, Toronto, ON M5X 1A9, CA",
        ("Lakeshore Hospitality", "Ontario Transit Services"),
    ),
    Buyer(
        "admin@thames.example",
        0.7,
        (3, 5),
        "EUR",
        "30 St Mary Axe, London EC3A 8BF, GB",
        ("Docklands Finance", "Southbank Arts"),
    ),
    Buyer(
        "admin@sakura.example",
        0.5,
        (3, 5),
        "USD",
        "1-1 Marunouchi, Chiyoda, Tokyo 100-0005, JP",
        ("Shinjuku Securities", "Kanto Rail"),
    ),
    Buyer(
        "admin@lakeside.example",
        0.5,
        (1, 3),
        "USD",
        "400 N Water St, Milwaukee, WI 53202, US",
        ("Brew City Retail", "Harbor Marine"),
    ),
    Buyer(
        "admin@rhein.example",
        0.5,
        (1, 3),
        "EUR",
        "Domkloster 4, 50667 Köln, DE",
        ("Rheinland Stadtwerke", "Kölner Medienhaus"),
    ),
    Buyer(
        "admin@seine.example",
        0.4,
        (1, 3),
        "EUR",
        "10 Rue de Rivoli, 75004 Paris, FR",
        ("Louvre Hôtellerie", "Marais Conseil"),
    ),
)


class HistoryOrder(NamedTuple):
    buyer: Buyer
    placed: float
    lines: tuple[tuple[str, int], ...]
    customer: str
    returned: bool


def history(end_days: int = HISTORY_DAYS) -> list[HistoryOrder]:
    """Every buyer's orders from the start of the history to NEWEST days ago."""
    rng = random.Random(2026)
    skus = [sku for sku, _, _, _ in DEMO_PRODUCTS]
    made: list[HistoryOrder] = []
    for buyer in BUYERS:
        days = end_days - 2 - rng.uniform(0, 30 / buyer.per_month)
        count = 0
        while days >= NEWEST:
            count += 1
            scale = 2 if days > RECENT_DAYS else 1
            chosen = rng.sample(skus, buyer.lines)
            lines = tuple((sku, rng.randint(*buyer.units) * scale) for sku in chosen)
            customer = buyer.customers[count % len(buyer.customers)]
            made.append(HistoryOrder(buyer, days, lines, customer, count % RETURN_EVERY == 0))
            days -= 30 / buyer.per_month * scale * rng.uniform(0.6, 1.4)
    return made


def stories(demo: Demo) -> list[Story]:
    return [_order(demo, order) for order in history()] + [_count_stock(demo)]


PART = Part(order=62, stories=stories)


async def _order(demo: Demo, plan: HistoryOrder) -> Story:
    yield plan.placed
    buyer = demo.person(plan.buyer.login)
    order = await place(
        demo,
        buyer,
        plan.lines,
        customer=plan.customer,
        currency=plan.buyer.currency,
        address=plan.buyer.address,
    )
    moves = [(0.1, S.CONFIRMED), (0.1, S.ALLOCATED), (1, S.SHIPPED), (3, S.DELIVERED)]
    if plan.returned:
        moves += [(9, S.RETURN_REQUESTED), (13, S.RETURNED)]
    for after, status in moves:
        yield max(plan.placed - after, 0.01)
        returning, shipped = status is S.RETURN_REQUESTED, status is S.SHIPPED
        order = await move_order(
            demo,
            buyer if returning else demo.manager,
            order,
            status,
            note=RETURN_NOTE if returning else None,
            carrier="UPS" if shipped else None,
            tracking_number=f"1ZH{order.id[-10:].upper()}" if shipped else None,
        )


async def _count_stock(demo: Demo) -> Story:
    """Every week the warehouses count again and top up what the orders took."""
    for days in range(HISTORY_DAYS - 1, 0, -7):
        yield float(days)
        for sku, _, _, _ in DEMO_PRODUCTS:
            for level in await stock.levels(demo.hub, principal=demo.vendor, sku=sku):
                wanted = COUNTED.get(level.warehouse.code)
                if wanted is not None and level.on_hand - level.reserved < wanted // 2:
                    await stock.set_stock(
                        demo.hub,
                        principal=demo.vendor,
                        sku=sku,
                        warehouse=level.warehouse.code,
                        on_hand=level.reserved + wanted,
                    )
