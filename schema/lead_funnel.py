"""GraphQL types of the lead funnel: what became of a period's leads, and coverage gaps."""

from __future__ import annotations

import strawberry

from hub.analytics.funnel import Funnel, FunnelGroup, Step
from schema.analytics import ReportPeriod
from schema.enums import described_enum

described_enum(
    FunnelGroup,
    name="LeadFunnelGroup",
    description="What the lead funnel is grouped by: the lead's source, country or product "
    "line, or the partner that holds it (else the last one offered it), that partner's tier, "
    "or that partner's territory that covers the lead most closely (postal prefix, then "
    "region, then country).",
    values={
        "SOURCE": "By the lead's source.",
        "PARTNER": "By the partner that holds the lead, else the last one offered it.",
        "TIER": "By that partner's tier.",
        "COUNTRY": "By the lead's country.",
        "PRODUCT_LINE": "By the lead's product line.",
        "TERRITORY": "By that partner's territory that covers the lead most closely.",
    },
)


@strawberry.type(description="What became of a group's leads created in the period.")
class FunnelStep:
    key: str = strawberry.field(
        description="The source, country, product line, partner id or tier; (none) for leads "
        "never offered to a partner. By territory `partner id / territory name`, and (no "
        "territory) for leads none of their partner's territories covers."
    )
    created: int = strawberry.field(description="Leads created in the period.")
    routed: int = strawberry.field(description="Leads offered to at least one partner.")
    offers: int = strawberry.field(description="Offers made, counting re-offers.")
    accepted: int = strawberry.field(description="Leads a partner accepted.")
    worked: int = strawberry.field(
        description="Accepted leads the partner moved on: CONTACTED, QUALIFIED, WON or LOST now."
    )
    won: int = strawberry.field(description="Leads now WON.")
    lost: int = strawberry.field(description="Leads now LOST.")
    unassignable: int = strawberry.field(description="Leads routing found no partner for.")
    routed_basis_points: int | None = strawberry.field(description="routed / created.")
    accepted_basis_points: int | None = strawberry.field(description="accepted / routed.")
    worked_basis_points: int | None = strawberry.field(description="worked / accepted.")
    won_basis_points: int | None = strawberry.field(description="won / accepted.")
    median_seconds_to_first_offer: int | None = strawberry.field(
        description="Median seconds from a lead's creation to its first offer; null without offers."
    )
    median_seconds_to_accept: int | None = strawberry.field(
        description="From the accepted offer to its acceptance."
    )

    @classmethod
    def of(cls, step: Step) -> FunnelStep:
        def ratio(part: int, whole: int) -> int | None:
            return round(part * 10_000 / whole) if whole else None

        return cls(
            key=step.key,
            created=step.created,
            routed=step.routed,
            offers=step.offers,
            accepted=step.accepted,
            worked=step.worked,
            won=step.won,
            lost=step.lost,
            unassignable=step.unassignable,
            routed_basis_points=ratio(step.routed, step.created),
            accepted_basis_points=ratio(step.accepted, step.routed),
            worked_basis_points=ratio(step.worked, step.accepted),
            won_basis_points=ratio(step.won, step.accepted),
            median_seconds_to_first_offer=step.median_seconds_to_first_offer,
            median_seconds_to_accept=step.median_seconds_to_accept,
        )


@strawberry.type(description="How often routing gave a reason for finding no partner.")
class GapReason:
    reason: str = strawberry.field(
        description="An exclusion reason routing gave, or NO_PARTNER_COVERS_IT."
    )
    leads: int = strawberry.field(
        description="How many unassignable leads routing gave this reason for."
    )


@strawberry.type(description="A coverage gap: unassignable leads of a country and product line.")
class CoverageGap:
    country: str = strawberry.field(description="The leads' country, ISO 3166-1 alpha-2.")
    product_line: str = strawberry.field(description="The leads' product line code.")
    leads: int = strawberry.field(
        description="How many of the period's leads of this country and line are unassignable."
    )
    reasons: list[GapReason] = strawberry.field(
        description="Why routing found no partner, most frequent first."
    )


@strawberry.type(description="The lead funnel of the leads created in a period.")
class LeadFunnel:
    period: ReportPeriod = strawberry.field(
        description="The period whose created leads are counted."
    )
    group_by: FunnelGroup = strawberry.field(description="What the groups are.")
    total: FunnelStep = strawberry.field(
        description="Every lead of the period, all groups together."
    )
    groups: list[FunnelStep] = strawberry.field(description="Most leads first (ties by key).")
    gaps: list[CoverageGap] = strawberry.field(
        description="Country and product line pairs with unassignable leads, most leads first."
    )

    @classmethod
    def of(cls, funnel: Funnel) -> LeadFunnel:
        return cls(
            period=ReportPeriod.of(funnel.period),
            group_by=funnel.group_by,
            total=FunnelStep.of(funnel.total),
            groups=[FunnelStep.of(step) for step in funnel.groups],
            gaps=[
                CoverageGap(
                    country=gap.country,
                    product_line=gap.product_line,
                    leads=gap.leads,
                    reasons=[GapReason(reason=r, leads=n) for r, n in gap.reasons],
                )
                for gap in funnel.gaps
            ],
        )
