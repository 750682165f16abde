"""GraphQL types of deal registration."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from hub.leads import deals
from hub.leads.deals import DealStatus
from schema.campaigns import Campaign, CampaignLoaders, campaign_of
from schema.context import Info
from schema.enums import described_enum
from schema.forecast import ForecastLoaders, Opportunity
from schema.funds import FundRequest, FundsLoaders, fund_request_of
from schema.identity import IdentityLoaders
from schema.leads import ChannelConflict
from schema.nodes import Node
from schema.partners import Partner
from schema.scalars import MinorUnits, Money, MoneyInput
from storage.models import DealRegistration as DealModel

described_enum(
    DealStatus,
    name="DealStatus",
    description="Where a deal registration is in its review and protection.",
    values={
        "PENDING": "Waiting for the vendor's decision.",
        "APPROVED": "Approved: no other partner gets the customer until expiresAt.",
        "REJECTED": "Turned down by the vendor (or by the conflict policy REJECT).",
        "EXPIRED": "The protection window ended.",
    },
)


@strawberry.type(
    description="A partner's claim on a customer, protected for a window once approved."
)
class DealRegistration(Node):
    id: strawberry.ID = strawberry.field(description="The registration's id.")
    customer_company: str = strawberry.field(
        description="The end customer's company name, as registered."
    )
    country: str = strawberry.field(description="The customer's country, ISO 3166-1 alpha-2.")
    product_line: str = strawberry.field(description="The product line code the deal is for.")
    value: Money = strawberry.field(description="The deal's expected value.")
    expected_close: date | None = strawberry.field(
        description="When the deal is expected to close (a calendar date)."
    )
    status: DealStatus = strawberry.field(
        description="Where the registration is: pending, approved, rejected or expired."
    )
    decision_reason: str | None = strawberry.field(
        description="Why it was rejected or approved, as the vendor gave it."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected (RFC 3339, UTC)."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the protection of an approved registration ends (RFC 3339, UTC)."
    )
    extension_days_requested: int | None = strawberry.field(
        description="Days of extension asked for and not yet decided; null when none."
    )
    created_at: datetime = strawberry.field(
        description="When the deal was registered (RFC 3339, UTC)."
    )
    partner_id: strawberry.Private[str]
    conflict_data: strawberry.Private[dict[str, str] | None]

    @classmethod
    def from_model(cls, model: DealModel) -> DealRegistration:
        return cls(
            id=strawberry.ID(model.id),
            customer_company=model.customer_company,
            country=model.country,
            product_line=model.product_line,
            value=Money(amount_minor=MinorUnits(model.value_minor), currency=model.currency),
            expected_close=model.expected_close,
            status=DealStatus(model.status),
            conflict_data=model.conflict,
            decision_reason=model.decision_reason,
            decided_at=model.decided_at,
            expires_at=model.expires_at,
            extension_days_requested=model.extension_days_requested,
            created_at=model.created_at,
            partner_id=model.partner_id,
        )

    @strawberry.field(
        description="Who claimed the customer first; partners see only that someone did."
    )
    def conflict(self, info: Info) -> ChannelConflict | None:
        principal = info.context.require_principal()
        return ChannelConflict.from_view(deals.conflict_seen_by(principal, self.conflict_data))

    @strawberry.field(description="The partner that registered the deal, if the caller may see it.")
    async def partner(self, info: Info) -> Partner | None:
        model = await IdentityLoaders.of(info).partner_by_id.load(self.partner_id)
        return Partner.from_model(model) if model else None

    @strawberry.field(description="Its opportunity once approved.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        model = await ForecastLoaders.of(info).opportunity_by_deal.load(str(self.id))
        return Opportunity.maybe(model)

    @strawberry.field(
        description="The funded activity it came from, if it names one the caller may see."
    )
    async def fund_request(self, info: Info) -> FundRequest | None:
        source = await FundsLoaders.of(info).source_by_deal.load(str(self.id))
        return await fund_request_of(info, source)

    @strawberry.field(description="The campaign it came from, if it names one the caller may see.")
    async def campaign(self, info: Info) -> Campaign | None:
        source = await CampaignLoaders.of(info).campaign_source_by_deal.load(str(self.id))
        return await campaign_of(info, source)


@strawberry.input(description="A deal a partner found and claims.")
class DealInput:
    customer_company: str = strawberry.field(description="The end customer's company name.")
    country: str = strawberry.field(description="The customer's country, ISO 3166-1 alpha-2.")
    product_line: str = strawberry.field(description="The product line code the deal is for.")
    value: MoneyInput = strawberry.field(description="The deal's expected value.")
    expected_close: date | None = strawberry.field(
        default=None, description="When the deal is expected to close (a calendar date)."
    )
    customer_email: str | None = strawberry.field(
        default=None,
        description="The customer contact's email; its domain is compared in conflict checks.",
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A distributor registers on behalf of one of its sub-resellers; by default "
        "the registration is the caller's organization's.",
    )
    fund_request_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The funded activity (an APPROVED fund request of your channel) it came from.",
    )
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The vendor campaign it came from (partners: one your organization joined).",
    )
