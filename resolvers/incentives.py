"""Root fields of incentive programs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from hub.incentives import rules
from hub.incentives import service as incentives
from schema.arguments import After, EventsAfter, ExpectedVersion, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.incentives import (
    IncentiveEvent,
    IncentivePayout,
    IncentiveProgram,
    IncentiveProgramChangesInput,
    IncentiveProgramFilter,
    IncentiveProgramInput,
    IncentiveRecomputation,
    IncentiveStatement,
)
from schema.inputs import to_hub
from schema.relay import Connection, page_request
from schema.scalars import MoneyInput


@strawberry.type
class IncentivesQuery:
    @strawberry.field(
        description="Incentive programs, newest first: vendor-side accounts all, partners the "
        "active and closed ones."
    )
    async def incentive_programs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            IncentiveProgramFilter | None,
            strawberry.argument(
                description="Which programs to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[IncentiveProgram]:
        page = await incentives.list_programs(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or IncentiveProgramFilter(), rules.ProgramFilter),
            page=page_request(info, first, after),
        )
        return Connection[IncentiveProgram].of(page, IncentiveProgram.from_model)

    @strawberry.field(description="One incentive program the caller may see.")
    async def incentive_program(self, info: Info, id: Id) -> IncentiveProgram:
        model = await incentives.get(
            info.context.hub, principal=info.context.require_principal(), program_id=id
        )
        return IncentiveProgram.from_model(model)

    @strawberry.field(
        description="A partner's statement in a program: your own organization by default; a "
        "distributor may name its resellers, vendor-side accounts any partner."
    )
    async def incentive_statement(
        self,
        info: Info,
        program_id: Annotated[
            strawberry.ID, strawberry.argument(description="The program whose earnings to state.")
        ],
        partner_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The partner whose statement to read; the caller's own "
                "organization when left out."
            ),
        ] = None,
    ) -> IncentiveStatement:
        found = await incentives.statement(
            info.context.hub,
            principal=info.context.require_principal(),
            program_id=program_id,
            partner_id=partner_id,
        )
        return IncentiveStatement.of(found)


@strawberry.type
class IncentivesMutation:
    @strawberry.mutation(description="Draft an incentive program with its rules (vendor staff).")
    async def create_incentive_program(
        self,
        info: Info,
        input: Annotated[
            IncentiveProgramInput, strawberry.argument(description="The new program and its rules.")
        ],
    ) -> IncentiveProgram:
        model = await incentives.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, rules.ProgramInput),
        )
        return IncentiveProgram.from_model(model)

    @strawberry.mutation(
        description="Change a DRAFT program (vendor staff); with `expectedVersion`, CONFLICT "
        "when someone changed it first."
    )
    async def update_incentive_program(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            IncentiveProgramChangesInput,
            strawberry.argument(description="The fields to change; only those given change."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> IncentiveProgram:
        model = await incentives.update(
            info.context.hub,
            principal=info.context.require_principal(),
            program_id=id,
            changes=to_hub(input, rules.ProgramChanges),
            expected_version=expected_version,
        )
        return IncentiveProgram.from_model(model)

    @strawberry.mutation(
        description="Start a DRAFT program (vendor staff): what partners delivered and won in "
        "its period so far accrues at once, the rest as it happens."
    )
    async def activate_incentive_program(self, info: Info, id: Id) -> IncentiveProgram:
        model = await incentives.activate(
            info.context.hub, principal=info.context.require_principal(), program_id=id
        )
        return IncentiveProgram.from_model(model)

    @strawberry.mutation(description="Close an ACTIVE program (vendor staff): its ledger is final.")
    async def close_incentive_program(self, info: Info, id: Id) -> IncentiveProgram:
        model = await incentives.close(
            info.context.hub, principal=info.context.require_principal(), program_id=id
        )
        return IncentiveProgram.from_model(model)

    @strawberry.mutation(
        description="Recompute an active program's accruals from raw orders for every partner, "
        "writing only differences (after an exchange rate or a tier changed; vendor staff)."
    )
    async def recompute_incentives(
        self,
        info: Info,
        program_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The ACTIVE or CLOSED program to recompute."),
        ],
    ) -> IncentiveRecomputation:
        found = await incentives.recompute(
            info.context.hub, principal=info.context.require_principal(), program_id=program_id
        )
        return IncentiveRecomputation(
            program=IncentiveProgram.from_model(found.program), adjustments=found.adjustments
        )

    @strawberry.mutation(
        description="Record a payout to a partner against its balance (vendor staff or the "
        "ERP): CONFLICT past the balance or for a reference already recorded."
    )
    async def record_incentive_payout(
        self,
        info: Info,
        program_id: Annotated[
            strawberry.ID, strawberry.argument(description="The program paid out of.")
        ],
        partner_id: Annotated[strawberry.ID, strawberry.argument(description="The partner paid.")],
        amount: Annotated[
            MoneyInput,
            strawberry.argument(
                description="What was paid, in the program's currency; at most the balance."
            ),
        ],
        reference: Annotated[
            str, strawberry.argument(description="The ERP's payment reference, unique per partner.")
        ],
        note: Annotated[
            str | None, strawberry.argument(description="A note on the payout.")
        ] = None,
    ) -> IncentivePayout:
        model = await incentives.record_payout(
            info.context.hub,
            principal=info.context.require_principal(),
            program_id=program_id,
            partner_id=partner_id,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            reference=reference,
            note=note,
        )
        return IncentivePayout.from_model(model)


@strawberry.type
class IncentivesSubscription:
    @strawberry.subscription(
        description="INCENTIVE_ACCRUED (accruals and clawbacks) and INCENTIVE_PAID, for the "
        "partner, its distributor and vendor staff; `after` replays what was missed."
    )
    async def incentive_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[IncentiveEvent, None]:
        async with subscribe(info, {rules.TOPIC}, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield IncentiveEvent.from_event(event)
