"""Routing a lead and recording the offer: assignment history, explanation and events."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events
from hub.leads import policy as lead_policy
from hub.leads import snapshot
from hub.leads.policy import LeadSettings
from hub.leads.rules import OPEN, TOPIC, LeadEventType, LeadStatus, Outcome
from hub.partners import directory
from hub.routing import Decision, LeadSpec, RoutingIndex, Step, route
from hub.runtime import Hub
from storage.models import Lead, LeadAssignment, Partner

CAPACITY_RETRIES = 3


def spec(lead: Lead) -> LeadSpec:
    """What routing needs to know of a lead."""
    return LeadSpec(
        country=lead.country,
        product_line=lead.product_line,
        region=lead.region,
        postal_code=lead.postal_code,
        latitude=lead.latitude,
        longitude=lead.longitude,
    )


@dataclass(frozen=True, slots=True)
class Router:
    """Everything routing needs inside one write transaction: settings and the kept index."""

    hub: Hub
    session: AsyncSession
    settings: LeadSettings
    index: RoutingIndex

    async def offer(
        self, lead: Lead, *, by: str | None, rng: random.Random | None = None
    ) -> Decision:
        """Route one lead and offer it, sharing the load counts across the transaction."""
        return await route_and_offer(
            self.hub, self.session, lead, settings=self.settings, index=self.index, by=by, rng=rng
        )


async def router(hub: Hub, session: AsyncSession, now: datetime | None = None) -> Router:
    """The one way to prepare routing: the vendor's settings, then the per-process index."""
    settings = await lead_policy.load(session)
    index = await snapshot.load_index(hub, session, settings, now or hub.clock.now())
    return Router(hub, session, settings, index)


async def route_and_offer(
    hub: Hub,
    session: AsyncSession,
    lead: Lead,
    *,
    settings: LeadSettings,
    index: RoutingIndex,
    by: str | None,
    rng: random.Random | None = None,
) -> Decision:
    """Route a lead and offer it to the chosen partner, or mark it UNASSIGNABLE."""
    now = hub.clock.now()
    exclusions = await snapshot.history(session, lead.id)
    owner = await snapshot.customer_owner(
        session,
        customer_key=lead.customer_key,
        email_domain=lead.email_domain,
        now=now,
        exclude_lead=lead.id,
    )
    policy = settings.policy()
    decision = route(
        spec(lead),
        index,
        policy,
        history=exclusions,
        conflict_owner=owner[0] if owner else None,
        rng=rng,
    )
    for _ in range(CAPACITY_RETRIES):
        if decision.chosen is None or decision.step is Step.CONFLICT:
            break
        if await _has_room(session, decision.chosen):
            break
        index.open_leads[decision.chosen] = index.by_id[decision.chosen].capacity
        decision = route(spec(lead), index, policy, history=exclusions, rng=rng)
    lead.routing = explanation(decision, now, owner)
    if decision.chosen is None:
        await _unassignable(hub, session, lead)
    else:
        rule = (
            "CONFLICT_OWNER"
            if decision.step is Step.CONFLICT
            else f"{decision.step}:{decision.strategy}"
        )
        await offer(hub, session, lead, decision.chosen, rule=rule, by=by, settings=settings)
        index.open_leads[decision.chosen] = index.open_leads.get(decision.chosen, 0) + 1
        index.last_offered[decision.chosen] = now
    return decision


async def offer(
    hub: Hub,
    session: AsyncSession,
    lead: Lead,
    partner_id: str,
    *,
    rule: str,
    by: str | None,
    settings: LeadSettings,
) -> None:
    """Offer the lead to a partner with an acceptance deadline."""
    now = hub.clock.now()
    reassigned = await session.scalar(
        select(func.count()).select_from(LeadAssignment).where(LeadAssignment.lead_id == lead.id)
    )
    lead.status = LeadStatus.OFFERED
    lead.partner_id = partner_id
    lead.offered_at = now
    lead.offer_expires_at = now + timedelta(hours=settings.acceptance_hours)
    touch(hub, lead)
    session.add(
        LeadAssignment(
            lead_id=lead.id,
            partner_id=partner_id,
            rule=rule,
            offered_at=now,
            offered_by_id=by,
            outcome=Outcome.OFFERED,
        )
    )
    await session.flush()
    kind = LeadEventType.LEAD_REASSIGNED if reassigned else LeadEventType.LEAD_OFFERED
    await emit(hub, session, lead, kind, [partner_id], {"partnerId": partner_id, "rule": rule})


async def close_offer(
    hub: Hub, session: AsyncSession, lead: Lead, outcome: Outcome, reason: str | None = None
) -> None:
    """End the current offer of a lead with an outcome."""
    await session.execute(
        update(LeadAssignment)
        .where(LeadAssignment.lead_id == lead.id, LeadAssignment.outcome == Outcome.OFFERED)
        .values(outcome=outcome, outcome_at=hub.clock.now(), reason=reason)
    )


async def emit(
    hub: Hub,
    session: AsyncSession,
    lead: Lead,
    kind: LeadEventType,
    audience: Iterable[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """Append a lead event for the given partner organizations and their distributors."""
    payload = {"leadId": lead.id, "status": lead.status, **(extra or {})}
    await events.append(
        session,
        topic=TOPIC,
        type=kind,
        subject_id=lead.id,
        audience=await directory.with_distributors(session, list(audience)),
        payload=payload,
        now=hub.clock.now(),
    )


def audience(lead: Lead) -> list[str]:
    """The partner organization a lead's events go to, if it has one."""
    return [lead.partner_id] if lead.partner_id else []


def touch(hub: Hub, lead: Lead) -> None:
    lead.updated_at = hub.clock.now()
    lead.version = (lead.version or 0) + 1


def explanation(decision: Decision, now: Any, owner: tuple[str, str, str] | None) -> dict[str, Any]:
    """The routing decision as stored on the lead and shown to vendor staff."""
    return {
        "decidedAt": now.isoformat(),
        "strategy": decision.strategy.value,
        "step": decision.step.value if decision.step else None,
        "chosen": decision.chosen,
        "stepsTried": [step.value for step in decision.steps_tried],
        "note": decision.note,
        "conflict": {"partnerId": owner[0], "kind": owner[1], "recordId": owner[2]}
        if owner
        else None,
        "candidates": [
            {
                "partnerId": item.partner_id,
                "name": item.name,
                "tier": item.tier,
                "score": round(item.score, 4),
                "distanceKm": None if item.distance_km is None else round(item.distance_km, 1),
                "components": item.components,
            }
            for item in decision.candidates
        ],
        "excluded": [
            {"partnerId": item.partner_id, "name": item.name, "reason": item.reason.value}
            for item in decision.excluded
        ],
        "unlisted": decision.unlisted,
    }


async def _has_room(session: AsyncSession, partner_id: str) -> bool:
    # Lock the partner so two routings cannot both take its last free slot.
    partner = (
        await session.execute(select(Partner).where(Partner.id == partner_id).with_for_update())
    ).scalar_one()
    taken = await session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.partner_id == partner_id, Lead.status.in_(list(OPEN)))
    )
    return (taken or 0) < partner.lead_capacity


async def _unassignable(hub: Hub, session: AsyncSession, lead: Lead) -> None:
    lead.status = LeadStatus.UNASSIGNABLE
    lead.partner_id = None
    lead.offered_at = None
    lead.offer_expires_at = None
    touch(hub, lead)
    await session.flush()
    await emit(
        hub,
        session,
        lead,
        LeadEventType.LEAD_STATUS_CHANGED,
        [],
        {"reason": "no partner qualifies"},
    )
