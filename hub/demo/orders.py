"""The demo catalog, stock and orders: every status, with history, for several partners."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from hub.demo.world import Demo, Part, Story
from hub.leads import service as lead_service
from hub.orders import catalog, stock
from hub.orders import service as order_service
from hub.orders import settings as order_settings
from hub.orders.rules import OrderStatus
from hub.partners import Tier
from hub.roles import Principal
from storage.models import Order

S = OrderStatus
DEMO_PRODUCTS = (
    ("SW-24", "Switch 24-port", "NETWORKING", 129_900),
    ("SW-48", "Switch 48-port", "NETWORKING", 219_900),
    ("FW-100", "Firewall 100", "SECURITY", 349_900),
    ("NAS-8", "Storage array 8-bay", "STORAGE", 499_900),
)
RETURNS_WAREHOUSE = "RET"


class Move(NamedTuple):
    days: float
    status: OrderStatus
    note: str | None = None
    # CANCELLED and RETURN_REQUESTED are the ordering partner's moves unless this is False.
    by_partner: bool = True


class Plan(NamedTuple):
    name: str
    buyer: str  # a demo login, or "lead:<name>" for whoever holds that lead
    placed: float
    lines: tuple[tuple[str, int], ...]
    customer: str
    currency: str
    address: str
    moves: tuple[Move, ...] = ()


SHIP_TO_US = "1 Main St, Milwaukee, WI 53202, US"
PLANS = (
    Plan(
        "lakeside-switches",
        "admin@lakeside.example",
        80,
        (("SW-24", 6),),
        "Contoso Retail",
        "USD",
        "400 N Water St, Milwaukee, WI 53202, US",
        (Move(79, S.CONFIRMED), Move(79, S.ALLOCATED), Move(78, S.SHIPPED), Move(75, S.DELIVERED)),
    ),
    Plan(
        "lakeside-open",
        "admin@lakeside.example",
        0.3,
        (("SW-48", 2),),
        "Globex Manufacturing",
        "USD",
        SHIP_TO_US,
    ),
    Plan(
        "prairie-clinic",
        "admin@prairie.example",
        6,
        (("NAS-8", 2), ("FW-100", 1)),
        "Madison Health System",
        "USD",
        "202 S Park St, Madison, WI 53715, US",
        (Move(5.5, S.CONFIRMED), Move(5, S.ALLOCATED), Move(2, S.SHIPPED)),
    ),
    Plan(
        "badger-array",
        "admin@prairie.example",
        34,
        (("NAS-8", 1),),
        "Badger Dairy Cooperative",
        "USD",
        "1 Dairy Rd, Madison, WI 53704, US",
        (
            Move(33, S.CONFIRMED),
            Move(33, S.ALLOCATED),
            Move(32, S.SHIPPED),
            Move(30, S.DELIVERED),
            Move(3, S.RETURN_REQUESTED, "One drive bay arrived cracked; please replace the unit."),
        ),
    ),
    Plan(
        "northwind-restock",
        "admin@northwind.example",
        62,
        (("SW-48", 10),),
        "Northwind stock for resellers",
        "USD",
        "2000 W Fulton St, Chicago, IL 60612, US",
        (
            Move(61, S.CONFIRMED),
            Move(61, S.ALLOCATED),
            Move(60, S.SHIPPED),
            Move(58, S.DELIVERED),
            Move(50, S.RETURN_REQUESTED, "Two switches are surplus after a cancelled project."),
            Move(45, S.RETURNED, "Received in the returns warehouse for inspection."),
        ),
    ),
    Plan(
        "greenbay-rollout",
        "sales@northwind.example",
        1,
        (("SW-24", 20),),
        "Green Bay Packaging",
        "USD",
        "1 Lambeau Way, Green Bay, WI 54304, US",
        (Move(0.9, S.CONFIRMED), Move(0.8, S.ALLOCATED)),
    ),
    Plan(
        "goldenbay-firewalls",
        "admin@goldengate.example",
        2,
        (("FW-100", 4),),
        "Golden Bay Hotels",
        "USD",
        "1 Market St, San Francisco, CA 94105, US",
        (Move(1.5, S.CONFIRMED, "Confirmed by the vendor's order desk."),),
    ),
    Plan(
        "hooli-mistake",
        "sales@goldengate.example",
        20,
        (("SW-24", 1),),
        "Hooli",
        "USD",
        "1600 Amphitheatre Pkwy, Mountain View, CA 94043, US",
        (Move(19.8, S.CANCELLED, "Ordered the wrong model; replaced by a firewall order."),),
    ),
    Plan(
        "hooli-firewalls",
        "lead:hooli",
        66,
        (("FW-100", 3),),
        "Hooli",
        "USD",
        "1600 Amphitheatre Pkwy, Mountain View, CA 94043, US",
        (Move(65, S.CONFIRMED), Move(65, S.ALLOCATED), Move(64, S.SHIPPED), Move(61, S.DELIVERED)),
    ),
    Plan(
        "bavaria-firewalls",
        "admin@bayern.example",
        45,
        (("FW-100", 5),),
        "Bavaria Motors",
        "EUR",
        "Petuelring 130, 80809 München, DE",
        (Move(44, S.CONFIRMED), Move(44, S.ALLOCATED), Move(42, S.SHIPPED), Move(39, S.DELIVERED)),
    ),
    Plan(
        "alpen-storage",
        "admin@bayern.example",
        15,
        (("NAS-8", 4),),
        "Alpen Versicherung",
        "EUR",
        "Königinstraße 28, 80802 München, DE",
        (
            Move(14, S.CONFIRMED),
            Move(14, S.ALLOCATED),
            Move(10, S.CANCELLED, "The customer postponed the project; stock released.", False),
        ),
    ),
    Plan(
        "thames-mixed",
        "admin@thames.example",
        4,
        (("NAS-8", 2), ("SW-24", 2)),
        "Thames Water Works",
        "EUR",
        "1 Bankside, London SE1 9JA, GB",
        (Move(3.5, S.CONFIRMED),),
    ),
)


async def stock_the_catalog(demo: Demo) -> None:
    """A small catalog with tier discounts, stock in two warehouses and a returns warehouse."""
    hub, vendor = demo.hub, demo.vendor
    for sku, name, line, usd in DEMO_PRODUCTS:
        prices = {"USD": usd, "EUR": usd * 92 // 100}
        await catalog.create(
            hub, principal=vendor, data=catalog.ProductInput(sku, name, line, prices)
        )
    for tier, basis_points in ((Tier.SILVER, 500), (Tier.GOLD, 1000), (Tier.PLATINUM, 1500)):
        await catalog.set_tier_discount(
            hub, principal=vendor, tier=tier, basis_points=basis_points, sku=None
        )
    await stock.create_warehouse(hub, principal=vendor, code="RNO", name="Reno", country="US")
    await stock.create_warehouse(hub, principal=vendor, code="AMS", name="Amsterdam", country="NL")
    await stock.create_warehouse(
        hub, principal=vendor, code=RETURNS_WAREHOUSE, name="Returns (Reno)", country="US"
    )
    for sku, _, _, _ in DEMO_PRODUCTS:
        await stock.set_stock(hub, principal=vendor, sku=sku, warehouse="RNO", on_hand=40)
        await stock.set_stock(hub, principal=vendor, sku=sku, warehouse="AMS", on_hand=25)
    await order_settings.update_policy(hub, principal=vendor, returns_warehouse=RETURNS_WAREHOUSE)


def stories(demo: Demo) -> list[Story]:
    return [_order(demo, plan, number) for number, plan in enumerate(PLANS)] + [_inbound(demo)]


PART = Part(order=60, configure=stock_the_catalog, stories=stories)


async def _order(demo: Demo, plan: Plan, number: int) -> Story:
    yield plan.placed
    buyer = await _buyer(demo, plan.buyer)
    order = await place(
        demo,
        buyer,
        plan.lines,
        customer=plan.customer,
        currency=plan.currency,
        address=plan.address,
        lead_id=demo.records[plan.buyer] if plan.buyer.startswith("lead:") else None,
    )
    demo.records[f"order:{plan.name}"] = order.id
    for move in plan.moves:
        yield move.days
        partner_move = move.status is S.RETURN_REQUESTED or (
            move.status is S.CANCELLED and move.by_partner
        )
        shipped = move.status is S.SHIPPED
        order = await move_order(
            demo,
            buyer if partner_move else demo.manager,
            order,
            move.status,
            note=move.note,
            carrier=("UPS" if plan.currency == "USD" else "DHL") if shipped else None,
            tracking_number=f"1Z{number:04d}{int(move.days * 100):06d}" if shipped else None,
        )


async def place(
    demo: Demo,
    buyer: Principal,
    lines: tuple[tuple[str, int], ...],
    *,
    customer: str,
    currency: str,
    address: str,
    lead_id: str | None = None,
) -> Order:
    """Place a demo order as the buyer, shipped to an address ending in its country."""
    return await order_service.place(
        demo.hub,
        principal=buyer,
        data=order_service.OrderInput(
            lines=[order_service.LineInput(sku, quantity) for sku, quantity in lines],
            end_customer=customer,
            currency=currency,
            shipping_address=address,
            shipping_country=address.rsplit(", ", 1)[1],
            requested_delivery=(demo.clock.now() + timedelta(days=14)).date(),
            lead_id=lead_id,
        ),
    )


async def move_order(
    demo: Demo,
    principal: Principal,
    order: Order,
    status: OrderStatus,
    *,
    note: str | None = None,
    carrier: str | None = None,
    tracking_number: str | None = None,
) -> Order:
    """Move a demo order on, at the version it was last seen at."""
    return await order_service.change_status(
        demo.hub,
        principal=principal,
        order_id=order.id,
        change=order_service.StatusChange(
            status=status,
            expected_version=order.version,
            note=note,
            carrier=carrier,
            tracking_number=tracking_number,
        ),
    )


async def _buyer(demo: Demo, buyer: str) -> Principal:
    if not buyer.startswith("lead:"):
        return demo.person(buyer)
    lead = await lead_service.get(demo.hub, principal=demo.vendor, lead_id=demo.records[buyer])
    assert lead.partner_id is not None, f"{buyer} is with no partner"
    return demo.staff_of(lead.partner_id)


async def _inbound(demo: Demo) -> Story:
    yield 0.5
    await stock.add_inbound(
        demo.hub,
        principal=demo.vendor,
        sku="FW-100",
        warehouse="RNO",
        quantity=30,
        expected_on=(demo.clock.now() + timedelta(days=21)).date(),
    )
