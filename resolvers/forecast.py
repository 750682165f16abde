"""Root fields of forecasting: stages, opportunities, partner commits and the forecast."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.forecast import commits, opportunities, report
from hub.forecast.rules import OpportunityChanges, OpportunityStatus, StageInput
from schema.analytics import PeriodInput, resolved_period
from schema.arguments import After, ExpectedVersion, First, Id
from schema.context import Info
from schema.forecast import (
    Forecast,
    ForecastCommit,
    ForecastCommitInput,
    Opportunity,
    OpportunityFilter,
    OpportunityInput,
    OpportunityStage,
    OpportunityStageInput,
)
from schema.inputs import to_hub
from schema.relay import Connection, page_request


@strawberry.type
class ForecastQuery:
    @strawberry.field(description="The vendor's sales stages in order, with their probabilities.")
    async def opportunity_stages(self, info: Info) -> list[OpportunityStage]:
        found = await opportunities.list_stages(
            info.context.hub, principal=info.context.require_principal()
        )
        return [OpportunityStage.of(stage) for stage in found]

    @strawberry.field(
        description="Opportunities the caller may see, newest first: vendor-side accounts "
        "all, a partner its own, a distributor also its sub-resellers'."
    )
    async def opportunities(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            OpportunityFilter | None,
            strawberry.argument(
                description="Which opportunities to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Opportunity]:
        page = await opportunities.list_opportunities(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or OpportunityFilter(), opportunities.OpportunityFilter),
            page=page_request(info, first, after),
        )
        return Connection[Opportunity].of(page, Opportunity.from_model)

    @strawberry.field(description="One opportunity the caller may see.")
    async def opportunity(self, info: Info, id: Id) -> Opportunity:
        model = await opportunities.get(
            info.context.hub, principal=info.context.require_principal(), opportunity_id=id
        )
        return Opportunity.from_model(model)

    @strawberry.field(
        description="Commits for the months and quarters within a period the caller may see."
    )
    async def forecast_commits(
        self,
        info: Info,
        period: Annotated[
            PeriodInput,
            strawberry.argument(
                description="The period whose months and quarters to list commits of."
            ),
        ],
    ) -> list[ForecastCommit]:
        found = await commits.list_commits(
            info.context.hub,
            principal=info.context.require_principal(),
            period=resolved_period(info, period),
        )
        return [ForecastCommit.from_model(model) for model in found]

    @strawberry.field(
        description="The forecast of a period: weighted pipeline expected to close in it, "
        "commits and best cases, wins and actual revenue, with accuracy once it ended "
        "(vendor-side accounts the channel; a partner its own slice)."
    )
    async def forecast(
        self,
        info: Info,
        period: Annotated[PeriodInput, strawberry.argument(description="The period to forecast.")],
        group_by: Annotated[
            report.ForecastGroup, strawberry.argument(description="What the rows are.")
        ] = report.ForecastGroup.PARTNER,
    ) -> Forecast:
        found = await report.forecast(
            info.context.hub,
            principal=info.context.require_principal(),
            period=resolved_period(info, period),
            group_by=group_by,
        )
        return Forecast.of(found)


@strawberry.type
class ForecastMutation:
    @strawberry.mutation(
        description="Replace the sales stages (vendor admins); stages open opportunities are "
        "in must stay."
    )
    async def set_opportunity_stages(
        self,
        info: Info,
        stages: Annotated[
            list[OpportunityStageInput],
            strawberry.argument(description="Every stage, in the order of the sales process."),
        ],
    ) -> list[OpportunityStage]:
        found = await opportunities.set_stages(
            info.context.hub,
            principal=info.context.require_principal(),
            stages_in=[to_hub(stage, StageInput) for stage in stages],
        )
        return [OpportunityStage.of(stage) for stage in found]

    @strawberry.mutation(
        description="Move an open opportunity to another stage, or set its probability, "
        "expected close date or amount (the partner holding it, or vendor staff)."
    )
    async def update_opportunity(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            OpportunityInput,
            strawberry.argument(description="What to change; omitted fields stay."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> Opportunity:
        given = {key for key, value in vars(input).items() if value is not strawberry.UNSET}
        amount = input.amount if "amount" in given else None
        changes = OpportunityChanges(
            stage=input.stage if "stage" in given else None,
            probability_percent=input.probability_percent
            if "probability_percent" in given
            else None,
            expected_close=input.expected_close if "expected_close" in given else None,
            amount_minor=int(amount.amount_minor) if amount else None,
            currency=amount.currency if amount else None,
            given=frozenset({"amount_minor" if key == "amount" else key for key in given}),
        )
        model = await opportunities.update(
            info.context.hub,
            principal=info.context.require_principal(),
            opportunity_id=id,
            changes=changes,
            expected_version=expected_version,
        )
        return Opportunity.from_model(model)

    @strawberry.mutation(
        description="Close a deal registration's opportunity as WON or LOST (a reason is "
        "required for LOST); a lead's opportunity closes when the lead is moved (updateLeadStatus)."
    )
    async def close_opportunity(
        self,
        info: Info,
        id: Id,
        outcome: Annotated[OpportunityStatus, strawberry.argument(description="WON or LOST.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why it was lost; required with LOST.")
        ] = None,
    ) -> Opportunity:
        model = await opportunities.close(
            info.context.hub,
            principal=info.context.require_principal(),
            opportunity_id=id,
            outcome=outcome,
            reason=reason,
        )
        return Opportunity.from_model(model)

    @strawberry.mutation(
        description="Set your organization's commit and best case for a month or quarter "
        "not yet ended and a product line; submitting again replaces them (partners)."
    )
    async def submit_forecast_commit(
        self,
        info: Info,
        input: Annotated[
            ForecastCommitInput,
            strawberry.argument(description="The period, product line, commit and best case."),
        ],
    ) -> ForecastCommit:
        model = await commits.submit(
            info.context.hub,
            principal=info.context.require_principal(),
            data=commits.CommitInput(
                period=resolved_period(info, input.period),
                product_line=input.product_line,
                commit_minor=int(input.commit.amount_minor),
                best_case_minor=int(input.best_case.amount_minor),
                currency=input.commit.currency,
                best_case_currency=input.best_case.currency,
            ),
        )
        return ForecastCommit.from_model(model)
