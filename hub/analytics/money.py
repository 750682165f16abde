"""Money across currencies: each amount keeps its currency; reports convert it into the
vendor's reporting currency at the rate valid on the order's date.

A rate says how many units of the reporting currency one unit of the currency is worth.
Amounts are integer minor units of their currency (its ISO 4217 exponent, from CLDR via
Babel: 2 for EUR, 0 for JPY, 3 for BHD); each order's amount is converted once and rounded
half to even to reporting minor units, and reports sum those.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from hub.errors import BadInput

# Rates carry at most this many digits after the point, and lie in this range.
RATE_DECIMALS = 10
MIN_RATE = Decimal("0.0000000001")
MAX_RATE = Decimal("1000000000")


def exponent(currency: str) -> int:
    """The number of minor-unit digits of a currency."""
    return int(get_currency_precision(currency))


def checked_rate(text: str, *, field: str = "rate") -> Decimal:
    """A rate given as a decimal string: positive, finite, at most RATE_DECIMALS decimals."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise BadInput("rate must be a decimal number such as 1.0825", field=field) from None
    if not rate.is_finite() or not MIN_RATE <= rate <= MAX_RATE:
        raise BadInput(f"rate must be between {MIN_RATE} and {MAX_RATE}", field=field)
    if -int(rate.as_tuple().exponent) > RATE_DECIMALS:
        raise BadInput(f"rate has at most {RATE_DECIMALS} decimals", field=field)
    return rate.normalize()


def convert(amount_minor: int, currency: str, rate: Decimal, reporting: str) -> int:
    """Minor units of `currency` as minor units of `reporting`, rounded half to even."""
    value = Decimal(amount_minor).scaleb(exponent(reporting) - exponent(currency)) * rate
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class Rates:
    """The rates of each currency by the day they became valid, and the reporting currency
    (worth 1 on every day)."""

    reporting: str
    _days: dict[str, list[date]] = field(default_factory=dict)
    _rates: dict[str, list[Decimal]] = field(default_factory=dict)

    @classmethod
    def of(cls, reporting: str, rows: Iterable[tuple[str, date, Decimal]]) -> Rates:
        rates = cls(reporting)
        for currency, valid_from, rate in sorted(rows):
            rates._days.setdefault(currency, []).append(valid_from)
            rates._rates.setdefault(currency, []).append(rate)
        return rates

    def on(self, currency: str, day: date) -> Decimal | None:
        """The rate valid on a day: the newest one valid from that day or before."""
        if currency == self.reporting:
            return Decimal(1)
        days = self._days.get(currency)
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        return self._rates[currency][index] if index >= 0 else None

    def converted(self, amount_minor: int, currency: str, day: date) -> int | None:
        """The amount in reporting minor units at the rate of `day`; None without a rate."""
        rate = self.on(currency, day)
        return None if rate is None else convert(amount_minor, currency, rate, self.reporting)
