"""What partners and channel managers do with a demo lead, as steps of its story."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from hub.demo.world import Demo
from hub.leads import activity
from hub.leads import service as lead_service
from hub.leads.rules import DeclineReason, LeadInput, LeadSource, LeadStatus
from hub.roles import Principal

Step = Callable[[Demo, str], Awaitable[None]]


async def holder(demo: Demo, lead_id: str) -> Principal:
    """The demo user of the partner the lead is with now."""
    lead = await lead_service.get(demo.hub, principal=demo.vendor, lead_id=lead_id)
    assert lead.partner_id is not None, f"lead {lead.customer_company} is with no partner"
    return demo.staff_of(lead.partner_id)


def accept() -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        who = await holder(demo, lead_id)
        await lead_service.accept(demo.hub, principal=who, lead_id=lead_id)

    return step


def decline(reason: DeclineReason, note: str) -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        who = await holder(demo, lead_id)
        await lead_service.decline(
            demo.hub, principal=who, lead_id=lead_id, reason=reason, note=note
        )

    return step


def move(status: LeadStatus, reason: str | None = None) -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        who = await holder(demo, lead_id)
        await lead_service.move(
            demo.hub,
            principal=who,
            lead_id=lead_id,
            status=status,
            reason=reason,
            expected_version=None,
        )

    return step


def note(body: str, *, by_vendor: bool = False) -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        who = demo.manager if by_vendor else await holder(demo, lead_id)
        await activity.add_note(demo.hub, principal=who, lead_id=lead_id, body=body)

    return step


def follow_up(title: str, due_in_days: float, *, done: bool = False) -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        who = await holder(demo, lead_id)
        due = demo.clock.now() + timedelta(days=due_in_days)
        planned = await activity.add_follow_up(
            demo.hub, principal=who, lead_id=lead_id, title=title, due_at=due
        )
        if done:
            await activity.complete_follow_up(demo.hub, principal=who, follow_up_id=planned.id)

    return step


def recycle(reason: str) -> Step:
    async def step(demo: Demo, lead_id: str) -> None:
        await lead_service.recycle(demo.hub, principal=demo.manager, lead_id=lead_id, reason=reason)

    return step


def lead_input(
    company: str,
    country: str,
    line: str,
    value: int,
    *,
    region: str | None = None,
    postal: str | None = None,
    at: tuple[float, float] | None = None,
    contact: tuple[str, str] | None = None,
    currency: str = "USD",
    source: LeadSource = LeadSource.VENDOR,
) -> LeadInput:
    return LeadInput(
        customer_company=company,
        country=country,
        product_line=line,
        contact_name=contact[0] if contact else None,
        email=contact[1] if contact else None,
        region=region,
        postal_code=postal,
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
        value_minor=value,
        currency=currency,
        source=source,
    )


PIPELINE = (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.WON)


async def given_and_worked(
    demo: Demo, data: LeadInput, partner_id: str, worker: Principal, *, steps: int
) -> str:
    """A lead the vendor makes, gives to a partner and `worker` accepts and moves the first
    `steps` steps along CONTACTED, QUALIFIED, WON; its id."""
    created = await lead_service.create(
        demo.hub, principal=demo.manager, data=data, route_now=False
    )
    await lead_service.assign_to(
        demo.hub, principal=demo.manager, lead_id=created.id, partner_id=partner_id
    )
    await lead_service.accept(demo.hub, principal=worker, lead_id=created.id)
    for status in PIPELINE[:steps]:
        await lead_service.move(
            demo.hub,
            principal=worker,
            lead_id=created.id,
            status=status,
            reason=None,
            expected_version=None,
        )
    return created.id
