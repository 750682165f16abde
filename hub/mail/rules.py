"""What ChannelHub emails, how each user may choose to get it, and how sending retries."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum


class EmailKind(StrEnum):
    LEAD_OFFERED = "LEAD_OFFERED"
    LEAD_OFFER_REMINDER = "LEAD_OFFER_REMINDER"
    DEAL_DECIDED = "DEAL_DECIDED"
    ORDER_SHIPPED = "ORDER_SHIPPED"
    ORDER_DELIVERED = "ORDER_DELIVERED"
    CERTIFICATION_EXPIRING = "CERTIFICATION_EXPIRING"
    FUND_DECIDED = "FUND_DECIDED"
    MENTIONED = "MENTIONED"
    INVITATION = "INVITATION"
    PASSWORD_RESET = "PASSWORD_RESET"
    DIGEST = "DIGEST"


class EmailMode(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    DIGEST = "DIGEST"
    OFF = "OFF"


class EmailStatus(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


# Sent whatever the preferences say: they carry what the account needs to get in.
ALWAYS = frozenset({EmailKind.INVITATION, EmailKind.PASSWORD_RESET, EmailKind.DIGEST})
CHOOSABLE = tuple(kind for kind in EmailKind if kind not in ALWAYS)
LANGUAGES = ("en", "de")
GIVE_UP_AFTER = timedelta(days=2)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)


def retry_at(now: datetime, *, attempts: int, created_at: datetime) -> datetime | None:
    """When to try a temporarily refused message again; None once it is time to give up."""
    wait = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), LONGEST_WAIT)
    at = now + wait * random.uniform(0.8, 1.2)
    return None if at - created_at > GIVE_UP_AFTER else at
