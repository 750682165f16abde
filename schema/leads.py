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
from schema.enums import described_enum
from schema.events import shared
from schema.identity import IdentityLoaders, User
from schema.loading import LoaderSet, at_once, loader
from schema.nodes import Node
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

described_enum(
    LeadStatus,
    name="LeadStatus",
    description="A lead's routing and pipeline status.",
    values={
        "NEW": "Created, not yet routed.",
        "OFFERED": "Offered to a partner, waiting for acceptance until offerExpiresAt.",
        "ACCEPTED": "Accepted by the partner, not yet contacted.",
        "CONTACTED": "The partner has contacted the customer.",
        "QUALIFIED": "The partner has qualified the opportunity.",
        "WON": "Closed as won.",
        "LOST": "Closed as lost, with a reason.",
        "RECYCLED": "Taken back by the vendor, to route again.",
        "UNASSIGNABLE": "Routing found no partner that qualifies.",
    },
)
described_enum(
    LeadSource,
    name="LeadSource",
    description="Where a lead came from.",
    values={
        "VENDOR": "Entered or imported by the vendor (its CRM).",
        "CAMPAIGN": "A response to a marketing campaign.",
        "WEB": "A web form of the vendor.",
        "PARTNER": "Found by a partner.",
    },
)
described_enum(
    DeclineReason,
    name="DeclineReason",
    description="Why a partner declines a lead.",
    values={
        "NOT_MY_TERRITORY": "The customer is outside the partner's area.",
        "NO_CAPACITY": "The partner cannot take more leads now.",
        "NOT_QUALIFIED": "The lead is not a real opportunity.",
        "EXISTING_CUSTOMER_CONFLICT": "Another party already works the customer.",
        "OTHER": "Another reason, given in the note.",
    },
)
described_enum(
    Outcome,
    name="OfferOutcome",
    description="How an offer of a lead ended.",
    values={
        "OFFERED": "Still open: the partner may accept or decline until offerExpiresAt.",
        "ACCEPTED": "The partner accepted the lead.",
        "DECLINED": "The partner declined it.",
        "EXPIRED": "The acceptance deadline passed; the lead was routed on.",
        "WITHDRAWN": "The vendor took the lead back or gave it to another partner.",
    },
)
described_enum(
    Strategy,
    name="RoutingStrategy",
    description="How routing picks among qualifying partners.",
    values={
        "BEST_SCORE": "The partner with the highest score.",
        "WEIGHTED": "A random partner, weighted by score.",
        "ROUND_ROBIN": "Among the best tier present, the partner offered a lead longest ago.",
    },
)
described_enum(
    Step,
    name="RoutingStep",
    description="Where routing looked for partners, in this order.",
    values={
        "CONFLICT": "The partner that already owns the customer (a lead or approved registration).",
        "TERRITORY": "Partners whose territory covers the lead.",
        "RADIUS": "Partners within radiusKm of the lead.",
        "COUNTRY": "Partners in the lead's country.",
    },
)
described_enum(
    Exclusion,
    name="ExclusionReason",
    description="Why routing left a partner out.",
    values={
        "NOT_ACTIVE": "The partner is not ACTIVE.",
        "NO_SPECIALIZATION": "The partner is not specialised in the lead's product line.",
        "AT_CAPACITY": "The partner holds as many open leads as its leadCapacity.",
        "DECLINED_BEFORE": "The partner declined this lead before.",
        "EXPIRED_BEFORE": "The partner let an offer of this lead expire before.",
        "MISSING_CERTIFICATION": "No user of the partner holds the certification the product "
        "line requires.",
    },
)


@strawberry.type(
    description="The parts of a routing score, each 0 to 1 (0.5 when "
    "unknown); as weights, their relative weight."
)
class ScoreComponents:
    tier: float = strawberry.field(
        description="The partner's tier: 0.25 REGISTERED up to 1 PLATINUM."
    )
    acceptance: float = strawberry.field(description="The share of offers the partner accepted.")
    speed: float = strawberry.field(
        description="How fast the partner accepts: 1 / (1 + median hours to accept / 24)."
    )
    win: float = strawberry.field(
        description="The share of the partner's closed opportunities won."
    )
    distance: float = strawberry.field(description="Closeness to the lead: 1 / (1 + km / 50).")
    performance: float = strawberry.field(
        description="The recent results of the leads routed to the partner: half the win rate "
        "of their opportunities closed in the last 90 days, half their won revenue (reporting "
        "currency) relative to the channel's best; 0.5 when none closed (and in decisions made "
        "before this component existed)."
    )


@strawberry.type(description="A partner considered for the lead, with its score.")
class RoutingCandidate:
    partner_id: strawberry.ID = strawberry.field(description="The candidate partner's id.")
    name: str = strawberry.field(description="The candidate's display name when routing decided.")
    tier: str = strawberry.field(description="The candidate's tier when routing decided.")
    score: float = strawberry.field(description="The weighted score, 0 to 1.")
    distance_km: float | None = strawberry.field(
        description="Distance from the lead in kilometres; null without coordinates."
    )
    components: ScoreComponents = strawberry.field(
        description="The score's parts before weighting."
    )


@strawberry.type(description="A partner considered and excluded, with the reason.")
class RoutingExclusion:
    partner_id: strawberry.ID = strawberry.field(description="The excluded partner's id.")
    name: str = strawberry.field(
        description="The excluded partner's display name when routing decided."
    )
    reason: Exclusion = strawberry.field(description="Why it was left out.")


@strawberry.type(
    description=(
        "The customer was already claimed by a partner. Partners learn only that it was; "
        "vendor-side accounts also see who, and through which record."
    )
)
class ChannelConflict:
    message: str = strawberry.field(
        description="What the conflict is, in words fit for the caller."
    )
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
    decided_at: datetime = strawberry.field(description="When routing decided (RFC 3339, UTC).")
    strategy: Strategy = strawberry.field(
        description="The strategy that picked among the candidates."
    )
    step: Step | None = strawberry.field(
        description="The step that found the candidates; null when none did."
    )
    steps_tried: list[Step] = strawberry.field(
        description="The steps tried, in order, until one found candidates."
    )
    chosen_partner_id: strawberry.ID | None = strawberry.field(
        description="The partner offered the lead; null when unassignable."
    )
    note: str | None = strawberry.field(
        description="A remark on the decision, e.g. why no partner was found."
    )
    conflict: ChannelConflict | None = strawberry.field(
        description="The partner that already owns the customer, when the CONFLICT step decided."
    )
    candidates: list[RoutingCandidate] = strawberry.field(
        description="The best ten qualifying partners with their scores (and the chosen one)."
    )
    excluded: list[RoutingExclusion] = strawberry.field(
        description="Partners left out, each with the reason."
    )
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
    id: strawberry.ID = strawberry.field(
        description="The offer's id (its lead's id and the offer's number), stable for caches."
    )
    rule: str = strawberry.field(
        description="What made the offer: STEP:STRATEGY (e.g. TERRITORY:BEST_SCORE), "
        "CONFLICT_OWNER or MANUAL."
    )
    offered_at: datetime = strawberry.field(description="When the offer was made (RFC 3339, UTC).")
    outcome: Outcome = strawberry.field(
        description="How the offer ended, or OFFERED while it stands."
    )
    outcome_at: datetime | None = strawberry.field(
        description="When the offer ended (RFC 3339, UTC)."
    )
    reason: str | None = strawberry.field(description="Why it was declined or withdrawn, as given.")
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: LeadAssignmentModel) -> LeadAssignment:
        return cls(
            id=strawberry.ID(f"{model.lead_id}:{model.id}"),
            rule=model.rule,
            offered_at=model.offered_at,
            outcome=Outcome(model.outcome),
            outcome_at=model.outcome_at,
            reason=model.reason,
            partner_id=model.partner_id,
        )

    @strawberry.field(description="The partner offered the lead, if the caller may see it.")
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(self.partner_id)
        return Partner.from_model(model) if model else None


@strawberry.type(description="A note on a lead.")
class LeadNote:
    id: strawberry.ID = strawberry.field(description="The note's id.")
    body: str = strawberry.field(description="The note's text (plain text).")
    created_at: datetime = strawberry.field(
        description="When the note was written (RFC 3339, UTC)."
    )
    author_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, model: LeadNoteModel) -> LeadNote:
        return cls(
            id=strawberry.ID(model.id),
            body=model.body,
            created_at=model.created_at,
            author_id=model.author_id,
        )

    @strawberry.field(description="Who wrote it; null when unknown or not visible.")
    async def author(self, info: Info) -> User | None:
        if self.author_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.author_id)
        return User.from_model(model) if model else None


@strawberry.type(description="A follow-up to do on a lead.")
class LeadFollowUp:
    id: strawberry.ID = strawberry.field(description="The follow-up's id.")
    title: str = strawberry.field(description='What to do, e.g. "Call back about pricing".')
    due_at: datetime = strawberry.field(description="When it is due (RFC 3339, UTC).")
    done_at: datetime | None = strawberry.field(
        description="When it was done (RFC 3339, UTC); null while open."
    )
    created_at: datetime = strawberry.field(description="When it was planned (RFC 3339, UTC).")

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
class Lead(Node):
    id: strawberry.ID = strawberry.field(description="The lead's id.")
    customer_company: str = strawberry.field(description="The end customer's company name.")
    contact_name: str | None = strawberry.field(description="The customer contact's name.")
    email: str | None = strawberry.field(description="The customer contact's email address.")
    phone: str | None = strawberry.field(
        description="The customer contact's phone number, as given."
    )
    country: str = strawberry.field(description="The customer's country, ISO 3166-1 alpha-2.")
    region: str | None = strawberry.field(
        description="The customer's region, ISO 3166-2 code such as US-CA."
    )
    postal_code: str | None = strawberry.field(
        description="The customer's postal code, which territories match by prefix."
    )
    latitude: float | None = strawberry.field(
        description="Latitude of the customer in decimal degrees (WGS 84), for distance routing."
    )
    longitude: float | None = strawberry.field(
        description="Longitude of the customer in decimal degrees (WGS 84), for distance routing."
    )
    product_line: str = strawberry.field(
        description="The product line code the customer is interested in."
    )
    estimated_value: Money = strawberry.field(
        description="The estimated deal value; an amount of 0 when not given."
    )
    expected_close: date | None = strawberry.field(
        description="When the deal is expected to close (a calendar date)."
    )
    source: LeadSource = strawberry.field(description="Where the lead came from.")
    status: LeadStatus = strawberry.field(
        description="Where the lead is in routing and the sales pipeline."
    )
    lost_reason: str | None = strawberry.field(
        description="Why the lead was lost, as the partner gave it."
    )
    offered_at: datetime | None = strawberry.field(
        description="When the lead was last offered to a partner (RFC 3339, "
        "UTC); null while unassigned."
    )
    offer_expires_at: datetime | None = strawberry.field(
        description="When the current offer expires and the lead is routed on (RFC 3339, UTC)."
    )
    created_at: datetime = strawberry.field(
        description="When the lead was created (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the lead last changed (RFC 3339, UTC)."
    )
    version: int = strawberry.field(
        description="Incremented on every change; pass it as expectedVersion to "
        "catch concurrent edits."
    )
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


@strawberry.input(description="A new lead.")
class LeadInput:
    customer_company: str = strawberry.field(description="The end customer's company name.")
    country: str = strawberry.field(description="The customer's country, ISO 3166-1 alpha-2.")
    product_line: str = strawberry.field(
        description="The product line code the customer is interested in."
    )
    contact_name: str | None = strawberry.field(
        default=None, description="The customer contact's name."
    )
    email: str | None = strawberry.field(
        default=None, description="The customer contact's email address."
    )
    phone: str | None = strawberry.field(
        default=None, description="The customer contact's phone number."
    )
    region: str | None = strawberry.field(
        default=None, description="The customer's region, ISO 3166-2 code such as US-CA."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="The customer's postal code, which territories match by prefix."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the customer in decimal degrees (WGS 84)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the customer in decimal degrees (WGS 84)."
    )
    estimated_value: MoneyInput | None = strawberry.field(
        default=None, description="The estimated deal value."
    )
    expected_close: date | None = strawberry.field(
        default=None, description="When the deal is expected to close (a calendar date)."
    )
    source: LeadSource = strawberry.field(
        default=LeadSource.VENDOR, description="Where the lead came from."
    )
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


@strawberry.input(description="Which leads to list; the conditions given must all hold.")
class LeadFilter:
    statuses: list[LeadStatus] | None = strawberry.field(
        default=None, description="Only leads with one of these statuses."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only leads offered to or owned by this partner."
    )
    product_line: str | None = strawberry.field(
        default=None, description="Only leads of this product line (its code)."
    )
    country: str | None = strawberry.field(
        default=None, description="Only leads in this country, ISO 3166-1 alpha-2."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Only leads whose customer company contains this text, in any case.",
    )


@strawberry.type(description="How leads are routed and deals protected.")
class LeadSettings:
    strategy: Strategy = strawberry.field(
        description="How routing picks among qualifying partners."
    )
    weights: ScoreComponents = strawberry.field(
        description="The relative weight of each score component."
    )
    radius_km: float = strawberry.field(
        description="How far from the lead the RADIUS step looks, in kilometres."
    )
    acceptance_hours: int = strawberry.field(
        description="Hours a partner has to accept an offer before the lead moves on."
    )
    protection_days: int = strawberry.field(
        description="Days an approved deal registration protects its customer."
    )
    auto_approve_tiers: list[Tier] = strawberry.field(
        description="Tiers whose deal registrations are approved without review "
        "when free of conflict."
    )
    conflict_policy: str = strawberry.field(
        description="What a conflicting deal registration gets: REJECT at once, "
        "or REVIEW by vendor staff."
    )
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
    tier: float = strawberry.field(description="Weight of the partner's tier.")
    acceptance: float = strawberry.field(
        description="Weight of the share of offers the partner accepted."
    )
    speed: float = strawberry.field(description="Weight of how fast the partner accepts.")
    win: float = strawberry.field(
        description="Weight of the share of closed opportunities the partner won."
    )
    distance: float = strawberry.field(description="Weight of closeness to the lead.")
    performance: float = strawberry.field(
        default=0.0, description="Recent win rate and won revenue of routed leads; 0 when omitted."
    )


@strawberry.input(description="Settings to change; omitted ones stay as they are.")
class LeadSettingsInput:
    strategy: Strategy | None = strawberry.field(
        default=strawberry.UNSET, description="How routing picks among qualifying partners."
    )
    weights: WeightsInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The relative weight of each score component, all replaced.",
    )
    radius_km: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="How far from the lead the RADIUS step looks, in kilometres.",
    )
    acceptance_hours: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Hours a partner has to accept an offer before the lead moves on.",
    )
    protection_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Days an approved deal registration protects its customer.",
    )
    auto_approve_tiers: list[Tier] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Tiers whose conflict-free deal registrations are approved without review.",
    )
    conflict_policy: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="REJECT conflicting deal registrations at once, or REVIEW them.",
    )
    required_certifications: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Product lines whose leads need a partner user with a valid certification.",
    )


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


described_enum(
    LeadEventType,
    name="LeadEventType",
    description="What happened to a lead, deal registration or opportunity.",
    values={
        "LEAD_OFFERED": "The lead was offered to a partner.",
        "LEAD_ACCEPTED": "The partner accepted the lead.",
        "LEAD_DECLINED": "The partner declined the lead.",
        "LEAD_EXPIRED": "The offer expired unaccepted.",
        "LEAD_REASSIGNED": "The lead was offered to another partner.",
        "LEAD_STATUS_CHANGED": "The lead moved along the pipeline.",
        "LEAD_NOTE_ADDED": "A note was added.",
        "LEAD_UPDATED": "Its fields changed (an upsert by an integration).",
        "DEAL_REGISTERED": "A deal was registered.",
        "DEAL_APPROVED": "A deal registration was approved.",
        "DEAL_REJECTED": "A deal registration was rejected.",
        "DEAL_EXPIRED": "A deal registration's protection ended.",
        "OPPORTUNITY_OPENED": "An opportunity was opened for an accepted lead or approved deal.",
        "OPPORTUNITY_STAGE_CHANGED": "An opportunity moved to another stage.",
        "OPPORTUNITY_UPDATED": "An opportunity's amount, close date or commit changed.",
        "OPPORTUNITY_CLOSED": "An opportunity was won or lost.",
    },
)


@strawberry.type(description="A change to a lead or deal registration the subscriber may see.")
class LeadEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: LeadEventType = strawberry.field(
        description="What happened to the lead, deal registration or opportunity."
    )
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    lead_id: strawberry.ID | None = strawberry.field(
        description="The lead, for LEAD_* and lead-born OPPORTUNITY_* events."
    )
    deal_id: strawberry.ID | None = strawberry.field(
        description="The deal registration, for DEAL_* events."
    )
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
