"""GraphQL types of incentive programs: rules, statements, the ledger, payouts, events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from hub.events import DomainEvent
from hub.incentives import service as incentive_service
from hub.incentives.rules import (
    AccrualCause,
    IncentiveEventType,
    ProgramStatus,
    RuleKind,
)
from hub.partners import Tier
from schema.arguments import After, First
from schema.context import Info
from schema.enums import described_enum
from schema.events import shared
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.relay import Connection, page_request
from schema.scalars import MinorUnits, Money
from storage.models.incentives import IncentiveAccrual as AccrualModel
from storage.models.incentives import IncentivePayout as PayoutModel
from storage.models.incentives import IncentiveProgram as ProgramModel
from storage.models.incentives import IncentiveRule as RuleModel

described_enum(
    ProgramStatus,
    name="IncentiveProgramStatus",
    description="DRAFT while its terms may change; ACTIVE while partners earn by it; CLOSED "
    "when its ledger is final (payouts may still be recorded). Partners never see drafts.",
    values={
        "DRAFT": "Its terms may change; partners do not see it.",
        "ACTIVE": "Partners earn by it.",
        "CLOSED": "Its ledger is final; payouts may still be recorded.",
    },
)
described_enum(
    RuleKind,
    name="IncentiveRuleKind",
    description="REVENUE_SHARE pays basis points of net delivered revenue; PER_UNIT an amount "
    "per net delivered unit; SPIFF an amount per won deal.",
    values={
        "REVENUE_SHARE": "Basis points of net delivered revenue.",
        "PER_UNIT": "An amount per net delivered unit.",
        "SPIFF": "An amount per won deal.",
    },
)
described_enum(
    AccrualCause,
    name="IncentiveAccrualCause",
    description="What changed a partner's earnings: an order delivered or returned, a deal "
    "won, or a recomputation (on activation or on request).",
    values={
        "ORDER_DELIVERED": "An order was delivered.",
        "ORDER_RETURNED": "Units of an order were returned: a clawback.",
        "DEAL_WON": "An opportunity was won.",
        "RECOMPUTED": "A recomputation brought the ledger in line with raw orders.",
    },
)
described_enum(
    IncentiveEventType,
    description="What happened to a partner's incentive earnings.",
    values={
        "INCENTIVE_ACCRUED": "Earnings accrued or were clawed back.",
        "INCENTIVE_PAID": "A payout was recorded.",
    },
)


def _maybe(value: int | None) -> MinorUnits | None:
    return None if value is None else MinorUnits(value)


def _money(amount: int, currency: str) -> Money:
    return Money(amount_minor=MinorUnits(amount), currency=currency)


class IncentiveLoaders(LoaderSet):
    """Programs and their rules, as the caller may see them."""

    incentive_program_by_id = loader[str, ProgramModel | None](
        lambda hub, principal, ids: incentive_service.by_ids(hub, principal=principal, ids=ids)
    )
    incentive_rules_by_program = loader[str, list[RuleModel]](
        lambda hub, principal, ids: incentive_service.rules_by_program(hub, ids)
    )


@strawberry.type(description="What a program pays for.")
class IncentiveRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    kind: RuleKind = strawberry.field(description="What the rule pays for.")
    product_line: str | None = strawberry.field(description="Null: every product line.")
    tier: Tier | None = strawberry.field(description="Null: partners of every tier.")
    rate: MinorUnits = strawberry.field(
        description="Basis points of revenue (REVENUE_SHARE) or minor units per unit or deal."
    )
    threshold: MinorUnits = strawberry.field(
        description="Below this measure (revenue minor units, units or deals) it pays nothing."
    )
    accelerator_from: MinorUnits | None = strawberry.field(
        description="Past this measure the part above pays acceleratedRate."
    )
    accelerated_rate: MinorUnits | None = strawberry.field(
        description="The rate paid on the measure above acceleratorFrom, in the same unit as rate."
    )

    @classmethod
    def from_model(cls, model: RuleModel) -> IncentiveRule:
        return cls(
            id=strawberry.ID(model.id),
            kind=RuleKind(model.kind),
            product_line=model.product_line,
            tier=Tier(model.tier) if model.tier else None,
            rate=MinorUnits(model.rate),
            threshold=MinorUnits(model.threshold),
            accelerator_from=_maybe(model.accelerator_from),
            accelerated_rate=_maybe(model.accelerated_rate),
        )


@strawberry.type(description="An incentive or rebate program over a period.")
class IncentiveProgram(Node):
    id: strawberry.ID = strawberry.field(description="The program's id.")
    name: str = strawberry.field(description="The program's name as partners see it.")
    description: str = strawberry.field(
        description="What the program rewards, as shown to partners."
    )
    starts_on: date = strawberry.field(
        description="The first day whose deliveries and wins count (a calendar date, UTC)."
    )
    ends_on: date = strawberry.field(
        description="The last day whose deliveries and wins count (a calendar date, UTC)."
    )
    currency: str = strawberry.field(description="What it pays in; revenue is converted.")
    status: ProgramStatus = strawberry.field(
        description="Whether it is a draft, running or closed."
    )
    version: int = strawberry.field(description="1, and one more on every change.")
    created_at: datetime = strawberry.field(
        description="When the program was drafted (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: ProgramModel) -> IncentiveProgram:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            description=model.description,
            starts_on=model.starts_on,
            ends_on=model.ends_on,
            currency=model.currency,
            status=ProgramStatus(model.status),
            version=model.version,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )

    @strawberry.field(description="Its rules, in order.")
    async def rules(self, info: Info) -> list[IncentiveRule]:
        rows = await IncentiveLoaders.of(info).incentive_rules_by_program.load(str(self.id))
        return [IncentiveRule.from_model(row) for row in rows]


async def program_of(info: Info, program_id: str) -> IncentiveProgram | None:
    model = await IncentiveLoaders.of(info).incentive_program_by_id.load(program_id)
    return None if model is None else IncentiveProgram.from_model(model)


@strawberry.type(description="What one rule earned a partner.")
class IncentiveStatementLine:
    rule: IncentiveRule = strawberry.field(description="The rule that earned it.")
    measure: MinorUnits = strawberry.field(
        description="The rule's measure: net revenue in minor units, net units or won deals."
    )
    earned: Money = strawberry.field(description="What the rule earned, in the program's currency.")


@strawberry.type(
    description="A change to what a partner earned: positive accrues, negative claws back."
)
class IncentiveAccrual:
    id: strawberry.ID = strawberry.field(description="The accrual's id.")
    amount: Money = strawberry.field(
        description="What the change earned (negative: clawed back), in the program's currency."
    )
    measure: MinorUnits = strawberry.field(description="The rule's measure after the change.")
    cause: AccrualCause = strawberry.field(description="What caused the change.")
    order_id: strawberry.ID | None = strawberry.field(
        description="The order delivered or returned, if any."
    )
    opportunity_id: strawberry.ID | None = strawberry.field(
        description="The opportunity won, if any."
    )
    rule_id: strawberry.ID = strawberry.field(description="The rule it earned under.")
    recorded_at: datetime = strawberry.field(description="When it was recorded (RFC 3339, UTC).")

    @classmethod
    def of(cls, model: AccrualModel, currency: str) -> IncentiveAccrual:
        return cls(
            id=strawberry.ID(str(model.id)),
            amount=_money(model.amount_minor, currency),
            measure=MinorUnits(model.basis),
            cause=AccrualCause(model.cause),
            order_id=strawberry.ID(model.order_id) if model.order_id else None,
            opportunity_id=strawberry.ID(model.opportunity_id) if model.opportunity_id else None,
            rule_id=strawberry.ID(model.rule_id),
            recorded_at=model.recorded_at,
        )


@strawberry.type(description="Money paid to a partner against its balance.")
class IncentivePayout:
    id: strawberry.ID = strawberry.field(description="The payout's id.")
    program_id: strawberry.ID = strawberry.field(description="The program paid out of.")
    amount: Money = strawberry.field(description="What was paid, in the program's currency.")
    reference: str = strawberry.field(description="The ERP's reference, once per partner.")
    note: str | None = strawberry.field(description="A note on the payout.")
    paid_at: datetime = strawberry.field(description="When it was recorded (RFC 3339, UTC).")
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: PayoutModel) -> IncentivePayout:
        return cls(
            id=strawberry.ID(model.id),
            program_id=strawberry.ID(model.program_id),
            amount=_money(model.amount_minor, model.currency),
            reference=model.reference,
            note=model.note,
            paid_at=model.paid_at,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="The partner paid.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.type(description="A partner's earnings in a program: per rule, paid, still owed.")
class IncentiveStatement:
    program: IncentiveProgram = strawberry.field(description="The program the statement is for.")
    lines: list[IncentiveStatementLine] = strawberry.field(
        description="What each rule earned, in rule order."
    )
    earned: Money = strawberry.field(description="Accruals less clawbacks.")
    paid: Money = strawberry.field(description="Payouts recorded so far.")
    balance: Money = strawberry.field(
        description="Earned less paid; negative when returns clawed back more than was left."
    )
    payouts: list[IncentivePayout] = strawberry.field(description="The payouts, oldest first.")
    missing_rates: list[str] = strawberry.field(
        description="Currencies of the partner's orders in the period that have no exchange "
        "rate: left out until one is set and recomputeIncentives runs."
    )
    partner_id: strawberry.Private[str]

    @classmethod
    def of(cls, found: incentive_service.Statement) -> IncentiveStatement:
        code = found.program.currency
        return cls(
            program=IncentiveProgram.from_model(found.program),
            lines=[
                IncentiveStatementLine(
                    rule=IncentiveRule.from_model(line.rule),
                    measure=MinorUnits(line.measure),
                    earned=_money(line.earned_minor, code),
                )
                for line in found.lines
            ],
            earned=_money(found.earned_minor, code),
            paid=_money(found.paid_minor, code),
            balance=_money(found.balance_minor, code),
            payouts=[IncentivePayout.from_model(row) for row in found.payouts],
            missing_rates=list(found.missing_rates),
            partner_id=found.partner_id,
        )

    @strawberry.field(description="The partner whose earnings these are.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)

    @strawberry.field(description="The ledger behind it, newest first.")
    async def accruals(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[IncentiveAccrual]:
        page = await incentive_service.accruals(
            info.context.hub,
            principal=info.context.require_principal(),
            program_id=str(self.program.id),
            partner_id=self.partner_id,
            page=page_request(info, first, after),
        )
        code = self.program.currency
        return Connection[IncentiveAccrual].of(page, lambda row: IncentiveAccrual.of(row, code))


@strawberry.type(description="A partner's earnings changed, or a payout was recorded.")
class IncentiveEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: IncentiveEventType = strawberry.field(
        description="Whether earnings changed or a payout was recorded."
    )
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    program_id: strawberry.ID = strawberry.field(description="The program the earnings are in.")
    partner_id: strawberry.ID = strawberry.field(
        description="The partner whose earnings changed or who was paid."
    )
    amount: MinorUnits = strawberry.field(
        description="What was accrued (negative: clawed back) or paid, in the program's currency."
    )
    cause: AccrualCause | None = strawberry.field(
        description="What changed the earnings; null for a payout."
    )
    order_id: strawberry.ID | None = strawberry.field(
        description="The order delivered or returned, if any."
    )
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> IncentiveEvent:
        payload: dict[str, Any] = event.payload
        cause, order = payload.get("cause"), payload.get("orderId")
        return cls(
            cursor=str(event.id),
            type=IncentiveEventType(event.type),
            occurred_at=event.occurred_at,
            program_id=strawberry.ID(payload["programId"]),
            partner_id=strawberry.ID(payload["partnerId"]),
            amount=MinorUnits(payload["amountMinor"]),
            cause=AccrualCause(cause) if cause else None,
            order_id=strawberry.ID(order) if order else None,
            event=event,
        )

    @strawberry.field(description="The program as the subscriber may see it now.")
    async def program(self, info: Info) -> IncentiveProgram | None:
        principal, hub = info.context.require_principal(), info.context.hub
        found = await shared(
            self.event,
            principal,
            "incentive_program",
            lambda: incentive_service.by_ids(hub, principal=principal, ids=[str(self.program_id)]),
        )
        return IncentiveProgram.from_model(found[0]) if found[0] else None


@strawberry.input(description="What a rule pays for; see IncentiveRuleKind.")
class IncentiveRuleInput:
    kind: RuleKind = strawberry.field(description="What the rule pays for.")
    rate: MinorUnits = strawberry.field(
        description="Basis points of revenue (REVENUE_SHARE, at most 10000) or minor units "
        "per unit (PER_UNIT) or per won deal (SPIFF)."
    )
    product_line: str | None = strawberry.field(
        default=None, description="Only this product line counts; every line when left out."
    )
    tier: Tier | None = strawberry.field(
        default=None, description="Only partners of this tier earn; every tier when left out."
    )
    threshold: MinorUnits = strawberry.field(
        default=MinorUnits(0),
        description="The measure below which it pays nothing: revenue in minor units, units "
        "or deals.",
    )
    accelerator_from: MinorUnits | None = strawberry.field(
        default=None, description="Past this measure the part above pays acceleratedRate."
    )
    accelerated_rate: MinorUnits | None = strawberry.field(
        default=None, description="The rate above acceleratorFrom, in the same unit as rate."
    )


@strawberry.input(description="A new program; it starts as a DRAFT.")
class IncentiveProgramInput:
    name: str = strawberry.field(description="The program's name.")
    starts_on: date = strawberry.field(
        description="The first day whose deliveries and wins count (a calendar date, UTC)."
    )
    ends_on: date = strawberry.field(
        description="The last day whose deliveries and wins count (a calendar date, UTC)."
    )
    currency: str = strawberry.field(description="What it pays in (ISO 4217).")
    rules: list[IncentiveRuleInput] = strawberry.field(
        description="What the program pays for, in order."
    )
    description: str = strawberry.field(
        default="", description="What the program rewards, as shown to partners."
    )


@strawberry.input(description="Only the fields given change; a draft's rules are replaced.")
class IncentiveProgramChangesInput:
    name: str | None = strawberry.field(default=None, description="The new name.")
    description: str | None = strawberry.field(default=None, description="The new description.")
    starts_on: date | None = strawberry.field(
        default=None, description="The new first day (a calendar date, UTC)."
    )
    ends_on: date | None = strawberry.field(
        default=None, description="The new last day (a calendar date, UTC)."
    )
    rules: list[IncentiveRuleInput] | None = strawberry.field(
        default=None, description="The rules to replace the draft's rules with."
    )


@strawberry.input(description="Which programs to list; the conditions given must all hold.")
class IncentiveProgramFilter:
    statuses: list[ProgramStatus] = strawberry.field(
        default_factory=list,
        description="Only programs with one of these statuses; all when empty.",
    )
    running_on: date | None = strawberry.field(
        default=None, description="Programs whose period holds this day."
    )


@strawberry.type(description="What a recomputation wrote.")
class IncentiveRecomputation:
    program: IncentiveProgram = strawberry.field(
        description="The program whose accruals were recomputed."
    )
    adjustments: int = strawberry.field(
        description="Accruals written to bring the ledger in line with raw orders (0: it was)."
    )
