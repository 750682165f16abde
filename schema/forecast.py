"""GraphQL types of forecasting: opportunity stages, opportunities and their history,
partner commits and the forecast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import strawberry

from hub.forecast import opportunities as opportunity_service
from hub.forecast import report
from hub.forecast.opportunities import Stage
from hub.forecast.rules import ChangeKind, OpportunityStatus, weighted
from hub.roles import Principal
from hub.runtime import Hub
from schema.analytics import MissingRate, PeriodInput, ReportPeriod
from schema.context import Info
from schema.enums import described_enum
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models.forecast import ForecastCommit as CommitModel
from storage.models.forecast import Opportunity as OpportunityModel
from storage.models.forecast import OpportunityChange as ChangeModel

described_enum(
    OpportunityStatus,
    description="OPEN while worked; WON or LOST once closed; WITHDRAWN when its lead was "
    "recycled or its registration's protection lapsed.",
    values={
        "OPEN": "Being worked.",
        "WON": "Closed as won.",
        "LOST": "Closed as lost.",
        "WITHDRAWN": "Its lead was recycled or its registration's protection lapsed.",
    },
)
described_enum(
    ChangeKind,
    name="OpportunityChangeKind",
    description="What changed on an opportunity.",
    values={
        "OPENED": "It was opened.",
        "STAGE": "It moved to another stage.",
        "UPDATED": "Its amount, close day or probability changed.",
        "CLOSED": "It was won, lost or withdrawn.",
    },
)
described_enum(
    report.ForecastGroup,
    description="What the forecast is grouped by: each partner, its tier (as it is now), or "
    "the product line.",
    values={
        "PARTNER": "By the partner working the opportunities.",
        "TIER": "By the partner's tier as it is now.",
        "PRODUCT_LINE": "By the opportunities' product line.",
    },
)


async def _stages_by_key(hub: Hub, principal: Principal, keys: Sequence[str]) -> list[Stage | None]:
    found = {
        stage.key: stage
        for stage in await opportunity_service.list_stages(hub, principal=principal)
    }
    return [found.get(key) for key in keys]


class ForecastLoaders(LoaderSet):
    """The vendor's stages by key, and an opportunity's history."""

    stage_by_key = loader[str, Stage | None](_stages_by_key)
    history_by_opportunity = loader[str, list[ChangeModel]](
        lambda hub, principal, ids: opportunity_service.history(hub, principal=principal, ids=ids)
    )
    opportunity_by_id = loader[str, OpportunityModel | None](
        lambda hub, principal, ids: opportunity_service.by_ids(hub, principal=principal, ids=ids)
    )
    opportunity_by_lead = loader[str, OpportunityModel | None](
        lambda hub, principal, ids: opportunity_service.newest_of(
            hub, principal=principal, column="lead_id", ids=ids
        )
    )
    opportunity_by_deal = loader[str, OpportunityModel | None](
        lambda hub, principal, ids: opportunity_service.newest_of(
            hub, principal=principal, column="deal_registration_id", ids=ids
        )
    )


@strawberry.type(description="A stage of the vendor's sales process, in order.")
class OpportunityStage:
    key: str = strawberry.field(description="The stage's key, e.g. PROPOSAL.")
    name: str = strawberry.field(description="The stage's name as shown to partners.")
    position: int = strawberry.field(description="0 for the first stage.")
    probability_percent: int = strawberry.field(
        description="The default chance of winning an opportunity in this stage, 0-100."
    )

    @classmethod
    def of(cls, stage: Stage) -> OpportunityStage:
        return cls(
            key=stage.key,
            name=stage.name,
            position=stage.position,
            probability_percent=stage.probability_percent,
        )


@strawberry.input(description="A stage of the sales process.")
class OpportunityStageInput:
    key: str = strawberry.field(description="1-32 capital letters, digits or _, e.g. PROPOSAL.")
    name: str = strawberry.field(description="The stage's name as shown to partners.")
    probability_percent: int = strawberry.field(
        description="The default chance of winning in this stage, in percent: 0 to 100."
    )


@strawberry.type(description="One change of an opportunity, with what it was after it.")
class OpportunityChange:
    kind: ChangeKind = strawberry.field(description="What kind of change it was.")
    from_stage: str | None = strawberry.field(description="The stage before, on STAGE changes.")
    stage: str = strawberry.field(description="The stage after the change.")
    probability_percent: int | None = strawberry.field(
        description="The partner's own probability after the change; null: the stage's."
    )
    amount: Money = strawberry.field(description="The amount after the change.")
    expected_close: date | None = strawberry.field(
        description="The expected close day after the change."
    )
    status: OpportunityStatus = strawberry.field(description="The status after the change.")
    reason: str | None = strawberry.field(
        description="Why it was lost or withdrawn, on CLOSED changes."
    )
    changed_at: datetime = strawberry.field(description="When the change was made (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: ChangeModel) -> OpportunityChange:
        return cls(
            kind=ChangeKind(model.kind),
            from_stage=model.from_stage,
            stage=model.stage,
            probability_percent=model.probability_percent,
            amount=Money(amount_minor=MinorUnits(model.amount_minor), currency=model.currency),
            expected_close=model.expected_close,
            status=OpportunityStatus(model.status),
            reason=model.reason,
            changed_at=model.changed_at,
        )


@strawberry.type(
    description="An accepted lead or approved deal registration on its way to being won or "
    "lost: its stage, amount, expected close date and chance of winning."
)
class Opportunity(Node):
    id: strawberry.ID = strawberry.field(description="The opportunity's id.")
    status: OpportunityStatus = strawberry.field(description="Whether it is open or how it closed.")
    stage: str = strawberry.field(description="The key of its stage (see opportunityStages).")
    own_probability_percent: int | None = strawberry.field(
        description="The probability the partner set, 0-100; null: the stage's default."
    )
    amount: Money = strawberry.field(description="What the deal is expected to bring.")
    expected_close: date | None = strawberry.field(
        description="The day it is expected to close (a calendar date)."
    )
    customer_company: str = strawberry.field(description="The end customer's company name.")
    product_line: str = strawberry.field(description="The product line code of the deal.")
    closed_at: datetime | None = strawberry.field(description="When it was closed (RFC 3339, UTC).")
    close_reason: str | None = strawberry.field(description="Why it was lost or withdrawn.")
    version: int = strawberry.field(description="Give it as expectedVersion to change safely.")
    created_at: datetime = strawberry.field(description="When it was opened (RFC 3339, UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")
    lead_id: strawberry.ID | None = strawberry.field(description="The lead it came from.")
    deal_registration_id: strawberry.ID | None = strawberry.field(
        description="The deal registration it came from."
    )
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: OpportunityModel) -> Opportunity:
        return cls(
            id=strawberry.ID(model.id),
            status=OpportunityStatus(model.status),
            stage=model.stage,
            own_probability_percent=model.probability_percent,
            amount=Money(amount_minor=MinorUnits(model.amount_minor), currency=model.currency),
            expected_close=model.expected_close,
            customer_company=model.customer_company,
            product_line=model.product_line,
            closed_at=model.closed_at,
            close_reason=model.close_reason,
            version=model.version,
            created_at=model.created_at,
            updated_at=model.updated_at,
            lead_id=strawberry.ID(model.lead_id) if model.lead_id else None,
            deal_registration_id=(
                strawberry.ID(model.deal_registration_id) if model.deal_registration_id else None
            ),
            partner_id=model.partner_id,
        )

    @classmethod
    def maybe(cls, model: OpportunityModel | None) -> Opportunity | None:
        return cls.from_model(model) if model else None

    @strawberry.field(
        description="The chance of winning, 0-100: the partner's own, else its stage's "
        "(100 once WON, 0 once LOST or WITHDRAWN)."
    )
    async def probability_percent(self, info: Info) -> int:
        if self.status is OpportunityStatus.WON:
            return 100
        if self.status is not OpportunityStatus.OPEN:
            return 0
        if self.own_probability_percent is not None:
            return self.own_probability_percent
        stage = await ForecastLoaders.of(info).stage_by_key.load(self.stage)
        return stage.probability_percent if stage else 0

    @strawberry.field(description="The amount times the probability, in its currency.")
    async def weighted_amount(self, info: Info) -> Money:
        percent = await self.probability_percent(info)
        return Money(
            amount_minor=MinorUnits(weighted(int(self.amount.amount_minor), percent)),
            currency=self.amount.currency,
        )

    @strawberry.field(description="Every change, oldest first, from its opening on.")
    async def history(self, info: Info) -> list[OpportunityChange]:
        found = await ForecastLoaders.of(info).history_by_opportunity.load(str(self.id))
        return [OpportunityChange.from_model(model) for model in found]

    @strawberry.field(description="The partner working it.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.input(description="Which opportunities to list.")
class OpportunityFilter:
    statuses: list[OpportunityStatus] | None = strawberry.field(
        default=None, description="Only opportunities with one of these statuses."
    )
    stages: list[str] | None = strawberry.field(
        default=None, description="Only opportunities in one of these stages (keys)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this partner's opportunities."
    )
    lead_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the opportunity of this lead."
    )
    deal_registration_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the opportunity of this deal registration."
    )
    closing_from: date | None = strawberry.field(
        default=None, description="Expected to close on this day or later."
    )
    closing_to: date | None = strawberry.field(
        default=None, description="Expected to close on this day or earlier."
    )


@strawberry.input(description="What to change on an open opportunity; omitted fields stay.")
class OpportunityInput:
    stage: str | None = strawberry.field(
        default=strawberry.UNSET, description="The key of the stage to move to."
    )
    probability_percent: int | None = strawberry.field(
        default=strawberry.UNSET, description="0-100; null goes back to the stage's default."
    )
    expected_close: date | None = strawberry.field(
        default=strawberry.UNSET, description="The new expected close day (a calendar date)."
    )
    amount: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET, description="The new amount the deal is expected to bring."
    )


@strawberry.type(
    description="What a partner commits to bring in a month or quarter for a product line, "
    "and its best case."
)
class ForecastCommit:
    id: strawberry.ID = strawberry.field(description="The commit's id.")
    period: ReportPeriod = strawberry.field(description="The month or quarter committed for.")
    product_line: str = strawberry.field(description="The product line code committed for.")
    commit: Money = strawberry.field(description="What the partner commits to bring in.")
    best_case: Money = strawberry.field(description="What it could bring in at best.")
    submitted_at: datetime = strawberry.field(
        description="When it was last submitted (RFC 3339, UTC)."
    )
    version: int = strawberry.field(description="1, and one more each time it is resubmitted.")
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: CommitModel) -> ForecastCommit:
        return cls(
            id=strawberry.ID(model.id),
            period=ReportPeriod(
                label=model.period_label,
                start=model.period_start,
                end=model.period_end - timedelta(days=1),
            ),
            product_line=model.product_line,
            commit=Money(amount_minor=MinorUnits(model.commit_minor), currency=model.currency),
            best_case=Money(
                amount_minor=MinorUnits(model.best_case_minor), currency=model.currency
            ),
            submitted_at=model.submitted_at,
            version=model.version,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="The committing partner.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)


@strawberry.input(description="A commit and best case for a month or quarter not yet ended.")
class ForecastCommitInput:
    period: PeriodInput = strawberry.field(description="A month or a quarter.")
    product_line: str = strawberry.field(description="The product line code to commit for.")
    commit: MoneyInput = strawberry.field(description="What your organization commits to bring in.")
    best_case: MoneyInput = strawberry.field(description="At least the commit, same currency.")


@strawberry.type(description="One group of the forecast, in reporting-currency minor units.")
class ForecastRow:
    key: str = strawberry.field(
        description="The partner id, tier or product line code (TOTAL for the total)."
    )
    open_opportunities: int = strawberry.field(
        description="OPEN opportunities expected to close in the period."
    )
    pipeline_minor: MinorUnits = strawberry.field(
        description="The amounts of those open opportunities."
    )
    weighted_pipeline_minor: MinorUnits = strawberry.field(
        description="Their amounts times their probabilities."
    )
    commit_minor: MinorUnits | None = strawberry.field(
        description="Commits for months and quarters within the period; null: none."
    )
    best_case_minor: MinorUnits | None = strawberry.field(
        description="Best cases for months and quarters within the period; null: none."
    )
    won_minor: MinorUnits = strawberry.field(description="Opportunities closed WON in the period.")
    actual_revenue_minor: MinorUnits = strawberry.field(
        description="Delivered revenue net of returns in the period (so far, while it runs)."
    )
    accuracy_basis_points: int | None = strawberry.field(
        description="Once the period ended, how close the commit came to the actual revenue: "
        "10000 - |actual - commit| / actual, never below 0 (see README)."
    )
    is_partner: strawberry.Private[bool]

    @classmethod
    def of(cls, row: report.ForecastRow, *, is_partner: bool) -> ForecastRow:
        def minor(value: int | None) -> MinorUnits | None:
            return None if value is None else MinorUnits(value)

        return cls(
            key=row.key,
            open_opportunities=row.open_opportunities,
            pipeline_minor=MinorUnits(row.pipeline_minor),
            weighted_pipeline_minor=MinorUnits(row.weighted_minor),
            commit_minor=minor(row.commit_minor),
            best_case_minor=minor(row.best_case_minor),
            won_minor=MinorUnits(row.won_minor),
            actual_revenue_minor=MinorUnits(row.actual_minor),
            accuracy_basis_points=row.accuracy_bp,
            is_partner=is_partner,
        )

    @strawberry.field(description="The partner, when grouped by partner.")
    async def partner(self, info: Info) -> Partner | None:
        return await partner_of(info, self.key) if self.is_partner else None


@strawberry.type(description="Pipeline, commits, wins and actual revenue of a period, by group.")
class Forecast:
    period: ReportPeriod = strawberry.field(
        description="The period forecast: opportunities expected to close in "
        "it, revenue delivered in it."
    )
    group_by: report.ForecastGroup = strawberry.field(description="What the rows are.")
    reporting_currency: str = strawberry.field(
        description="The ISO 4217 currency every figure is converted to."
    )
    ended: bool = strawberry.field(description="The period is over: accuracy can be measured.")
    rows: list[ForecastRow] = strawberry.field(
        description="By weighted pipeline, then commit, then actual revenue, highest first."
    )
    total: ForecastRow = strawberry.field(description="Every group together (key TOTAL).")
    missing_rates: list[MissingRate] = strawberry.field(
        description="Amounts left out for want of an exchange rate."
    )

    @classmethod
    def of(cls, found: report.Forecast) -> Forecast:
        by_partner = found.group_by is report.ForecastGroup.PARTNER
        return cls(
            period=ReportPeriod.of(found.period),
            group_by=found.group_by,
            reporting_currency=found.reporting_currency,
            ended=found.ended,
            rows=[ForecastRow.of(row, is_partner=by_partner) for row in found.rows],
            total=ForecastRow.of(found.total, is_partner=False),
            missing_rates=[
                MissingRate(currency=item.currency, amount_minor=MinorUnits(item.amount_minor))
                for item in found.missing_rates
            ],
        )
