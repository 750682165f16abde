"""Which events email whom, and with what: one composer per kind of event.

A composer reads, in the feed's transaction, what its email shows, and queues one message per
recipient. Recipients are the users of the organization the record belongs to (a lead's
partner, an order's, a fund request's) or the one user it is about (a certification's holder,
a mentioned participant): never another partner's people.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from hub.analytics.money import exponent
from hub.events import DomainEvent
from hub.mail import outbox
from hub.mail.rules import EmailKind
from hub.settings import Settings
from storage.models import (
    Certification,
    CertificationDefinition,
    Conversation,
    DealRegistration,
    Lead,
    Message,
    Order,
    Partner,
    User,
)
from storage.models.funds import FundClaim, FundRequest

Composer = Callable[[AsyncSession, Settings, DomainEvent], Awaitable[None]]
MAX_EXCERPT = 400


async def lead_offered(session: AsyncSession, settings: Settings, event: DomainEvent) -> None:
    lead = await session.get(Lead, event.payload["leadId"])
    partner_id = event.payload.get("partnerId")
    # Pulled back or answered already: nothing to tell any more.
    if lead is None or partner_id is None or lead.partner_id != partner_id:
        return
    if lead.offer_expires_at is None:
        return
    partner = await session.get_one(Partner, partner_id)
    context = {
        **lead_context(lead),
        "partner": partner.name,
        "deadline": _minute(lead.offer_expires_at),
    }
    await _tell_partner(
        session, settings, event, EmailKind.LEAD_OFFERED, partner_id, context, f"/#/leads/{lead.id}"
    )


async def deal_decided(session: AsyncSession, settings: Settings, event: DomainEvent) -> None:
    deal = await session.get(DealRegistration, event.payload["dealId"])
    if deal is None:
        return
    approved = event.type == "DEAL_APPROVED"
    partner = await session.get_one(Partner, deal.partner_id)
    context = {
        "company": deal.customer_company,
        "partner": partner.name,
        "decision": "approved" if approved else "rejected",
        "protected_until": _day(deal.expires_at) if approved and deal.expires_at else None,
        "reason": deal.decision_reason,
    }
    await _tell_partner(
        session,
        settings,
        event,
        EmailKind.DEAL_DECIDED,
        deal.partner_id,
        context,
        f"/#/deals/{deal.id}",
    )


async def order_moved(session: AsyncSession, settings: Settings, event: DomainEvent) -> None:
    kinds = {"SHIPPED": EmailKind.ORDER_SHIPPED, "DELIVERED": EmailKind.ORDER_DELIVERED}
    kind = kinds.get(event.payload.get("to") or event.payload.get("status") or "")
    order = await session.get(Order, event.payload["orderId"])
    if kind is None or order is None:
        return
    partner = await session.get_one(Partner, order.partner_id)
    context = {
        "number": order.id[:8].upper(),
        "partner": partner.name,
        "customer": order.end_customer,
        "carrier": event.payload.get("carrier"),
        "tracking": event.payload.get("tracking"),
    }
    await _tell_partner(
        session, settings, event, kind, order.partner_id, context, f"/#/orders/{order.id}"
    )


async def certification_expiring(
    session: AsyncSession, settings: Settings, event: DomainEvent
) -> None:
    held = await session.get(Certification, event.payload["certificationId"])
    if held is None:
        return
    definition = await session.get_one(CertificationDefinition, held.definition_id)
    partner = await session.get(Partner, held.organization_id)
    context = {
        "certification": definition.name,
        "expires_on": _day(held.expires_at),
        "partner": partner.name if partner else "your organization",
    }
    for person in await outbox.recipients(session, [held.user_id]):
        await outbox.queue(
            session,
            settings,
            kind=EmailKind.CERTIFICATION_EXPIRING,
            to=person,
            about=f"{event.id}",
            context=context,
            now=event.occurred_at,
            path="/#/training",
        )


async def fund_decided(session: AsyncSession, settings: Settings, event: DomainEvent) -> None:
    payload = event.payload
    request = await session.get(FundRequest, payload["requestId"])
    if request is None:
        return
    claim = await session.get(FundClaim, payload["claimId"]) if "claimId" in payload else None
    decisions = {
        "FUND_REQUEST_APPROVED": "approved",
        "FUND_REQUEST_REJECTED": "rejected",
        "CLAIM_APPROVED": "approved",
        "CLAIM_REJECTED": "rejected",
        "CLAIM_INFO_REQUESTED": "sent back for more information",
        "CLAIM_PAID": "paid",
    }
    partner = await session.get_one(Partner, request.partner_id)
    decided = claim if claim is not None else request
    context = {
        "what": "Fund claim" if claim is not None else "Fund request",
        "title": request.title,
        "partner": partner.name,
        "decision": decisions[event.type],
        "amount": _money(int(payload["amountMinor"]), request.currency),
        "reason": decided.decision_note,
    }
    await _tell_partner(
        session,
        settings,
        event,
        EmailKind.FUND_DECIDED,
        request.partner_id,
        context,
        f"/#/funds/{request.id}",
    )


async def mentioned(session: AsyncSession, settings: Settings, event: DomainEvent) -> None:
    """Email a mention after a delay, unless the user read it in the app meanwhile."""
    payload = event.payload
    message = await session.get(Message, payload["messageId"])
    conversation = await session.get(Conversation, payload["conversationId"])
    author = await session.get(User, payload["userId"])
    if message is None or conversation is None or author is None:
        return
    body = message.body or ""
    excerpt = body if len(body) <= MAX_EXCERPT else body[:MAX_EXCERPT] + "…"
    context = {"author": author.name, "conversation": conversation.subject, "excerpt": excerpt}
    delay = timedelta(seconds=settings.mail.mention_delay_seconds)
    for person in await outbox.recipients(session, sorted(event.recipients)):
        await outbox.queue(
            session,
            settings,
            kind=EmailKind.MENTIONED,
            to=person,
            about=f"{event.id}",
            context=context,
            now=event.occurred_at,
            path=f"/#/conversations/{conversation.id}",
            send_at=event.occurred_at + delay,
            unless={"conversationId": conversation.id, "seq": payload["seq"]},
        )


async def _tell_partner(
    session: AsyncSession,
    settings: Settings,
    event: DomainEvent,
    kind: EmailKind,
    partner_id: str,
    context: Mapping[str, object],
    path: str,
) -> None:
    for person in await outbox.people_of(session, partner_id):
        await outbox.queue(
            session,
            settings,
            kind=kind,
            to=person,
            about=f"{event.id}",
            context=dict(context),
            now=event.occurred_at,
            path=path,
        )


def lead_context(lead: Lead) -> dict[str, object]:
    place = ", ".join(part for part in (lead.region, lead.country) if part)
    return {"company": lead.customer_company, "product_line": lead.product_line, "place": place}


def _money(minor: int, currency: str) -> str:
    return f"{Decimal(minor).scaleb(-exponent(currency)):,} {currency}"


def _minute(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined,no-any-return]


def _day(moment: object) -> str:
    return moment.strftime("%Y-%m-%d")  # type: ignore[attr-defined,no-any-return]


COMPOSERS: dict[tuple[str, str], Composer] = {
    ("lead", "LEAD_OFFERED"): lead_offered,
    ("lead", "LEAD_REASSIGNED"): lead_offered,
    ("lead", "DEAL_APPROVED"): deal_decided,
    ("lead", "DEAL_REJECTED"): deal_decided,
    ("order", "ORDER_STATUS_CHANGED"): order_moved,
    ("training", "CERTIFICATION_EXPIRING"): certification_expiring,
    ("message", "MENTIONED"): mentioned,
    **{
        ("fund", kind): fund_decided
        for kind in (
            "FUND_REQUEST_APPROVED",
            "FUND_REQUEST_REJECTED",
            "CLAIM_APPROVED",
            "CLAIM_REJECTED",
            "CLAIM_INFO_REQUESTED",
            "CLAIM_PAID",
        )
    },
}
TOPICS = sorted({topic for topic, _ in COMPOSERS})
