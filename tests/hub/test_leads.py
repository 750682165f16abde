"""Lead routing against the database: offers, declines, deadlines, conflict and deal registration."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from hub import jobs
from hub.clock import ManualClock
from hub.errors import BadInput, Conflict, NotFound
from hub.leads import deals, policy
from hub.leads import jobs as lead_jobs
from hub.leads import service as leads
from hub.leads.deals import DealInput, DealStatus
from hub.leads.rules import DeclineReason, LeadInput, LeadStatus, customer_key, email_domain
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from hub.settings import Settings
from storage.db import create_engine
from storage.models import Event, LeadAssignment
from tests.factories import Actor, Factory
from web.app import build_hub


def lead_input(**fields: Any) -> LeadInput:
    values: dict[str, Any] = {
        "customer_company": "Globex Corporation",
        "country": "US",
        "product_line": "NETWORKING",
        "region": "US-CA",
    }
    values.update(fields)
    return LeadInput(**values)


async def event_types(hub: Hub) -> list[str]:
    async with hub.db() as session:
        return list((await session.execute(select(Event.type).order_by(Event.id))).scalars())


async def outcomes(hub: Hub, lead_id: str) -> list[tuple[str, str]]:
    async with hub.db() as session:
        rows = await session.execute(
            select(LeadAssignment.partner_id, LeadAssignment.outcome)
            .where(LeadAssignment.lead_id == lead_id)
            .order_by(LeadAssignment.id)
        )
        return [(partner, outcome) for partner, outcome in rows.all()]


@pytest.fixture
async def channel(factory: Factory) -> dict[str, Any]:
    """Three Californian partners: gold, silver, and one without the product line."""
    california = (TerritoryInput(name="CA", regions=("US-CA",)),)
    gold = await factory.partner("Gold", tier=Tier.GOLD, territories=california)
    silver = await factory.partner("Silver", tier=Tier.SILVER, territories=california)
    cloud = await factory.partner(
        "Cloudy", tier=Tier.PLATINUM, territories=california, specializations=("CLOUD",)
    )
    vendor = await factory.vendor_admin()
    return {
        "vendor": vendor,
        "gold": gold,
        "silver": silver,
        "cloud": cloud,
        "gold_user": await factory.user(gold.id, Role.PARTNER_USER),
        "silver_user": await factory.user(silver.id, Role.PARTNER_USER),
    }


async def test_new_lead_is_offered_to_the_best_partner_with_an_explanation(
    hub: Hub, channel: dict[str, Any]
) -> None:
    lead = await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())

    assert lead.status == LeadStatus.OFFERED
    assert lead.partner_id == channel["gold"].id
    assert lead.routing is not None
    assert lead.routing["step"] == "TERRITORY"
    assert [c["name"] for c in lead.routing["candidates"]] == ["Gold", "Silver"]
    assert lead.routing["excluded"] == [
        {"partnerId": channel["cloud"].id, "name": "Cloudy", "reason": "NO_SPECIALIZATION"}
    ]
    assert await event_types(hub) == ["LEAD_OFFERED"]


async def test_decline_reroutes_at_once_and_the_decliner_is_excluded(
    hub: Hub, channel: dict[str, Any]
) -> None:
    lead = await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())

    await leads.decline(
        hub,
        principal=channel["gold_user"].principal,
        lead_id=lead.id,
        reason=DeclineReason.NO_CAPACITY,
        note="busy",
    )
    rerouted = await leads.get(hub, principal=channel["vendor"].principal, lead_id=lead.id)

    assert rerouted.partner_id == channel["silver"].id
    assert {
        "partnerId": channel["gold"].id,
        "name": "Gold",
        "reason": "DECLINED_BEFORE",
    } in rerouted.routing["excluded"]  # type: ignore[index]
    assert await outcomes(hub, lead.id) == [
        (channel["gold"].id, "DECLINED"),
        (channel["silver"].id, "OFFERED"),
    ]
    assert await event_types(hub) == ["LEAD_OFFERED", "LEAD_DECLINED", "LEAD_REASSIGNED"]
    with pytest.raises(NotFound):
        await leads.get(hub, principal=channel["gold_user"].principal, lead_id=lead.id)


async def test_unaccepted_offer_is_pulled_back_after_the_deadline(
    hub: Hub, channel: dict[str, Any], clock: ManualClock
) -> None:
    lead = await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())
    clock.advance(hours=47)
    assert await jobs.run_once(hub) == 0
    clock.advance(hours=1)

    moved = await jobs.run_once(hub)
    first = await leads.get(hub, principal=channel["vendor"].principal, lead_id=lead.id)
    clock.advance(hours=48)
    await jobs.run_once(hub)
    last = await leads.get(hub, principal=channel["vendor"].principal, lead_id=lead.id)

    assert moved == 1
    assert first.partner_id == channel["silver"].id
    assert last.status == LeadStatus.UNASSIGNABLE
    assert last.partner_id is None
    assert await outcomes(hub, lead.id) == [
        (channel["gold"].id, "EXPIRED"),
        (channel["silver"].id, "EXPIRED"),
    ]
    assert await event_types(hub) == [
        "LEAD_OFFERED",
        "LEAD_EXPIRED",
        "LEAD_REASSIGNED",
        "LEAD_EXPIRED",
        "LEAD_STATUS_CHANGED",
    ]


async def test_stopping_the_jobs_lets_the_round_under_way_finish(
    hub: Hub, channel: dict[str, Any], clock: ManualClock
) -> None:
    """Shutdown sets the stop event instead of cancelling a round mid-statement."""
    await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())
    clock.advance(hours=48)
    stop = asyncio.Event()
    worker = asyncio.create_task(jobs.run_forever(hub, 3600, stop))
    await asyncio.sleep(0)  # the first round starts and waits on the database
    stop.set()

    await asyncio.wait_for(worker, 10)

    assert not worker.cancelled()
    assert await event_types(hub) == ["LEAD_OFFERED", "LEAD_EXPIRED", "LEAD_REASSIGNED"]


async def test_accepting_after_the_deadline_is_refused(
    hub: Hub, channel: dict[str, Any], clock: ManualClock
) -> None:
    lead = await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())
    clock.advance(hours=49)

    with pytest.raises(Conflict, match="expired"):
        await leads.accept(hub, principal=channel["gold_user"].principal, lead_id=lead.id)


async def test_pipeline_moves_and_lost_needs_a_reason(hub: Hub, channel: dict[str, Any]) -> None:
    gold_user: Actor = channel["gold_user"]
    lead = await leads.create(hub, principal=channel["vendor"].principal, data=lead_input())
    await leads.accept(hub, principal=gold_user.principal, lead_id=lead.id)

    with pytest.raises(BadInput, match="cannot become WON"):
        await leads.move(
            hub,
            principal=gold_user.principal,
            lead_id=lead.id,
            status=LeadStatus.WON,
            reason=None,
            expected_version=None,
        )
    with pytest.raises(BadInput, match="reason"):
        await leads.move(
            hub,
            principal=gold_user.principal,
            lead_id=lead.id,
            status=LeadStatus.LOST,
            reason=" ",
            expected_version=None,
        )
    moved = await leads.move(
        hub,
        principal=gold_user.principal,
        lead_id=lead.id,
        status=LeadStatus.CONTACTED,
        reason=None,
        expected_version=None,
    )
    with pytest.raises(Conflict):
        await leads.move(
            hub,
            principal=gold_user.principal,
            lead_id=lead.id,
            status=LeadStatus.QUALIFIED,
            reason=None,
            expected_version=moved.version - 1,
        )

    assert moved.status == LeadStatus.CONTACTED


async def test_customer_owned_by_a_partner_goes_to_that_partner(
    hub: Hub, channel: dict[str, Any]
) -> None:
    vendor = channel["vendor"].principal
    first = await leads.create(hub, principal=vendor, data=lead_input(email="cto@globex.example"))
    await leads.accept(hub, principal=channel["gold_user"].principal, lead_id=first.id)
    await policy.update(hub, principal=vendor, changes={"strategy": policy.Strategy.ROUND_ROBIN})

    same_name = await leads.create(
        hub, principal=vendor, data=lead_input(customer_company="GLOBEX corp.", region="US-CA")
    )
    same_domain = await leads.create(
        hub,
        principal=vendor,
        data=lead_input(customer_company="Globex Labs", email="ops@globex.example"),
    )

    assert same_name.partner_id == channel["gold"].id
    assert same_name.routing["step"] == "CONFLICT"  # type: ignore[index]
    assert same_domain.partner_id == channel["gold"].id
    with pytest.raises(Conflict, match="owned by another partner"):
        await leads.assign_to(
            hub, principal=vendor, lead_id=same_name.id, partner_id=channel["silver"].id
        )


def test_customer_identity_normalisation() -> None:
    assert customer_key("ACME, Inc.", "us") == customer_key("Acme", "US") == "US:acme"
    assert customer_key("Société Générale S.A.", "FR") == "FR:societe generale"
    assert email_domain("x@Globex.example") == "globex.example"
    assert email_domain("someone@gmail.com") is None


async def test_deal_registration_auto_approval_conflict_and_expiry(
    hub: Hub, channel: dict[str, Any], clock: ManualClock
) -> None:
    vendor = channel["vendor"].principal
    deal = DealInput(
        customer_company="Initech",
        country="US",
        product_line="NETWORKING",
        value_minor=500_000,
        currency="usd",
    )

    gold_deal = await deals.register(hub, principal=channel["gold_user"].principal, data=deal)
    silver_deal = await deals.register(hub, principal=channel["silver_user"].principal, data=deal)
    lead = await leads.create(
        hub, principal=vendor, data=lead_input(customer_company="Initech LLC")
    )

    assert gold_deal.status == DealStatus.APPROVED
    assert silver_deal.status == DealStatus.PENDING
    assert silver_deal.conflict == {
        "partnerId": channel["gold"].id,
        "kind": "DEAL_REGISTRATION",
        "recordId": gold_deal.id,
    }
    assert lead.partner_id == channel["gold"].id
    with pytest.raises(Conflict, match=gold_deal.id):
        await deals.approve(hub, principal=vendor, deal_id=silver_deal.id)

    clock.advance(days=91)
    await jobs.run_once(hub)
    expired = await deals.get(hub, principal=vendor, deal_id=gold_deal.id)
    approved = await deals.approve(hub, principal=vendor, deal_id=silver_deal.id)

    assert expired.status == DealStatus.EXPIRED
    assert approved.status == DealStatus.APPROVED


async def test_conflicting_registration_is_rejected_under_the_reject_policy(
    hub: Hub, channel: dict[str, Any]
) -> None:
    await policy.update(
        hub, principal=channel["vendor"].principal, changes={"conflict_policy": "REJECT"}
    )
    deal = DealInput(
        customer_company="Hooli",
        country="US",
        product_line="NETWORKING",
        value_minor=1000,
        currency="EUR",
    )
    await deals.register(hub, principal=channel["gold_user"].principal, data=deal)

    second = await deals.register(hub, principal=channel["silver_user"].principal, data=deal)

    assert second.status == DealStatus.REJECTED
    assert "already claimed by another partner" in (second.decision_reason or "")


async def test_extension_is_requested_then_granted(hub: Hub, channel: dict[str, Any]) -> None:
    deal = DealInput(
        customer_company="Umbrella",
        country="US",
        product_line="NETWORKING",
        value_minor=1000,
        currency="USD",
    )
    registered = await deals.register(hub, principal=channel["gold_user"].principal, data=deal)
    before = registered.expires_at

    await deals.request_extension(
        hub,
        principal=channel["gold_user"].principal,
        deal_id=registered.id,
        days=30,
        reason="board meets in May",
    )
    extended = await deals.approve_extension(
        hub, principal=channel["vendor"].principal, deal_id=registered.id
    )

    assert before is not None and extended.expires_at is not None
    assert (extended.expires_at - before).days == 30


async def test_two_processes_pull_back_each_expired_offer_once(
    hub: Hub, channel: dict[str, Any], clock: ManualClock, settings: Settings
) -> None:
    for n in range(6):
        await leads.create(
            hub,
            principal=channel["vendor"].principal,
            data=lead_input(customer_company=f"Company {n}"),
        )
    clock.advance(hours=49)
    engine = create_engine(settings.database_url, pool_size=2)
    other = build_hub(settings, engine, clock)
    try:
        moved = await asyncio.gather(
            lead_jobs.expire_offers(hub),
            lead_jobs.expire_offers(other),
            lead_jobs.expire_offers(hub),
        )
    finally:
        await engine.dispose()

    async with hub.db() as session:
        expired = await session.scalar(
            select(func.count())
            .select_from(LeadAssignment)
            .where(LeadAssignment.outcome == "EXPIRED")
        )
    assert sum(moved) == 6
    assert expired == 6
