"""Demo incentive programs: last year's rebates, activated after its period (everything it
covers accrues at once), closed and paid out; this year's, running since six months ago, that
accrues as orders are delivered and returned and deals are won, paid once a month ago (so
partners see what was paid and what is still owed); and a draft SPIFF for next quarter.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select

from hub.demo.world import Demo, Part, Story
from hub.incentives import service as incentives
from hub.incentives.rules import ProgramInput, RuleInput, RuleKind
from hub.partners.rules import Tier
from storage.models.incentives import IncentiveBalance


class Plan(NamedTuple):
    name: str
    description: str
    # Days ago it starts and ends (negative: in the future), is activated, closed, paid.
    starts: int
    ends: int
    activated: int | None
    closed: int | None
    paid: int | None
    rules: tuple[RuleInput, ...]


REBATES = (
    RuleInput(RuleKind.REVENUE_SHARE, 200, accelerator_from=50_000_00, accelerated_rate=400),
    RuleInput(RuleKind.PER_UNIT, 2_500, product_line="SECURITY", tier=Tier.GOLD),
    RuleInput(RuleKind.SPIFF, 150_00),
)
PLANS = (
    Plan(
        "Channel rebates, last year",
        "2% of net delivered revenue, 4% past $50,000; $25 per security unit for Gold "
        "partners; $150 per won deal.",
        390,
        181,
        180,
        170,
        165,
        REBATES,
    ),
    Plan(
        "Channel rebates, this year",
        "2% of net delivered revenue, 4% past $50,000; $25 per security unit for Gold "
        "partners; $150 per won deal. Returns claw back what they earned.",
        180,
        -185,
        179,
        None,
        30,
        REBATES,
    ),
    Plan(
        "Storage SPIFF, next quarter",
        "$300 per won storage deal (in preparation).",
        -20,
        -110,
        None,
        None,
        None,
        (RuleInput(RuleKind.SPIFF, 300_00, product_line="STORAGE"),),
    ),
)


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS]


PART = Part(order=69, stories=stories)


async def _story(demo: Demo, plan: Plan) -> Story:
    today = demo.end.date()
    yield float(max(plan.starts, plan.activated or 0) + 1)
    program = await incentives.create(
        demo.hub,
        principal=demo.manager,
        data=ProgramInput(
            name=plan.name,
            description=plan.description,
            starts_on=today - timedelta(days=plan.starts),
            ends_on=today - timedelta(days=plan.ends),
            currency="USD",
            rules=plan.rules,
        ),
    )
    demo.records[f"incentive:{plan.name}"] = program.id
    if plan.activated is None:
        return
    yield float(plan.activated)
    await incentives.activate(demo.hub, principal=demo.manager, program_id=program.id)
    for days, step in sorted(
        [(plan.closed, "close"), (plan.paid, "pay")],
        key=lambda item: -(item[0] if item[0] is not None else -1),
    ):
        if days is None:
            continue
        yield float(days)
        if step == "close":
            await incentives.close(demo.hub, principal=demo.manager, program_id=program.id)
        else:
            await _pay_balances(demo, program.id, f"ERP-{today.year}-{plan.paid:03d}")


async def _pay_balances(demo: Demo, program_id: str, reference: str) -> None:
    """Pay every partner what it is owed in the program, as the ERP would."""
    async with demo.hub.read() as session:
        owed = [
            (row.partner_id, row.earned_minor - row.paid_minor)
            for row in await session.scalars(
                select(IncentiveBalance)
                .where(IncentiveBalance.program_id == program_id)
                .order_by(IncentiveBalance.partner_id)
            )
            if row.earned_minor > row.paid_minor
        ]
    for partner_id, amount in owed:
        await incentives.record_payout(
            demo.hub,
            principal=demo.manager,
            program_id=program_id,
            partner_id=partner_id,
            amount_minor=amount,
            currency="USD",
            reference=reference,
            note="Rebate settlement",
        )
