"""Lead lifecycle, customer identity for channel conflict, and input checks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hub import validation
from hub.errors import BadInput


class LeadStatus(StrEnum):
    NEW = "NEW"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    WON = "WON"
    LOST = "LOST"
    RECYCLED = "RECYCLED"
    UNASSIGNABLE = "UNASSIGNABLE"


class LeadSource(StrEnum):
    VENDOR = "VENDOR"
    CAMPAIGN = "CAMPAIGN"
    WEB = "WEB"
    PARTNER = "PARTNER"


class DeclineReason(StrEnum):
    NOT_MY_TERRITORY = "NOT_MY_TERRITORY"
    NO_CAPACITY = "NO_CAPACITY"
    NOT_QUALIFIED = "NOT_QUALIFIED"
    EXISTING_CUSTOMER_CONFLICT = "EXISTING_CUSTOMER_CONFLICT"
    OTHER = "OTHER"


class Outcome(StrEnum):
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


OPEN = frozenset(
    {LeadStatus.OFFERED, LeadStatus.ACCEPTED, LeadStatus.CONTACTED, LeadStatus.QUALIFIED}
)
ROUTABLE = frozenset({LeadStatus.NEW, LeadStatus.RECYCLED, LeadStatus.UNASSIGNABLE})
# Moves a partner makes along the pipeline once it accepted the lead.
PIPELINE: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.ACCEPTED: frozenset({LeadStatus.CONTACTED, LeadStatus.LOST}),
    LeadStatus.CONTACTED: frozenset({LeadStatus.QUALIFIED, LeadStatus.LOST}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.WON, LeadStatus.LOST}),
}
RECYCLABLE = frozenset(
    {LeadStatus.LOST, LeadStatus.UNASSIGNABLE, LeadStatus.ACCEPTED, LeadStatus.CONTACTED}
)
LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "srl",
        "spa",
        "oy",
        "ab",
        "as",
        "kk",
        "pty",
        "pte",
    ]
)
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    ]
)


EXTERNAL_ID_MAX = 100


@dataclass(frozen=True)
class LeadInput:
    customer_company: str
    country: str
    product_line: str
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    value_minor: int = 0
    currency: str = "USD"
    expected_close: date | None = None
    source: LeadSource = LeadSource.VENDOR
    # The funded activity (an APPROVED fund request) it came from.
    fund_request_id: str | None = None
    # The vendor campaign it came from.
    campaign_id: str | None = None
    # The vendor CRM's id of the lead: upserts find the lead again by it.
    external_id: str | None = None


@dataclass(frozen=True)
class CheckedLead:
    customer_company: str
    customer_key: str
    email: str | None
    email_domain: str | None
    contact_name: str | None
    phone: str | None
    country: str
    region: str | None
    postal_code: str | None
    latitude: float | None
    longitude: float | None
    product_line: str
    value_minor: int
    currency: str
    expected_close: date | None
    source: LeadSource
    external_id: str | None = None


def customer_key(company: str, country: str) -> str:
    """Normalise a company name and country so that 'ACME, Inc.' and 'Acme' in US match."""
    folded = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode().lower()
    folded = folded.replace(".", "")
    words = [word for word in re.split(r"[^a-z0-9]+", folded) if word]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return f"{country.upper()}:{' '.join(words)}"


def email_domain(email: str | None) -> str | None:
    """The company domain of an email address; None for free-mail providers."""
    if not email:
        return None
    domain = email.rsplit("@", 1)[-1].lower()
    return None if domain in FREE_MAIL else domain


def check_lead(data: LeadInput) -> CheckedLead:
    """Validate a lead, naming the offending field."""
    company = validation.text(data.customer_company, field="customerCompany", max_length=200)
    country = validation.country(data.country)
    email = validation.email(data.email) if data.email and data.email.strip() else None
    latitude, longitude = validation.coordinates(data.latitude, data.longitude)
    validation.minor_units(
        data.value_minor, field="estimatedValue.amountMinor", what="estimatedValue"
    )
    return CheckedLead(
        customer_company=company,
        customer_key=customer_key(company, country),
        email=email,
        email_domain=email_domain(email),
        contact_name=validation.optional_text(
            data.contact_name, field="contactName", max_length=200
        ),
        phone=_phone(data.phone),
        country=country,
        region=validation.subdivision(data.region, field="region") if data.region else None,
        postal_code=validation.postal_prefix(data.postal_code, field="postalCode")
        if data.postal_code
        else None,
        latitude=latitude,
        longitude=longitude,
        product_line=validation.product_line(data.product_line, field="productLine"),
        value_minor=data.value_minor,
        currency=currency(data.currency),
        expected_close=data.expected_close,
        source=data.source,
        external_id=external_id(data.external_id),
    )


def external_id(value: str | None) -> str | None:
    """Check a CRM's lead id: printable text of at most 100 characters; blank is none."""
    checked = validation.optional_text(value, field="externalId", max_length=EXTERNAL_ID_MAX)
    if checked is not None and not checked.isprintable():
        raise BadInput(
            "externalId must be printable text (no line breaks or control characters)",
            field="externalId",
        )
    return checked


def currency(value: str, *, field: str = "estimatedValue.currency") -> str:
    """Check an ISO 4217 currency code."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or not validation.is_currency(code):
        raise BadInput(f"{value!r} is not an ISO 4217 currency code", field=field)
    return code


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    phone = value.strip()
    if len(phone) > 40 or not re.fullmatch(r"[0-9+().\-\s/x]+", phone):
        raise BadInput("phone may hold digits, spaces and + ( ) - . / x only", field="phone")
    return phone


def check_pipeline_move(current: LeadStatus, target: LeadStatus, reason: str | None) -> None:
    """Refuse a move along the pipeline that the lifecycle does not allow."""
    allowed = PIPELINE.get(current, frozenset())
    if target not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        raise BadInput(f"a {current} lead cannot become {target}; allowed: {names}", field="status")
    if target is LeadStatus.LOST and not (reason and reason.strip()):
        raise BadInput("a reason is required to mark a lead LOST", field="reason")


def deadline_passed(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


# The event topic of leads and deal registrations.
TOPIC = "lead"


class LeadEventType(StrEnum):
    LEAD_OFFERED = "LEAD_OFFERED"
    LEAD_ACCEPTED = "LEAD_ACCEPTED"
    LEAD_DECLINED = "LEAD_DECLINED"
    LEAD_EXPIRED = "LEAD_EXPIRED"
    LEAD_REASSIGNED = "LEAD_REASSIGNED"
    LEAD_STATUS_CHANGED = "LEAD_STATUS_CHANGED"
    LEAD_NOTE_ADDED = "LEAD_NOTE_ADDED"
    LEAD_UPDATED = "LEAD_UPDATED"
    DEAL_REGISTERED = "DEAL_REGISTERED"
    DEAL_APPROVED = "DEAL_APPROVED"
    DEAL_REJECTED = "DEAL_REJECTED"
    DEAL_EXPIRED = "DEAL_EXPIRED"
    OPPORTUNITY_OPENED = "OPPORTUNITY_OPENED"
    OPPORTUNITY_STAGE_CHANGED = "OPPORTUNITY_STAGE_CHANGED"
    OPPORTUNITY_UPDATED = "OPPORTUNITY_UPDATED"
    OPPORTUNITY_CLOSED = "OPPORTUNITY_CLOSED"
