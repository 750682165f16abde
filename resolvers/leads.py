"""Root fields of leads, deal registration and the live lead events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry

from hub.errors import BadInput
from hub.leads import activity, deals, policy, sourcing
from hub.leads import rules as lead_rules
from hub.leads import service as lead_service
from hub.leads.deals import DealStatus
from hub.leads.rules import DeclineReason, LeadStatus
from hub.partners import Tier
from hub.routing import Weights
from schema.arguments import After, EventsAfter, ExpectedVersion, First, Id
from schema.context import Info
from schema.deals import DealInput, DealRegistration
from schema.events import parse_cursor, subscribe
from schema.identity import IdentityLoaders
from schema.inputs import to_hub
from schema.leads import (
    Lead,
    LeadEvent,
    LeadFilter,
    LeadFollowUp,
    LeadInput,
    LeadNote,
    LeadSettings,
    LeadSettingsInput,
)
from schema.loading import prefetch
from schema.relay import Connection, page_request, selects

# The sources attributeLead and attributeDealRegistration name.
SourceFundRequest = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The APPROVED fund request it came from; null clears it, omitted leaves it."
    ),
]
SourceCampaign = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="The campaign it came from; null clears it, omitted leaves it."
    ),
]


@strawberry.type
class LeadsQuery:
    @strawberry.field(description="Leads the caller may see, newest first.")
    async def leads(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            LeadFilter | None,
            strawberry.argument(
                description="Which leads to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Lead]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or LeadFilter()
        result = await lead_service.list_leads(
            hub,
            principal=principal,
            filter=to_hub(wanted, lead_service.LeadFilter),
            page=page_request(info, first, after),
        )
        if selects(info, "edges", "node", "partner"):
            loader = IdentityLoaders.of(info).partner_by_id
            await prefetch(loader, (lead.partner_id for lead in result.items))
        return Connection[Lead].of(result, Lead.from_model)

    @strawberry.field(description="One lead the caller may see.")
    async def lead(self, info: Info, id: Id) -> Lead:
        model = await lead_service.get(
            info.context.hub, principal=info.context.require_principal(), lead_id=id
        )
        return Lead.from_model(model)

    @strawberry.field(description="Deal registrations the caller may see, newest first.")
    async def deal_registrations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        statuses: Annotated[
            list[DealStatus] | None,
            strawberry.argument(
                description="Only registrations with one of these statuses; all when left out."
            ),
        ] = None,
    ) -> Connection[DealRegistration]:
        principal, hub = info.context.require_principal(), info.context.hub
        result = await deals.list_deals(
            hub,
            principal=principal,
            statuses=statuses or (),
            page=page_request(info, first, after),
        )
        return Connection[DealRegistration].of(result, DealRegistration.from_model)

    @strawberry.field(description="One deal registration the caller may see.")
    async def deal_registration(self, info: Info, id: Id) -> DealRegistration:
        model = await deals.get(
            info.context.hub, principal=info.context.require_principal(), deal_id=id
        )
        return DealRegistration.from_model(model)

    @strawberry.field(description="Routing and deal-registration settings (vendor staff).")
    async def lead_settings(self, info: Info) -> LeadSettings:
        return LeadSettings.from_model(
            await policy.get(info.context.hub, principal=info.context.require_principal())
        )


@strawberry.type
class LeadsMutation:
    @strawberry.mutation(
        description="Create a lead (vendor staff); it is routed at once unless route is false."
    )
    async def create_lead(
        self,
        info: Info,
        input: Annotated[
            LeadInput,
            strawberry.argument(
                description="The new lead: customer, place, product line and value."
            ),
        ],
        route: Annotated[
            bool,
            strawberry.argument(
                description="False to keep the lead NEW, to route or assign it later."
            ),
        ] = True,
    ) -> Lead:
        value = input.estimated_value
        money = {"value_minor": value.amount_minor, "currency": value.currency} if value else {}
        data = to_hub(input, lead_rules.LeadInput, **money)
        model = await lead_service.create(
            info.context.hub, principal=info.context.require_principal(), data=data, route_now=route
        )
        return Lead.from_model(model)

    @strawberry.mutation(
        description="Name the sources a lead came from: `fundRequestId` a funded activity (an "
        "APPROVED fund request), `campaignId` a vendor campaign; null clears that source and "
        "an argument left out keeps it (vendor staff, or the partner holding the lead naming "
        "one of its channel's requests or a campaign it joined)."
    )
    async def attribute_lead(
        self,
        info: Info,
        id: Id,
        fund_request_id: SourceFundRequest = strawberry.UNSET,
        campaign_id: SourceCampaign = strawberry.UNSET,
    ) -> Lead:
        model = await lead_service.attribute(
            info.context.hub,
            principal=info.context.require_principal(),
            lead_id=id,
            named=_named(fund_request_id, campaign_id),
        )
        return Lead.from_model(model)

    @strawberry.mutation(
        description="Name the sources a deal registration came from, as for leads (vendor "
        "staff, or the registering partner)."
    )
    async def attribute_deal_registration(
        self,
        info: Info,
        id: Id,
        fund_request_id: SourceFundRequest = strawberry.UNSET,
        campaign_id: SourceCampaign = strawberry.UNSET,
    ) -> DealRegistration:
        model = await deals.attribute(
            info.context.hub,
            principal=info.context.require_principal(),
            deal_id=id,
            named=_named(fund_request_id, campaign_id),
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(description="Route a NEW, RECYCLED or UNASSIGNABLE lead (vendor staff).")
    async def route_lead(self, info: Info, id: Id) -> Lead:
        model = await lead_service.route_lead(
            info.context.hub, principal=info.context.require_principal(), lead_id=id
        )
        return Lead.from_model(model)

    @strawberry.mutation(
        description="Offer a lead to a chosen partner (vendor staff), never against conflict."
    )
    async def assign_lead(
        self,
        info: Info,
        id: Id,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The partner to offer the lead to.")
        ],
    ) -> Lead:
        model = await lead_service.assign_to(
            info.context.hub,
            principal=info.context.require_principal(),
            lead_id=id,
            partner_id=partner_id,
        )
        return Lead.from_model(model)

    @strawberry.mutation(description="Take a lead back into the pool (vendor staff).")
    async def recycle_lead(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            str, strawberry.argument(description="Why the lead is taken back, kept in its history.")
        ],
    ) -> Lead:
        model = await lead_service.recycle(
            info.context.hub, principal=info.context.require_principal(), lead_id=id, reason=reason
        )
        return Lead.from_model(model)

    @strawberry.mutation(description="Accept a lead offered to your organization.")
    async def accept_lead(self, info: Info, id: Id) -> Lead:
        model = await lead_service.accept(
            info.context.hub, principal=info.context.require_principal(), lead_id=id
        )
        return Lead.from_model(model)

    @strawberry.mutation(
        description="Decline an offered lead; it goes to the next partner at once."
    )
    async def decline_lead(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            DeclineReason, strawberry.argument(description="Why the partner declines the offer.")
        ],
        note: Annotated[
            str | None,
            strawberry.argument(description="More on the reason, in the partner's words."),
        ] = None,
    ) -> bool:
        await lead_service.decline(
            info.context.hub,
            principal=info.context.require_principal(),
            lead_id=id,
            reason=reason,
            note=note,
        )
        return True

    @strawberry.mutation(
        description="Move an accepted lead: CONTACTED, QUALIFIED, WON or LOST (with a reason)."
    )
    async def update_lead_status(
        self,
        info: Info,
        id: Id,
        status: Annotated[
            LeadStatus,
            strawberry.argument(description="The next status: CONTACTED, QUALIFIED, WON or LOST."),
        ],
        reason: Annotated[
            str | None,
            strawberry.argument(description="Why the lead was lost; required with LOST."),
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> Lead:
        model = await lead_service.move(
            info.context.hub,
            principal=info.context.require_principal(),
            lead_id=id,
            status=status,
            reason=reason,
            expected_version=expected_version,
        )
        return Lead.from_model(model)

    @strawberry.mutation(
        description="Add a note to a lead the caller may see; partners' notes "
        "stay within their organization and the vendor."
    )
    async def add_lead_note(
        self,
        info: Info,
        id: Id,
        body: Annotated[str, strawberry.argument(description="The note's text (plain text).")],
    ) -> LeadNote:
        note = await activity.add_note(
            info.context.hub, principal=info.context.require_principal(), lead_id=id, body=body
        )
        return LeadNote.from_model(note)

    @strawberry.mutation(description="Plan a follow-up on a lead the caller's organization works.")
    async def add_lead_follow_up(
        self,
        info: Info,
        id: Id,
        title: Annotated[
            str, strawberry.argument(description='What to do, e.g. "Call back about pricing".')
        ],
        due_at: Annotated[
            datetime, strawberry.argument(description="When it is due (RFC 3339; stored in UTC).")
        ],
    ) -> LeadFollowUp:
        model = await activity.add_follow_up(
            info.context.hub,
            principal=info.context.require_principal(),
            lead_id=id,
            title=title,
            due_at=due_at,
        )
        return LeadFollowUp.from_model(model)

    @strawberry.mutation(description="Mark a follow-up done, now.")
    async def complete_lead_follow_up(self, info: Info, id: Id) -> LeadFollowUp:
        model = await activity.complete_follow_up(
            info.context.hub, principal=info.context.require_principal(), follow_up_id=id
        )
        return LeadFollowUp.from_model(model)

    @strawberry.mutation(description="Register a deal you found; conflicts are caught at once.")
    async def register_deal(
        self,
        info: Info,
        input: Annotated[
            DealInput,
            strawberry.argument(description="The customer, product line and value of the deal."),
        ],
    ) -> DealRegistration:
        value = input.value
        data = to_hub(
            input, deals.DealInput, value_minor=value.amount_minor, currency=value.currency
        )
        model = await deals.register(
            info.context.hub, principal=info.context.require_principal(), data=data
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(
        description="Approve a PENDING registration (vendor staff): the "
        "customer is protected for protectionDays."
    )
    async def approve_deal_registration(self, info: Info, id: Id) -> DealRegistration:
        model = await deals.approve(
            info.context.hub, principal=info.context.require_principal(), deal_id=id
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(description="Reject a PENDING registration with a reason (vendor staff).")
    async def reject_deal_registration(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            str, strawberry.argument(description="Why, shown to the registering partner.")
        ],
    ) -> DealRegistration:
        model = await deals.reject(
            info.context.hub, principal=info.context.require_principal(), deal_id=id, reason=reason
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(
        description="Ask for a longer protection window of an APPROVED "
        "registration (the registering partner)."
    )
    async def request_deal_extension(
        self,
        info: Info,
        id: Id,
        days: Annotated[
            int, strawberry.argument(description="How many more days of protection: 1 to 365.")
        ],
        reason: Annotated[
            str,
            strawberry.argument(
                description="Why the deal needs longer, for the vendor's decision."
            ),
        ],
    ) -> DealRegistration:
        model = await deals.request_extension(
            info.context.hub,
            principal=info.context.require_principal(),
            deal_id=id,
            days=days,
            reason=reason,
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(
        description="Grant the requested extension (vendor staff): the "
        "protection ends that many days later."
    )
    async def approve_deal_extension(self, info: Info, id: Id) -> DealRegistration:
        model = await deals.approve_extension(
            info.context.hub, principal=info.context.require_principal(), deal_id=id
        )
        return DealRegistration.from_model(model)

    @strawberry.mutation(
        description="Change routing and deal-registration settings (vendor staff)."
    )
    async def update_lead_settings(
        self,
        info: Info,
        input: Annotated[
            LeadSettingsInput,
            strawberry.argument(
                description="The settings to change; omitted ones stay as they are."
            ),
        ],
    ) -> LeadSettings:
        changes: dict[str, Any] = {
            key: value
            for key, value in vars(input).items()
            if value is not strawberry.UNSET and value is not None
        }
        if "weights" in changes:
            changes["weights"] = Weights(**vars(changes["weights"]))
        if "auto_approve_tiers" in changes:
            changes["auto_approve_tiers"] = frozenset(
                Tier(tier) for tier in changes["auto_approve_tiers"]
            )
        model = await policy.update(
            info.context.hub, principal=info.context.require_principal(), changes=changes
        )
        return LeadSettings.from_model(model)


@strawberry.type
class LeadsSubscription:
    @strawberry.subscription(
        description="Live lead and deal events; with `after`, missed events are replayed first."
    )
    async def lead_events(
        self, info: Info, after: EventsAfter = None
    ) -> AsyncGenerator[LeadEvent, None]:
        async with subscribe(info, {lead_rules.TOPIC}, after=parse_cursor(after)) as stream:
            async for event in stream:
                yield LeadEvent.from_event(event)


def _named(fund_request_id: str | None, campaign_id: str | None) -> sourcing.Named:
    """The sources given; an argument left out (UNSET) keeps that source."""
    if fund_request_id is strawberry.UNSET and campaign_id is strawberry.UNSET:
        raise BadInput("name a fundRequestId or a campaignId (null clears one)", field="id")
    return sourcing.Named(
        sourcing.KEEP if fund_request_id is strawberry.UNSET else fund_request_id,
        sourcing.KEEP if campaign_id is strawberry.UNSET else campaign_id,
    )
