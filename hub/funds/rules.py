"""The rules of market development funds: statuses, inputs, checks and events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hub import events, validation
from hub.db import distinct
from hub.errors import BadInput
from hub.leads.rules import currency
from hub.partners.directory import InChannel, with_distributors
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.funds import FundAllocation, FundClaim, FundRequest

TOPIC = "fund"
Row = TypeVar("Row")
MAX_BUDGET_DAYS = 3 * 366
MAX_EXPECTED_LEADS = 1_000_000
CLAIM_WINDOW_DAYS = 60
MAX_CLAIM_WINDOW_DAYS = 365
MAX_PROOFS = 10
# Proof of performance: documents, photos, spreadsheets and attendee lists; nothing runnable.
PROOF_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/webp",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


class BudgetStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class FundRequestStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class ClaimStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    INFO_REQUESTED = "INFO_REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAID = "PAID"


class ActivityType(StrEnum):
    EVENT = "EVENT"
    TRADE_SHOW = "TRADE_SHOW"
    WEBINAR = "WEBINAR"
    DIGITAL = "DIGITAL"
    PRINT = "PRINT"
    TELEMARKETING = "TELEMARKETING"
    TRAINING = "TRAINING"
    OTHER = "OTHER"


class FundEventType(StrEnum):
    FUNDS_ALLOCATED = "FUNDS_ALLOCATED"
    FUND_REQUEST_SUBMITTED = "FUND_REQUEST_SUBMITTED"
    FUND_REQUEST_APPROVED = "FUND_REQUEST_APPROVED"
    FUND_REQUEST_REJECTED = "FUND_REQUEST_REJECTED"
    FUND_REQUEST_WITHDRAWN = "FUND_REQUEST_WITHDRAWN"
    CLAIM_SUBMITTED = "CLAIM_SUBMITTED"
    CLAIM_INFO_REQUESTED = "CLAIM_INFO_REQUESTED"
    CLAIM_APPROVED = "CLAIM_APPROVED"
    CLAIM_REJECTED = "CLAIM_REJECTED"
    CLAIM_PAID = "CLAIM_PAID"


@dataclass(frozen=True)
class BudgetInput:
    name: str
    starts_on: date
    ends_on: date
    amount_minor: int
    currency: str
    claim_window_days: int = CLAIM_WINDOW_DAYS


@dataclass(frozen=True)
class BudgetChanges:
    name: str | None = None
    amount_minor: int | None = None
    status: BudgetStatus | None = None


@dataclass(frozen=True)
class RequestInput:
    allocation_id: str
    title: str
    activity_type: ActivityType
    activity_starts_on: date
    activity_ends_on: date
    amount_minor: int
    currency: str
    description: str = ""
    expected_leads: int | None = None


@dataclass(frozen=True)
class RequestFilter:
    statuses: Sequence[FundRequestStatus] = ()
    budget_id: str | None = None
    partner_id: str | None = None


def name(value: str, *, field: str) -> str:
    return validation.text(value, field=field, max_length=200)


def period(starts_on: date, ends_on: date) -> tuple[date, date]:
    """Check a budget's period: it ends on or after it starts, within three years."""
    if ends_on < starts_on:
        raise BadInput("a budget cannot end before it starts", field="input.endsOn")
    if (ends_on - starts_on).days > MAX_BUDGET_DAYS:
        raise BadInput("a budget spans at most three years", field="input.endsOn")
    return starts_on, ends_on


def claim_window(days: int, *, field: str = "input.claimWindowDays") -> int:
    if not 1 <= days <= MAX_CLAIM_WINDOW_DAYS:
        raise BadInput(f"the claim window is from 1 to {MAX_CLAIM_WINDOW_DAYS} days", field=field)
    return days


def money(amount_minor: int, code: str, *, field: str, least: int = 0) -> tuple[int, str]:
    """Check an amount (at least `least` minor units) and its currency code."""
    amount = validation.minor_units(amount_minor, field=f"{field}.amountMinor")
    if amount < least:
        raise BadInput(
            f"the amount must be at least {least} minor unit", field=f"{field}.amountMinor"
        )
    return amount, currency(code, field=f"{field}.currency")


def same_currency(given: str, expected: str, *, field: str) -> None:
    if given != expected:
        raise BadInput(f"amounts of this budget are in {expected}, not {given}", field=field)


def activity(data: RequestInput, starts_on: date, ends_on: date) -> None:
    """The activity happens within the budget's period, and ends on or after it starts."""
    if data.activity_ends_on < data.activity_starts_on:
        raise BadInput("the activity cannot end before it starts", field="input.activityEndsOn")
    for value, field in [
        (data.activity_starts_on, "input.activityStartsOn"),
        (data.activity_ends_on, "input.activityEndsOn"),
    ]:
        if not starts_on <= value <= ends_on:
            raise BadInput(
                f"the activity must take place within the budget's period, "
                f"{starts_on.isoformat()} to {ends_on.isoformat()}",
                field=field,
            )
    if data.expected_leads is not None and not 0 <= data.expected_leads <= MAX_EXPECTED_LEADS:
        raise BadInput(
            f"expected leads must be from 0 to {MAX_EXPECTED_LEADS}", field="input.expectedLeads"
        )


def allocation_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every allocation; a partner its channel's."""
    if principal.is_vendor:
        return true()
    return InChannel(FundAllocation.partner_id, principal.organization_id)


def claim_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every claim; a partner its channel's."""
    if principal.is_vendor:
        return true()
    return InChannel(FundClaim.partner_id, principal.organization_id)


def request_visible(principal: Principal) -> ColumnElement[bool]:
    """Vendor-side accounts see every request; a partner its channel's."""
    if principal.is_vendor:
        return true()
    return InChannel(FundRequest.partner_id, principal.organization_id)


async def by_key(
    hub: Hub,
    model: type[Row],
    column: InstrumentedAttribute[str],
    visible: ColumnElement[bool],
    ids: Sequence[str],
) -> list[Row | None]:
    """Rows whose `column` is one of `ids` and that the caller may see, in the order of `ids`."""
    async with hub.read() as session:
        rows = await session.scalars(select(model).where(column.in_(distinct(ids)), visible))
        found = {getattr(row, column.key): row for row in rows}
    return [found.get(id_) for id_ in ids]


async def emit(
    hub: Hub,
    session: AsyncSession,
    type: FundEventType,
    *,
    subject_id: str,
    partner_id: str,
    payload: dict[str, Any],
) -> None:
    """Append a funds event for the partner, its distributor and vendor staff."""
    await events.append(
        session,
        topic=TOPIC,
        type=type,
        subject_id=subject_id,
        audience=await with_distributors(session, [partner_id]),
        payload={"partnerId": partner_id, **payload},
        now=hub.clock.now(),
    )
