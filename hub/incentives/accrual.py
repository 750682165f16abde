"""What partners earned in incentive programs, kept in the write transactions of orders and
deals and equal to a recomputation from raw orders.

Each time an order is delivered or its return received, or a deal is won, the partner's
measures for every active program whose period holds the day that counts are computed
again from its raw orders and won opportunities; what each rule pays on them, less what
the ledger already holds for the rule, is written as an accrual (or, when negative, a
clawback). The partner's balance row is locked first, so two moves of one partner at once
never write the same difference twice. `recompute` does the same for every partner of a
program (after a rate or a partner's tier changed), and writes nothing when the ledger
already agrees with the raw orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events
from hub.analytics import rollups
from hub.analytics.money import Rates, exponent
from hub.db import upsert
from hub.forecast.rules import OpportunityStatus
from hub.incentives.rules import (
    TOPIC,
    AccrualCause,
    IncentiveEventType,
    ProgramStatus,
    Rule,
    RuleKind,
    earned,
)
from hub.orders.rules import OrderStatus
from hub.partners.directory import with_distributors
from storage.models import Order, OrderLine, OrderStatusChange, Partner, Product
from storage.models.forecast import Opportunity
from storage.models.incentives import (
    IncentiveAccrual,
    IncentiveBalance,
    IncentiveProgram,
    IncentiveRule,
)

# Balance rows made and locked per statement.
LOCK_BATCH = 1_000


@dataclass
class Measures:
    """Per partner and rule: the measure, and the currencies left out for want of a rate."""

    by_rule: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    missing_rates: set[str] = field(default_factory=set)


def _bounds(program: IncentiveProgram) -> tuple[datetime, datetime]:
    return (
        datetime.combine(program.starts_on, time(), UTC),
        datetime.combine(program.ends_on + timedelta(days=1), time(), UTC),
    )


def converted(amount: int, currency: str, day: date, target: str, rates: Rates) -> int | None:
    """Minor units of `currency` as minor units of `target` at the rates of `day` (each
    against the reporting currency), rounded half to even; None without a rate."""
    if currency == target:
        return amount
    given, wanted = rates.on(currency, day), rates.on(target, day)
    if given is None or wanted is None:
        return None
    value = Decimal(amount).scaleb(exponent(target) - exponent(currency)) * given / wanted
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


async def rule_rows(session: AsyncSession, program_id: str) -> list[IncentiveRule]:
    """A program's stored rules, in order."""
    return list(
        await session.scalars(
            select(IncentiveRule)
            .where(IncentiveRule.program_id == program_id)
            .order_by(IncentiveRule.position)
        )
    )


def rule_of(row: IncentiveRule) -> Rule:
    return Rule(
        id=row.id,
        kind=RuleKind(row.kind),
        rate=row.rate,
        product_line=row.product_line,
        tier=row.tier,
        threshold=row.threshold,
        accelerator_from=row.accelerator_from,
        accelerated_rate=row.accelerated_rate,
    )


async def rules_of(session: AsyncSession, program_id: str) -> list[Rule]:
    return [rule_of(row) for row in await rule_rows(session, program_id)]


async def measures(
    session: AsyncSession,
    program: IncentiveProgram,
    rules: list[Rule],
    partner_ids: Collection[str] | None,
) -> Measures:
    """Each partner's measure per rule over the program's period, from raw orders (those
    delivered in it, less what came back of them) and won opportunities; every partner when
    `partner_ids` is None."""
    found = Measures()
    start, end = _bounds(program)
    tiers = await _tiers(session, partner_ids)
    ordered = [rule for rule in rules if rule.kind is not RuleKind.SPIFF]
    if ordered:
        delivered = (
            select(Order.id, Order.partner_id, Order.currency, Order.created_at)
            .join(OrderStatusChange, OrderStatusChange.order_id == Order.id)
            .where(
                OrderStatusChange.to_status == OrderStatus.DELIVERED,
                OrderStatusChange.from_status == OrderStatus.SHIPPED,
                OrderStatusChange.changed_at >= start,
                OrderStatusChange.changed_at < end,
            )
        )
        if partner_ids is not None:
            delivered = delivered.where(Order.partner_id.in_(sorted(partner_ids)))
        orders = delivered.subquery()
        lines = await session.execute(
            select(
                orders.c.partner_id,
                orders.c.currency,
                orders.c.created_at,
                Product.product_line,
                func.sum(OrderLine.shipped_quantity - OrderLine.returned_quantity),
                func.sum(
                    (OrderLine.shipped_quantity - OrderLine.returned_quantity)
                    * OrderLine.unit_minor
                ),
            )
            .join(OrderLine, OrderLine.order_id == orders.c.id)
            .join(Product, Product.id == OrderLine.product_id)
            .group_by(
                orders.c.id,
                orders.c.partner_id,
                orders.c.currency,
                orders.c.created_at,
                Product.product_line,
            )
        )
        rows = lines.all()
        rates = await rollups.rates(session, {row[1] for row in rows} | {program.currency})
        for partner_id, currency, placed, product_line, units, value in rows:
            amount = converted(int(value), currency, placed.date(), program.currency, rates)
            if amount is None:
                found.missing_rates.add(currency)
            for rule in ordered:
                if not rule.applies_to(tiers.get(partner_id, "")):
                    continue
                if rule.product_line is not None and rule.product_line != product_line:
                    continue
                if rule.kind is RuleKind.PER_UNIT:
                    found.by_rule[(partner_id, rule.id)] += int(units)
                elif amount is not None:
                    found.by_rule[(partner_id, rule.id)] += amount
    spiffs = [rule for rule in rules if rule.kind is RuleKind.SPIFF]
    if spiffs:
        won = (
            select(Opportunity.partner_id, Opportunity.product_line, func.count())
            .where(
                Opportunity.status == OpportunityStatus.WON,
                Opportunity.closed_at >= start,
                Opportunity.closed_at < end,
            )
            .group_by(Opportunity.partner_id, Opportunity.product_line)
        )
        if partner_ids is not None:
            won = won.where(Opportunity.partner_id.in_(sorted(partner_ids)))
        for partner_id, product_line, count in await session.execute(won):
            for rule in spiffs:
                if rule.applies_to(tiers.get(partner_id, "")) and rule.product_line in (
                    None,
                    product_line,
                ):
                    found.by_rule[(partner_id, rule.id)] += int(count)
    return found


async def _tiers(session: AsyncSession, partner_ids: Collection[str] | None) -> dict[str, str]:
    statement = select(Partner.id, Partner.tier)
    if partner_ids is not None:
        statement = statement.where(Partner.id.in_(sorted(partner_ids)))
    return {row[0]: row[1] for row in await session.execute(statement)}


async def settle(
    session: AsyncSession,
    program: IncentiveProgram,
    partner_ids: Collection[str] | None,
    *,
    cause: AccrualCause,
    now: datetime,
    order_id: str | None = None,
    opportunity_id: str | None = None,
) -> int:
    """Bring the ledger of the given partners (all when None) in line with their measures;
    return the number of accruals written."""
    if partner_ids is not None:
        # Lock the partners' balances before measuring: a move of the same partner racing
        # this one commits first, and its order is then in the measures read below.
        await _lock_balances(session, program.id, partner_ids, now)
    rules = await rules_of(session, program.id)
    found = await measures(session, program, rules, partner_ids)
    held: dict[tuple[str, str], int] = {}
    statement = (
        select(
            IncentiveAccrual.partner_id,
            IncentiveAccrual.rule_id,
            func.sum(IncentiveAccrual.amount_minor),
        )
        .where(IncentiveAccrual.program_id == program.id)
        .group_by(IncentiveAccrual.partner_id, IncentiveAccrual.rule_id)
    )
    if partner_ids is not None:
        statement = statement.where(IncentiveAccrual.partner_id.in_(sorted(partner_ids)))
    partners = set(partner_ids) if partner_ids is not None else set()
    partners |= {partner for partner, _ in found.by_rule}
    # Every partner's balance row exists (and is locked) before the ledger is read; for all
    # partners the caller holds the program's row lock, which no move holds meanwhile.
    await _lock_balances(session, program.id, partners, now)
    for partner_id, rule_id, total in await session.execute(statement):
        held[(partner_id, rule_id)] = int(total)
        partners.add(partner_id)
    by_rule = {rule.id: rule for rule in rules}
    changes: dict[str, int] = defaultdict(int)
    written = 0
    for partner_id in sorted(partners):
        for rule_id, rule in by_rule.items():
            measure = found.by_rule.get((partner_id, rule_id), 0)
            delta = earned(rule, measure) - held.get((partner_id, rule_id), 0)
            if delta == 0:
                continue
            session.add(
                IncentiveAccrual(
                    program_id=program.id,
                    partner_id=partner_id,
                    rule_id=rule_id,
                    amount_minor=delta,
                    basis=measure,
                    cause=cause,
                    order_id=order_id,
                    opportunity_id=opportunity_id,
                    recorded_at=now,
                )
            )
            changes[partner_id] += delta
            written += 1
    for partner_id, delta in changes.items():
        balance = await session.get_one(IncentiveBalance, (program.id, partner_id))
        balance.earned_minor += delta
        balance.updated_at = now
        if delta:
            await events.append(
                session,
                topic=TOPIC,
                type=IncentiveEventType.INCENTIVE_ACCRUED,
                subject_id=program.id,
                audience=await with_distributors(session, [partner_id]),
                payload={
                    "programId": program.id,
                    "partnerId": partner_id,
                    "amountMinor": delta,
                    "cause": cause,
                    "orderId": order_id,
                },
                now=now,
            )
    return written


async def _lock_balances(
    session: AsyncSession, program_id: str, partner_ids: Iterable[str], now: datetime
) -> None:
    """Make the partners' balance rows and lock them, in id order and in batches (a
    statement takes at most 32,767 bind parameters)."""
    wanted = sorted(set(partner_ids))
    for start in range(0, len(wanted), LOCK_BATCH):
        batch = wanted[start : start + LOCK_BATCH]
        insert = upsert(session, IncentiveBalance).values(
            [
                {
                    "program_id": program_id,
                    "partner_id": partner_id,
                    "earned_minor": 0,
                    "paid_minor": 0,
                    "updated_at": now,
                }
                for partner_id in batch
            ]
        )
        await session.execute(insert.on_conflict_do_nothing())
        await session.execute(
            select(IncentiveBalance.partner_id)
            .where(
                IncentiveBalance.program_id == program_id,
                IncentiveBalance.partner_id.in_(batch),
            )
            .order_by(IncentiveBalance.partner_id)
            .with_for_update()
        )


async def _active_on(session: AsyncSession, day: date) -> list[IncentiveProgram]:
    """The active programs whose period holds a day. Moves share a lock on every program
    not closed (drafts too) that activation, recomputation and closing take alone: so a
    program activated while a delivery is under way counts it once, either in the
    activation (which waits for the delivery) or by the delivery (which waits for it)."""
    rows = await session.scalars(
        select(IncentiveProgram)
        .where(
            IncentiveProgram.status.in_([ProgramStatus.DRAFT, ProgramStatus.ACTIVE]),
            IncentiveProgram.starts_on <= day,
            IncentiveProgram.ends_on >= day,
        )
        .order_by(IncentiveProgram.id)
        .with_for_update(read=True)
    )
    return [program for program in rows if program.status == ProgramStatus.ACTIVE]


async def order_moved(
    session: AsyncSession, order: Order, target: OrderStatus, current: OrderStatus, now: datetime
) -> None:
    """Accrue for an order delivered now, claw back for one whose return was received (in
    the programs of its delivery day); other moves change nothing."""
    if target is OrderStatus.DELIVERED and current is OrderStatus.SHIPPED:
        day, cause = now.date(), AccrualCause.ORDER_DELIVERED
    elif target is OrderStatus.RETURNED:
        delivered = await session.scalar(
            select(func.min(OrderStatusChange.changed_at)).where(
                OrderStatusChange.order_id == order.id,
                OrderStatusChange.to_status == OrderStatus.DELIVERED,
                OrderStatusChange.from_status == OrderStatus.SHIPPED,
            )
        )
        if delivered is None:
            return
        day, cause = delivered.date(), AccrualCause.ORDER_RETURNED
    else:
        return
    programs = await _active_on(session, day)
    if not programs:
        return
    await session.flush()  # the move's status change and quantities, read back by measures
    for program in programs:
        await settle(session, program, [order.partner_id], cause=cause, now=now, order_id=order.id)


async def opportunity_won(session: AsyncSession, opportunity: Opportunity, now: datetime) -> None:
    """Pay the SPIFFs of the programs running on the day a deal was won."""
    programs = await _active_on(session, now.date())
    if not programs:
        return
    await session.flush()
    for program in programs:
        await settle(
            session,
            program,
            [opportunity.partner_id],
            cause=AccrualCause.DEAL_WON,
            now=now,
            opportunity_id=opportunity.id,
        )
