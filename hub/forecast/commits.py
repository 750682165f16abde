"""Partner commits: what a partner commits to bring (and its best case) in a month or a
quarter, per product line. Submitting again replaces the figures; a period that has ended
takes no more commits, so accuracy compares with what was said before the period closed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines
from hub.analytics.periods import Period
from hub.db import upsert
from hub.errors import BadInput, Forbidden
from hub.forecast import rules
from hub.leads.rules import currency
from hub.partners.directory import InChannel
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.base import new_id
from storage.models.forecast import ForecastCommit

COMMIT_PERIODS = frozenset({"month", "quarter"})


@dataclass(frozen=True)
class CommitInput:
    period: Period
    product_line: str
    commit_minor: int
    best_case_minor: int
    currency: str
    best_case_currency: str


async def submit(hub: Hub, *, principal: Principal, data: CommitInput) -> ForecastCommit:
    """Set the caller's organization's commit and best case for a period and product line."""
    if not principal.is_partner:
        raise Forbidden("partners submit commits for their own organization")
    period = data.period
    if period.kind not in COMMIT_PERIODS:
        raise BadInput("a commit is for a month or a quarter", field="input.period")
    now = hub.clock.now()
    if period.end <= now.date():
        raise BadInput(
            f"{period.label} has ended; commit to the current or a coming period",
            field="input.period",
        )
    commit = rules.amount(data.commit_minor, field="input.commit.amountMinor")
    best = rules.amount(data.best_case_minor, field="input.bestCase.amountMinor")
    if best < commit:
        raise BadInput("the best case cannot be below the commit", field="input.bestCase")
    code = currency(data.currency, field="input.commit.currency")
    if currency(data.best_case_currency, field="input.bestCase.currency") != code:
        raise BadInput("the best case is in the commit's currency", field="input.bestCase.currency")
    async with hub.write() as session:
        await product_lines.require(session, [data.product_line], field="input.productLine")
        table = ForecastCommit.__table__
        statement = upsert(session, table).values(
            id=new_id(),
            partner_id=principal.organization_id,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            product_line=data.product_line,
            commit_minor=commit,
            best_case_minor=best,
            currency=code,
            submitted_by_id=principal.user_id,
            submitted_at=now,
            version=1,
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["partner_id", "period_start", "period_end", "product_line"],
                set_={
                    "commit_minor": commit,
                    "best_case_minor": best,
                    "currency": code,
                    "submitted_by_id": principal.user_id,
                    "submitted_at": now,
                    "version": table.c.version + 1,
                },
            )
        )
        found = await session.scalar(
            select(ForecastCommit)
            .where(
                ForecastCommit.partner_id == principal.organization_id,
                ForecastCommit.period_start == period.start,
                ForecastCommit.period_end == period.end,
                ForecastCommit.product_line == data.product_line,
            )
            .execution_options(populate_existing=True)
        )
        assert found is not None
        return found


async def list_commits(hub: Hub, *, principal: Principal, period: Period) -> list[ForecastCommit]:
    """The commits for months and quarters within a period the caller may see."""
    async with hub.read() as session:
        return await within(session, principal, period)


async def within(
    session: AsyncSession, principal: Principal, period: Period
) -> list[ForecastCommit]:
    statement: Select[tuple[ForecastCommit]] = (
        select(ForecastCommit)
        .where(ForecastCommit.period_start >= period.start, ForecastCommit.period_end <= period.end)
        .order_by(
            ForecastCommit.period_start,
            ForecastCommit.partner_id,
            ForecastCommit.product_line,
        )
    )
    if not principal.is_vendor:
        statement = statement.where(InChannel(ForecastCommit.partner_id, principal.organization_id))
    return list((await session.execute(statement)).scalars())
