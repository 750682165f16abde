"""Order lifecycle: statuses, allowed moves, and who may make them."""

from __future__ import annotations

from enum import StrEnum

from hub.errors import BadInput, Forbidden
from hub.roles import Principal

# The event topic of orders.
TOPIC = "order"


class OrderEventType(StrEnum):
    ORDER_PLACED = "ORDER_PLACED"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    RETURN_REQUESTED = "RETURN_REQUESTED"


class OrderStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    CONFIRMED = "CONFIRMED"
    ALLOCATED = "ALLOCATED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURNED = "RETURNED"


S = OrderStatus
MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.SUBMITTED: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ALLOCATED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.RETURN_REQUESTED}),
    S.RETURN_REQUESTED: frozenset({S.RETURNED, S.DELIVERED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Moves the ordering partner makes; the vendor (staff or ERP integration) makes the rest.
PARTNER_MOVES = frozenset({S.CANCELLED, S.RETURN_REQUESTED})


def check_move(principal: Principal, current: OrderStatus, target: OrderStatus) -> None:
    """Refuse a move the lifecycle or the caller's role does not allow."""
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "none (final)"
        raise BadInput(
            f"a {current} order cannot become {target}; allowed: {allowed}", field="status"
        )
    if principal.is_partner and target not in PARTNER_MOVES:
        raise Forbidden(f"only the vendor moves an order to {target}")
