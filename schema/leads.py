"""GraphQL types of leads: the lead, its history, the routing explanation, settings."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub.events import DomainEvent
from hub.forecast import opportunities
from hub.leads import activity as lead_activity
from hub.leads import deals as deal_service
from hub.leads import service as lead_service
from hub.leads.deals import ConflictView, conflict_view
from hub.leads.policy import LeadSettings as LeadSettingsModel
from hub.leads.rules import DeclineReason, LeadEventType, LeadSource, LeadStatus, Outcome
from hub.partners import Tier
from hub.routing import Exclusion, Step, Strategy
from hub.routing.model import NEUTRAL
from schema.context import Info
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.loading import LoaderSet, at_once, loader
from schema.partners import Partner
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models import Lead as LeadModel
from storage.models import LeadActivity as LeadActivityModel
from storage.models import LeadAssignment as LeadAssignmentModel
from storage.models import LeadNote as LeadNoteModel

if TYPE_CHECKING:
    from schema.campaigns import Campaign
    from schema.deals import DealRegistration
    from schema.forecast import Opportunity
    from schema.funds import FundRequest

strawberry.enum(LeadStatus, name="LeadStatus")
strawberry.enum(LeadSource, name="LeadSource")
strawberry.enum(DeclineReason, name="DeclineReason")
strawberry.enum(Outcome, name="OfferOutcome")
strawberry.enum(Strategy, name="RoutingStrategy")
strawberry.enum(Step, name="RoutingStep")
strawberry.enum(Exclusion, name="ExclusionReason")


@strawberry.type
class ScoreComponents:
    tier: float
    acceptance: float
    speed: float
    win: float
    distance: float
    performance: float = strawberry.field(
        description="The recent results of the leads routed to the partner: half the win rate "
        "of their opportunities closed in the last 90 days, half their won revenue (reporting "
        "currency) relative to the channel's best; 0.5 when none closed (and in decisions made "
        "before this component existed)."
    )


@strawberry.type(description="A partner considered for the lead, with its score.")
class RoutingCandidate:
    partner_id: strawberry.ID
    name: str
    tier: str
    score: float
    distance_km: float | None
    components: ScoreComponents


@strawberry.type(description="A partner considered and excluded, with the reason.")
class RoutingExclusion:
    partner_id: strawberry.ID
    name: str
    reason: Exclusion


@strawberry.type(
    description=(
        "The customer was already claimed by a partner. Partners learn only that it was; "
        "vendor-side accounts also see who, and through which record."
    )
)
class ChannelConflict:
    message: str
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner that owns the customer; vendor-side accounts only."
    )
    kind: str | None = strawberry.field(
        description="LEAD or DEAL_REGISTRATION; vendor-side accounts only."
    )
    record_id: strawberry.ID | None = strawberry.field(
        description="The lead or registration that owns it; vendor-side accounts only."
    )

    @classmethod
    def from_view(cls, view: ConflictView | None) -> ChannelConflict | None:
        if view is None:
            return None
        return cls(
            message=view.message,
            partner_id=strawberry.ID(view.partner_id) if view.partner_id else None,
            kind=view.kind,
            record_id=strawberry.ID(view.record_id) if view.record_id else None,
        )


@strawberry.type(description="Why the lead went where it went.")
class RoutingDecision:
    decided_at: datetime
    strategy: Strategy
    step: Step | None
    steps_tried: list[Step]
    chosen_partner_id: strawberry.ID | None
    note: str | None
    conflict: ChannelConflict | None
    candidates: list[RoutingCandidate] = strawberry.field(
        description="The best ten qualifying partners with their scores (and the chosen one)."
    )
    excluded: list[RoutingExclusion]
    unlisted_candidates: int = strawberry.field(
        description="Qualifying (or not yet checked) partners below the listed candidates: "
        "scored lower, or, with BEST_SCORE, never scored because they could not rank higher."
    )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoutingDecision:
        return cls(
            decided_at=datetime.fromisoformat(data["decidedAt"]),
            strategy=Strategy(data["strategy"]),
            step=Step(data["step"]) if data.get("step") else None,
            steps_tried=[Step(step) for step in data.get("stepsTried", [])],
            chosen_partner_id=data.get("chosen"),
            note=data.get("note"),
            conflict=ChannelConflict.from_view(conflict_view(data.get("conflict"), full=True)),
            candidates=[
                RoutingCandidate(
                    partner_id=item["partnerId"],
                    name=item["name"],
                    tier=item["tier"],
                    score=item["score"],
                    distance_km=item["distanceKm"],
                    components=ScoreComponents(**{"performance": NEUTRAL, **item["components"]}),
                )
                for item in data.get("candidates", [])
            ],
            excluded=[
                RoutingExclusion(
                    partner_id=item["partnerId"],
                    name=item["name"],
                    reason=Exclusion(item["reason"]),
                )
                for item in data.get("excluded", [])
            ],
            unlisted_candidates=int(data.get("unlisted", 0)),
        )


@strawberry.type(description="One offer of the lead to a partner and how it ended.")
class LeadAssignment:
    rule: str
    offered_at: datetime
    outcome: Outcome
    outcome_at: datetime | None
    reason: str | None
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: LeadAssignmentModel) -> LeadAssignment:
        return cls(
            rule=model.rule,
            offered_at=model.offered_at,
            outcome=Outcome(model.outcome),
            outcome_at=model.outcome_at,
            reason=model.reason,
            partner_id=model.partner_id,
        )

    @strawberry.field
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(self.partner_id)
        return Partner.from_model(model) if model else None


@strawberry.type
class LeadNote:
    id: strawberry.ID
    body: str
    created_at: datetime
    author_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, model: LeadNoteModel) -> LeadNote:
        return cls(
            id=strawberry.ID(model.id),
            body=model.body,
            created_at=model.created_at,
            author_id=model.author_id,
        )

    @strawberry.field
    async def author(self, info: Info) -> User | None:
        if self.author_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.author_id)
        return User.from_model(model) if model else None


@strawberry.type(description="A follow-up to do on a lead.")
class LeadFollowUp:
    id: strawberry.ID
    title: str
    due_at: datetime
    done_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, model: LeadActivityModel) -> LeadFollowUp:
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            due_at=model.due_at,
            done_at=model.done_at,
            created_at=model.created_at,
        )


@strawberry.type(description="A sales opportunity handed to, or found by, a partner.")
class Lead:
    id: strawberry.ID
    customer_company: str
    contact_name: str | None
    email: str | None
    phone: str | None
    country: str
    region: str | None
    postal_code: str | None
    latitude: float | None
    longitude: float | None
    product_line: str
    estimated_value: Money
    expected_close: date | None
    source: LeadSource
    status: LeadStatus
    lost_reason: str | None
    offered_at: datetime | None
    offer_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    partner_id: strawberry.Private[str | None]
    routing_data: strawberry.Private[dict[str, Any] | None]
    external_id_data: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, model: LeadModel) -> Lead:
        return cls(
            id=strawberry.ID(model.id),
            customer_company=model.customer_company,
            contact_name=model.contact_name,
            email=model.email,
            phone=model.phone,
            country=model.country,
            region=model.region,
            postal_code=model.postal_code,
            latitude=model.latitude,
            longitude=model.longitude,
            product_line=model.product_line,
            estimated_value=Money(
                amount_minor=MinorUnits(model.value_minor), currency=model.currency
            ),
            expected_close=model.expected_close,
            source=LeadSource(model.source),
            status=LeadStatus(model.status),
            lost_reason=model.lost_reason,
            offered_at=model.offered_at,
            offer_expires_at=model.offer_expires_at,
            created_at=model.created_at,
            updated_at=model.updated_at,
            version=model.version,
            partner_id=model.partner_id,
            routing_data=model.routing,
            external_id_data=model.external_id,
        )

    @strawberry.field(
        description="The vendor CRM's id of the lead; vendor staff and integrations only "
        "(null for partners)."
    )
    def external_id(self, info: Info) -> str | None:
        return self.external_id_data if info.context.require_principal().is_vendor else None

    @strawberry.field(
        description="The partner the lead is offered to or owned by.", graphql_type=Partner | None
    )
    def partner(self, info: Info) -> Partner | Awaitable[Partner | None] | None:
        if self.partner_id is None:
            return None
        return at_once(IdentityLoaders.of(info).partner_by_id, self.partner_id, Partner.maybe)

    @strawberry.field(
        description="The latest routing decision; vendor staff only (null for partners)."
    )
    def routing(self, info: Info) -> RoutingDecision | None:
        if not info.context.require_principal().is_vendor or self.routing_data is None:
            return None
        return RoutingDecision.from_json(self.routing_data)

    @strawberry.field(description="Offers of this lead; a partner sees only its own.")
    async def assignments(self, info: Info) -> list[LeadAssignment]:
        rows = await LeadLoaders.of(info).assignments_by_lead.load(self.id)
        return [LeadAssignment.from_model(row) for row in rows]

    @strawberry.field(description="Notes; a partner sees its own organization's and the vendor's.")
    async def notes(self, info: Info) -> list[LeadNote]:
        rows = await LeadLoaders.of(info).notes_by_lead.load(self.id)
        return [LeadNote.from_model(row) for row in rows]

    @strawberry.field(
        description="Follow-ups by due date; partners see only their own organization's."
    )
    async def follow_ups(self, info: Info) -> list[LeadFollowUp]:
        rows = await LeadLoaders.of(info).follow_ups_by_lead.load(self.id)
        return [LeadFollowUp.from_model(row) for row in rows]

    @strawberry.field(
        description="Its opportunity once a partner accepted it (the newest, if recycled)."
    )
    async def opportunity(
        self, info: Info
    ) -> Annotated[Opportunity, strawberry.lazy("schema.forecast")] | None:
        from schema.forecast import ForecastLoaders, Opportunity  # it imports schema.analytics

        model = await ForecastLoaders.of(info).opportunity_by_lead.load(str(self.id))
        return Opportunity.maybe(model)

    @strawberry.field(
        description="The funded activity it came from, if it names one the caller may see."
    )
    async def fund_request(
        self, info: Info
    ) -> Annotated[FundRequest, strawberry.lazy("schema.funds")] | None:
        from schema.funds import FundsLoaders, fund_request_of  # it imports schema.partners

        source = await FundsLoaders.of(info).source_by_lead.load(str(self.id))
        return await fund_request_of(info, source)

    @strawberry.field(description="The campaign it came from, if it names one the caller may see.")
    async def campaign(
        self, info: Info
    ) -> Annotated[Campaign, strawberry.lazy("schema.campaigns")] | None:
        from schema.campaigns import CampaignLoaders, campaign_of  # it imports schema.partners

        source = await CampaignLoaders.of(info).campaign_source_by_lead.load(str(self.id))
        return await campaign_of(info, source)


@strawberry.input
class LeadInput:
    customer_company: str
    country: str
    product_line: str
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    estimated_value: MoneyInput | None = None
    expected_close: date | None = None
    source: LeadSource = LeadSource.VENDOR
    fund_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The funded activity (an APPROVED fund request) it came from."
    )
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The vendor campaign it came from (partners: one your organization joined).",
    )
    external_id: str | None = strawberry.field(
        default=None,
        description="The vendor CRM's id of the lead (unique; upsertLeads finds it by this).",
    )


@strawberry.input
class LeadFilter:
    statuses: list[LeadStatus] | None = None
    partner_id: strawberry.ID | None = None
    product_line: str | None = None
    country: str | None = None
    search: str | None = None


@strawberry.type(description="How leads are routed and deals protected.")
class LeadSettings:
    strategy: Strategy
    weights: ScoreComponents
    radius_km: float
    acceptance_hours: int
    protection_days: int
    auto_approve_tiers: list[Tier]
    conflict_policy: str
    required_certifications: list[str] = strawberry.field(
        description="Product lines for which a partner needs a user with a valid certification "
        "to be offered leads of that line."
    )

    @classmethod
    def from_model(cls, model: LeadSettingsModel) -> LeadSettings:
        return cls(
            strategy=model.strategy,
            weights=ScoreComponents(**vars(model.weights)),
            radius_km=model.radius_km,
            acceptance_hours=model.acceptance_hours,
            protection_days=model.protection_days,
            auto_approve_tiers=sorted(model.auto_approve_tiers),
            conflict_policy=model.conflict_policy,
            required_certifications=sorted(model.required_certifications),
        )


@strawberry.input(description="The relative weights of the score components, all replaced.")
class WeightsInput:
    tier: float
    acceptance: float
    speed: float
    win: float
    distance: float
    performance: float = strawberry.field(
        default=0.0, description="Recent win rate and won revenue of routed leads; 0 when omitted."
    )


@strawberry.input(description="Settings to change; omitted ones stay as they are.")
class LeadSettingsInput:
    strategy: Strategy | None = strawberry.UNSET
    weights: WeightsInput | None = strawberry.UNSET
    radius_km: float | None = strawberry.UNSET
    acceptance_hours: int | None = strawberry.UNSET
    protection_days: int | None = strawberry.UNSET
    auto_approve_tiers: list[Tier] | None = strawberry.UNSET
    conflict_policy: str | None = strawberry.UNSET
    required_certifications: list[str] | None = strawberry.UNSET


class LeadLoaders(LoaderSet):
    """Leads by id and a lead's notes, follow-ups and assignments."""

    lead_by_id = loader[str, LeadModel | None](
        lambda hub, principal, ids: lead_service.by_ids(hub, principal=principal, ids=ids)
    )
    notes_by_lead = loader[str, list[LeadNoteModel]](
        lambda hub, principal, ids: lead_activity.notes_by_lead(hub, principal=principal, ids=ids)
    )
    follow_ups_by_lead = loader[str, list[LeadActivityModel]](
        lambda hub, principal, ids: lead_activity.follow_ups_by_lead(
            hub, principal=principal, ids=ids
        )
    )
    assignments_by_lead = loader[str, list[LeadAssignmentModel]](
        lambda hub, principal, ids: lead_activity.assignments_by_lead(
            hub, principal=principal, ids=ids
        )
    )


strawberry.enum(LeadEventType, name="LeadEventType")


@strawberry.type(description="A change to a lead or deal registration the subscriber may see.")
class LeadEvent:
    cursor: str
    type: LeadEventType
    occurred_at: datetime
    lead_id: strawberry.ID | None
    deal_id: strawberry.ID | None
    opportunity_id: strawberry.ID | None = strawberry.field(
        description="The opportunity, for OPPORTUNITY_* events."
    )
    event: strawberry.Private[DomainEvent]

    @classmethod
    def from_event(cls, event: DomainEvent) -> LeadEvent:
        return cls(
            cursor=str(event.id),
            type=LeadEventType(event.type),
            occurred_at=event.occurred_at,
            lead_id=event.payload.get("leadId"),
            deal_id=event.payload.get("dealId"),
            opportunity_id=event.payload.get("opportunityId"),
            event=event,
        )

    @strawberry.field(
        description="The lead as the subscriber may see it now; null when no longer visible."
    )
    async def lead(self, info: Info) -> Lead | None:
        if self.lead_id is None:
            return None
        principal, hub, lead_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.lead_id),
        )
        model = await shared(
            self.event,
            principal,
            "lead",
            lambda: lead_service.get_or_none(hub, principal=principal, lead_id=lead_id),
        )
        return Lead.from_model(model) if model else None

    @strawberry.field(description="The deal registration, for DEAL_* events.")
    async def deal(
        self, info: Info
    ) -> Annotated[DealRegistration, strawberry.lazy("schema.deals")] | None:
        from schema.deals import DealRegistration  # schema.deals imports this module

        if self.deal_id is None:
            return None
        principal, hub, deal_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.deal_id),
        )
        found = await shared(
            self.event,
            principal,
            "deal",
            lambda: deal_service.by_ids(hub, principal=principal, ids=[deal_id]),
        )
        return DealRegistration.from_model(found[0]) if found[0] else None

    @strawberry.field(description="The opportunity as the subscriber may see it now.")
    async def opportunity(
        self, info: Info
    ) -> Annotated[Opportunity, strawberry.lazy("schema.forecast")] | None:
        from schema.forecast import Opportunity  # it imports schema.analytics

        if self.opportunity_id is None:
            return None
        principal, hub, opportunity_id = (
            info.context.require_principal(),
            info.context.hub,
            str(self.opportunity_id),
        )
        found = await shared(
            self.event,
            principal,
            "opportunity",
            lambda: opportunities.by_ids(hub, principal=principal, ids=[opportunity_id]),
        )
        return Opportunity.maybe(found[0])
