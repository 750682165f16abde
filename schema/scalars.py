"""Scalars shared by the domains (registered through StrawberryConfig.scalar_map)."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import GraphQLError

MAX_SAFE_INTEGER = 2**53 - 1

MinorUnits = NewType("MinorUnits", int)


def _parse_minor_units(value: object) -> int:
    # A GraphQLError (not ValueError) marks this as the client's input error, not a bug.
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_SAFE_INTEGER:
        raise GraphQLError("MinorUnits must be a whole number of minor currency units (cents)")
    return value


SCALARS: dict[object, Any] = {
    MinorUnits: strawberry.scalar(
        name="MinorUnits",
        description="An amount in minor currency units (cents), up to 2^53 - 1; a JSON integer.",
        serialize=int,
        parse_value=_parse_minor_units,
    )
}


@strawberry.type(description="Money: minor units and an ISO 4217 currency.")
class Money:
    amount_minor: MinorUnits = strawberry.field(
        description="The amount in minor units of `currency` (cents for USD; whole yen for JPY)."
    )
    currency: str = strawberry.field(description='The ISO 4217 currency code, e.g. "EUR".')


@strawberry.input(description="An amount of money: minor units and an ISO 4217 currency.")
class MoneyInput:
    amount_minor: MinorUnits = strawberry.field(
        description="The amount in minor units of `currency` (cents for USD; whole yen for JPY)."
    )
    currency: str = strawberry.field(
        description='The ISO 4217 currency code, e.g. "EUR"; one the vendor accepts.'
    )
