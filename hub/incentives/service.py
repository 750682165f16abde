"""Incentive programs: vendor staff draft them with their rules, activate them (which
accrues what partners already earned in the period) and close them; partners read their
statements; vendor staff and the ERP record payouts, never more than a partner's balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events, product_lines, validation
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds.rules import by_key, money, same_currency
from hub.incentives import accrual, rules
from hub.incentives.rules import (
    TOPIC,
    AccrualCause,
    IncentiveEventType,
    ProgramChanges,
    ProgramFilter,
    ProgramInput,
    ProgramStatus,
    RuleInput,
)
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import InChannel, with_distributors
from hub.roles import Principal, Role, require_vendor_staff
from hub.runtime import Hub
from storage.models import Partner
from storage.models.incentives import (
    IncentiveAccrual,
    IncentiveBalance,
    IncentivePayout,
    IncentiveProgram,
    IncentiveRule,
)


async def create(hub: Hub, *, principal: Principal, data: ProgramInput) -> IncentiveProgram:
    """A DRAFT program with its rules (vendor staff)."""
    require_vendor_staff(principal)
    rules.period(data.starts_on, data.ends_on)
    wanted = rules.checked_rules(data.rules)
    _, code = money(0, data.currency, field="input")
    now = hub.clock.now()
    program = IncentiveProgram(
        name=rules.name(data.name),
        description=rules.description(data.description),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        currency=code,
        status=ProgramStatus.DRAFT,
        version=1,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    async with hub.write() as session:
        await _known_lines(session, wanted)
        session.add(program)
        await session.flush()
        _add_rules(session, program.id, wanted)
    return program


async def update(
    hub: Hub,
    *,
    principal: Principal,
    program_id: str,
    changes: ProgramChanges,
    expected_version: int | None = None,
) -> IncentiveProgram:
    """Change a DRAFT program (vendor staff): once active, its rules are what partners earn by."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        program = await _locked(session, principal, program_id, expected_version)
        if program.status != ProgramStatus.DRAFT:
            raise Conflict(
                f"a {program.status} program's terms are fixed; draft a new program",
                field="id",
            )
        if changes.name is not None:
            program.name = rules.name(changes.name)
        if changes.description is not None:
            program.description = rules.description(changes.description)
        starts_on = changes.starts_on or program.starts_on
        ends_on = changes.ends_on or program.ends_on
        rules.period(starts_on, ends_on)
        program.starts_on, program.ends_on = starts_on, ends_on
        if changes.rules is not None:
            wanted = rules.checked_rules(changes.rules)
            await _known_lines(session, wanted)
            for row in await session.scalars(
                select(IncentiveRule).where(IncentiveRule.program_id == program.id)
            ):
                await session.delete(row)
            await session.flush()
            _add_rules(session, program.id, wanted)
        program.version += 1
        program.updated_at = hub.clock.now()
    return program


async def activate(hub: Hub, *, principal: Principal, program_id: str) -> IncentiveProgram:
    """Start a DRAFT program: partners earn by it from now on, and what they delivered and
    won in its period so far accrues at once."""
    return await _move(hub, principal, program_id, ProgramStatus.ACTIVE)


async def close(hub: Hub, *, principal: Principal, program_id: str) -> IncentiveProgram:
    """Close an ACTIVE program: its ledger no longer changes; payouts may still be recorded."""
    return await _move(hub, principal, program_id, ProgramStatus.CLOSED)


async def _move(
    hub: Hub, principal: Principal, program_id: str, target: ProgramStatus
) -> IncentiveProgram:
    require_vendor_staff(principal)
    async with hub.write() as session:
        program = await _locked(session, principal, program_id, None)
        current = ProgramStatus(program.status)
        if target not in rules.MOVES[current]:
            raise Conflict(f"a {current} program cannot become {target}", field="id")
        program.status = target
        program.version += 1
        program.updated_at = hub.clock.now()
        if target is ProgramStatus.ACTIVE:
            await accrual.settle(
                session, program, None, cause=AccrualCause.RECOMPUTED, now=hub.clock.now()
            )
    return program


@dataclass(frozen=True)
class Recomputed:
    program: IncentiveProgram
    adjustments: int


async def recompute(hub: Hub, *, principal: Principal, program_id: str) -> Recomputed:
    """Recompute an active program's accruals from raw orders for every partner, writing
    only the differences (after an exchange rate or a partner's tier changed)."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        program = await _locked(session, principal, program_id, None, field="programId")
        if program.status != ProgramStatus.ACTIVE:
            raise Conflict(
                f"only an active program is recomputed; this one is {program.status}",
                field="programId",
            )
        written = await accrual.settle(
            session, program, None, cause=AccrualCause.RECOMPUTED, now=hub.clock.now()
        )
    return Recomputed(program, written)


async def record_payout(
    hub: Hub,
    *,
    principal: Principal,
    program_id: str,
    partner_id: str,
    amount_minor: int,
    currency: str,
    reference: str,
    note: str | None = None,
) -> IncentivePayout:
    """Record money paid to a partner against its balance (vendor staff or the ERP): never
    more than the balance; a reference is recorded once per partner and program."""
    if not (principal.is_vendor_staff or principal.role is Role.INTEGRATION):
        raise Forbidden("payouts are recorded by vendor staff and integrations")
    amount, code = money(amount_minor, currency, field="amount", least=1)
    ref = validation.text(reference, field="reference", max_length=100)
    text = validation.optional_text(note, field="note", max_length=2000)
    try:
        async with hub.write() as session:
            program = await _get(session, principal, program_id, field="programId")
            if program.status == ProgramStatus.DRAFT:
                raise Conflict("a draft program has nothing to pay", field="programId")
            same_currency(code, program.currency, field="amount.currency")
            balance = await session.scalar(
                select(IncentiveBalance)
                .where(
                    IncentiveBalance.program_id == program.id,
                    IncentiveBalance.partner_id == partner_id,
                )
                .with_for_update()
            )
            if balance is None:
                if await session.get(Partner, partner_id) is None:
                    raise NotFound("no such partner", field="partnerId")
                raise Conflict(
                    "this partner has earned nothing in the program", field="amount.amountMinor"
                )
            left = balance.earned_minor - balance.paid_minor
            if amount > left:
                raise Conflict(
                    f"the payout exceeds the partner's balance of {max(left, 0)} minor units",
                    field="amount.amountMinor",
                )
            now = hub.clock.now()
            payout = IncentivePayout(
                program_id=program.id,
                partner_id=partner_id,
                amount_minor=amount,
                currency=code,
                reference=ref,
                note=text,
                paid_at=now,
                recorded_by_id=principal.user_id,
            )
            session.add(payout)
            balance.paid_minor += amount
            balance.updated_at = now
            await session.flush()
            await events.append(
                session,
                topic=TOPIC,
                type=IncentiveEventType.INCENTIVE_PAID,
                subject_id=program.id,
                audience=await with_distributors(session, [partner_id]),
                payload={
                    "programId": program.id,
                    "partnerId": partner_id,
                    "amountMinor": amount,
                    "payoutId": payout.id,
                },
                now=now,
            )
    except IntegrityError:
        raise Conflict(
            f"a payout with reference {ref!r} is already recorded for this partner",
            field="reference",
        ) from None
    return payout


async def get(hub: Hub, *, principal: Principal, program_id: str) -> IncentiveProgram:
    async with hub.read() as session:
        return await _get(session, principal, program_id)


async def by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[IncentiveProgram | None]:
    return await by_key(
        hub, IncentiveProgram, IncentiveProgram.id, rules.program_visible(principal), ids
    )


async def rules_by_program(hub: Hub, ids: Sequence[str]) -> list[list[IncentiveRule]]:
    async with hub.read() as session:
        rows = await session.scalars(
            select(IncentiveRule)
            .where(IncentiveRule.program_id.in_(sorted(set(ids))))
            .order_by(IncentiveRule.position)
        )
        found: dict[str, list[IncentiveRule]] = {}
        for row in rows:
            found.setdefault(row.program_id, []).append(row)
    return [found.get(id_, []) for id_ in ids]


async def list_programs(
    hub: Hub, *, principal: Principal, filter: ProgramFilter, page: PageRequest
) -> Page[IncentiveProgram]:
    statement: Select[tuple[IncentiveProgram]] = select(IncentiveProgram).where(
        rules.program_visible(principal)
    )
    if filter.statuses:
        statement = statement.where(
            IncentiveProgram.status.in_(sorted({status.value for status in filter.statuses}))
        )
    if filter.running_on is not None:
        statement = statement.where(
            IncentiveProgram.starts_on <= filter.running_on,
            IncentiveProgram.ends_on >= filter.running_on,
        )
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(IncentiveProgram.created_at, IncentiveProgram.id),
            descending=True,
        )


@dataclass(frozen=True)
class RuleLine:
    rule: IncentiveRule
    measure: int
    earned_minor: int


@dataclass(frozen=True)
class Statement:
    """A partner's earnings in a program: per rule, in total, paid and still owed."""

    program: IncentiveProgram
    partner_id: str
    lines: list[RuleLine]
    earned_minor: int
    paid_minor: int
    payouts: list[IncentivePayout]
    # Currencies of the partner's orders in the period left out for want of a rate.
    missing_rates: tuple[str, ...] = ()

    @property
    def balance_minor(self) -> int:
        return self.earned_minor - self.paid_minor


async def statement(
    hub: Hub, *, principal: Principal, program_id: str, partner_id: str | None
) -> Statement:
    """A partner's statement: the caller's own organization by default; a partner sees its
    channel's, vendor-side accounts any."""
    wanted = partner_id or (principal.organization_id if principal.is_partner else None)
    if wanted is None:
        raise BadInput("name the partner whose statement you want", field="partnerId")
    async with hub.read() as session:
        program = await _get(session, principal, program_id, field="programId")
        if principal.is_partner:
            seen = await session.scalar(
                select(Partner.id).where(
                    Partner.id == wanted, InChannel(Partner.id, principal.organization_id)
                )
            )
        else:
            seen = await session.scalar(select(Partner.id).where(Partner.id == wanted))
        if seen is None:
            raise NotFound("no such partner", field="partnerId")
        balance = await session.get(IncentiveBalance, (program.id, wanted))
        sums = {
            rule_id: int(total)
            for rule_id, total in await session.execute(
                select(IncentiveAccrual.rule_id, func.sum(IncentiveAccrual.amount_minor))
                .where(
                    IncentiveAccrual.program_id == program.id,
                    IncentiveAccrual.partner_id == wanted,
                )
                .group_by(IncentiveAccrual.rule_id)
            )
        }
        # The measures now, from raw orders (a ledger entry is written only when what a
        # rule pays changes, so its basis may be older than the last order).
        program_rules = await accrual.rule_rows(session, program.id)
        measured = await accrual.measures(
            session, program, [accrual.rule_of(row) for row in program_rules], [wanted]
        )
        payouts = list(
            await session.scalars(
                select(IncentivePayout)
                .where(
                    IncentivePayout.program_id == program.id,
                    IncentivePayout.partner_id == wanted,
                )
                .order_by(IncentivePayout.paid_at, IncentivePayout.id)
            )
        )
    return Statement(
        program=program,
        partner_id=wanted,
        lines=[
            RuleLine(rule, measured.by_rule.get((wanted, rule.id), 0), sums.get(rule.id, 0))
            for rule in program_rules
        ],
        # The lines' sum, read in one statement with them (the balance row agrees).
        earned_minor=sum(sums.values()),
        paid_minor=balance.paid_minor if balance else 0,
        payouts=payouts,
        missing_rates=tuple(sorted(measured.missing_rates)),
    )


async def accruals(
    hub: Hub, *, principal: Principal, program_id: str, partner_id: str, page: PageRequest
) -> Page[IncentiveAccrual]:
    """A partner's ledger in a program, newest first (the statement checked who may see it)."""
    statement_ = select(IncentiveAccrual).where(
        IncentiveAccrual.program_id == program_id, IncentiveAccrual.partner_id == partner_id
    )
    if principal.is_partner:
        statement_ = statement_.where(
            InChannel(IncentiveAccrual.partner_id, principal.organization_id)
        )
    async with hub.read() as session:
        return await keyset_page(
            session, statement_, page, key=(IncentiveAccrual.id,), descending=True
        )


async def _get(
    session: AsyncSession, principal: Principal, program_id: str, *, field: str = "id"
) -> IncentiveProgram:
    program = await session.scalar(
        select(IncentiveProgram).where(
            IncentiveProgram.id == program_id, rules.program_visible(principal)
        )
    )
    if program is None:
        raise NotFound("no such incentive program", field=field)
    return program


async def _locked(
    session: AsyncSession,
    principal: Principal,
    program_id: str,
    expected_version: int | None,
    *,
    field: str = "id",
) -> IncentiveProgram:
    program = await session.scalar(
        select(IncentiveProgram)
        .where(IncentiveProgram.id == program_id, rules.program_visible(principal))
        # FOR NO KEY UPDATE on PostgreSQL: it excludes the moves' FOR SHARE but not the
        # key-share lock a payout's insert takes, which would deadlock with its balance lock.
        .with_for_update(key_share=True)
    )
    if program is None:
        raise NotFound("no such incentive program", field=field)
    if expected_version is not None and program.version != expected_version:
        raise Conflict(
            f"the program is at version {program.version}, not {expected_version}; read it again",
            field="expectedVersion",
        )
    return program


async def _known_lines(session: AsyncSession, wanted: Sequence[RuleInput]) -> None:
    for index, rule in enumerate(wanted):
        if rule.product_line is not None:
            await product_lines.require(
                session, [rule.product_line], field=f"input.rules.{index}.productLine"
            )


def _add_rules(session: AsyncSession, program_id: str, wanted: Sequence[RuleInput]) -> None:
    for position, rule in enumerate(wanted):
        session.add(
            IncentiveRule(
                program_id=program_id,
                position=position,
                kind=rule.kind,
                product_line=rule.product_line,
                tier=rule.tier,
                rate=rule.rate,
                threshold=rule.threshold,
                accelerator_from=rule.accelerator_from,
                accelerated_rate=rule.accelerated_rate,
            )
        )
