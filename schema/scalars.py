"""Scalars shared by the domains (registered through StrawberryConfig.scalar_map)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any, NewType

import strawberry
from graphql import GraphQLError

from schema.strawberry_internals import DateDefinition, DateTimeDefinition

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
    ),
    # Strawberry's own, parsed as before; only what the schema says of them is ChannelHub's.
    datetime: replace(
        DateTimeDefinition,
        description="A point in time, RFC 3339 with its offset, e.g. 2026-09-30T14:05:00+00:00; "
        "the hub answers in UTC.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339",
    ),
    date: replace(
        DateDefinition,
        description="A calendar day, RFC 3339 full-date (YYYY-MM-DD), e.g. 2026-09-30.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    ),
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
