"""The sources a lead or a deal registration names: a funded activity, a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from hub import sources
from hub.campaigns import attribution as campaigns
from hub.funds import attribution as funds
from hub.roles import Principal


class Keep(Enum):
    """Not given: the source of that kind stays as it is."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class Named:
    """Each kind of source: an id, None to clear it, or KEEP."""

    fund_request_id: str | Keep | None = KEEP
    campaign_id: str | Keep | None = KEEP

    @classmethod
    def at_creation(cls, fund_request_id: str | None, campaign_id: str | None) -> Named:
        return cls(
            KEEP if fund_request_id is None else fund_request_id,
            KEEP if campaign_id is None else campaign_id,
        )


async def name(
    session: AsyncSession,
    principal: Principal,
    target: sources.Target,
    named: Named,
    *,
    now: datetime,
) -> None:
    """Set the sources given, in the transaction that holds the target's row."""
    if not isinstance(named.fund_request_id, Keep):
        await funds.set_source(session, principal, target, named.fund_request_id, now=now)
    if not isinstance(named.campaign_id, Keep):
        await campaigns.set_source(session, principal, target, named.campaign_id, now=now)
