"""Checks of user input shared by the domains; each failure names its field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pycountry

from hub.errors import BadInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PRODUCT_LINE = re.compile(r"^[A-Z0-9][A-Z0-9_]{0,63}$")
POSTAL_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")
SUBDIVISIONS: Any = pycountry.subdivisions
CURRENCIES: Any = pycountry.currencies
T = TypeVar("T")
# The largest amount a JSON number carries exactly (the API's MinorUnits scalar caps there too).
MAX_MINOR_UNITS = 2**53 - 1
# Searches and other free-text filters: longer ones are no real query, and SQLite refuses
# LIKE patterns over 50,000 bytes.
FILTER_TEXT_MAX = 200
MAX_PRODUCT_LINES = 50
# Units of one product on an order line, in a delivery or asked about; a warehouse may hold more.
MAX_QUANTITY = 1_000_000
MAX_ON_HAND = 1_000_000_000


def email(value: str, *, field: str = "email") -> str:
    """Normalise an email address to lower case, or refuse it."""
    normalised = value.strip().lower()
    if len(normalised) > 254 or not EMAIL.match(normalised):
        raise BadInput(f"{value!r} is not a valid email address", field=field)
    return normalised


def text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Trim a text value and check its length."""
    trimmed = value.strip()
    if required and not trimmed:
        raise BadInput(f"{field} must not be empty", field=field)
    if len(trimmed) > max_length:
        raise BadInput(f"{field} must be at most {max_length} characters", field=field)
    if "\x00" in trimmed:
        raise BadInput(f"{field} must not contain NUL characters", field=field)
    return trimmed


def filter_text(value: str | None, *, field: str) -> str | None:
    """Check a free-text filter (a search, a tag); blank means no filter."""
    if value is None:
        return None
    if len(value) > FILTER_TEXT_MAX:
        raise BadInput(f"{field} is limited to {FILTER_TEXT_MAX} characters", field=field)
    if not storable(value):
        raise BadInput(
            f"{field} must be text without NUL characters or unpaired surrogates", field=field
        )
    return value.strip() or None


def storable(value: str) -> bool:
    """Tell whether both databases can store and compare a string (no NUL, valid UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def optional_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """Trim optional text; empty becomes None."""
    if value is None:
        return None
    return text(value, field=field, max_length=max_length, required=False) or None


def country(value: str, *, field: str = "country") -> str:
    """Check an ISO 3166-1 alpha-2 country code."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise BadInput(f"{value!r} is not an ISO 3166-1 alpha-2 country code", field=field)
    return code


def language(value: str, *, field: str = "language") -> str:
    """An ISO 639-1 language code, lower-case."""
    code = value.strip().lower()
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise BadInput("language must be an ISO 639-1 code such as en or de", field=field)
    return code


def subdivision(value: str, *, field: str) -> str:
    """Check an ISO 3166-2 subdivision code such as US-CA."""
    code = value.strip().upper()
    if SUBDIVISIONS.get(code=code) is None:
        raise BadInput(f"{value!r} is not an ISO 3166-2 region code (like US-CA)", field=field)
    return code


def postal_prefix(value: str, *, field: str) -> str:
    """Normalise a postal-code prefix (letters and digits, spaces removed)."""
    code = value.replace(" ", "").upper()
    if not POSTAL_PREFIX.match(code):
        raise BadInput(f"{value!r} is not a postal-code prefix", field=field)
    return code


def product_line(value: str, *, field: str) -> str:
    """Normalise a product-line code to upper case with underscores."""
    code = re.sub(r"[\s-]+", "_", value.strip()).upper()
    if not PRODUCT_LINE.match(code):
        raise BadInput(
            f"{value!r} is not a product line code (letters, digits, underscores)",
            field=field,
        )
    return code


def product_lines(values: Sequence[str], *, field: str) -> list[str]:
    """Normalise a list of product-line codes, at most MAX_PRODUCT_LINES, without repeats."""
    at_most(values, MAX_PRODUCT_LINES, field=field, what="product lines")
    return sorted({product_line(value, field=field) for value in values})


def at_most(values: Sequence[T], most: int, *, field: str, what: str) -> Sequence[T]:
    """Refuse a list input of more than `most` items (each costs work, storage, query binds)."""
    if len(values) > most:
        raise BadInput(f"at most {most} {what}", field=field)
    return values


def url(value: str | None, *, field: str) -> str | None:
    """Check an optional http(s) URL."""
    if value is None or not value.strip():
        return None
    candidate = value.strip()
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(candidate) > 300:
        raise BadInput(f"{field} must be an http(s) URL", field=field)
    return candidate


def coordinates(
    latitude: float | None, longitude: float | None, *, prefix: str = ""
) -> tuple[float | None, float | None]:
    """Check a latitude/longitude pair: both or neither, within range (fields under prefix)."""
    if (latitude is None) != (longitude is None):
        raise BadInput("latitude and longitude must be given together", field=f"{prefix}latitude")
    if latitude is not None and not -90 <= latitude <= 90:
        raise BadInput("latitude must be between -90 and 90", field=f"{prefix}latitude")
    if longitude is not None and not -180 <= longitude <= 180:
        raise BadInput("longitude must be between -180 and 180", field=f"{prefix}longitude")
    return latitude, longitude


def password(value: str, *, field: str = "password") -> str:
    """Check a new password's length."""
    if len(value) < 10:
        raise BadInput("password must be at least 10 characters long", field=field)
    if len(value) > 256:
        raise BadInput("password must be at most 256 characters long", field=field)
    return value


def is_currency(code: str) -> bool:
    """Tell whether a code is an ISO 4217 currency."""
    return CURRENCIES.get(alpha_3=code) is not None


def quantity(value: int, *, field: str, least: int = 1, most: int = MAX_QUANTITY) -> int:
    """Check a number of units."""
    if not least <= value <= most:
        raise BadInput(
            f"{field.rsplit('.', 1)[-1]} must be between {least} and {most}", field=field
        )
    return value


def minor_units(value: int, *, field: str, what: str = "an amount") -> int:
    """Check a non-negative whole amount of minor currency units."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINOR_UNITS:
        raise BadInput(
            f"{what} must be a whole number of minor units from 0 to {MAX_MINOR_UNITS}",
            field=field,
        )
    return value
