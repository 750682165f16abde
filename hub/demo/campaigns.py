"""Demo campaigns: a running "Firewall refresh" for resellers and VARs from Silver up, with a
kit, three partners opted in and leads from it (one won); last autumn's "Storage for
schools", archived, that named two partners and brought a won lead; and a draft for MSPs.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import NamedTuple

from hub.audience import Audience
from hub.campaigns import service as campaigns
from hub.campaigns.rules import CampaignChanges, CampaignInput, CampaignStatus
from hub.demo.leadwork import given_and_worked, lead_input
from hub.demo.world import Demo, Part, Story
from hub.leads.rules import LeadSource
from hub.partners.rules import PartnerType, Tier


class Plan(NamedTuple):
    name: str
    landing_text: str
    # Days ago it starts and ends (negative: in the future), and is published (None: draft).
    starts: int
    ends: int
    published: int | None
    audience: Audience
    named: tuple[str, ...]
    kit: tuple[str, ...]
    # (partner login, days ago it opts in)
    joins: tuple[tuple[str, int], ...]
    # (partner login, customer, country, value in dollars, steps along the pipeline, days ago)
    leads: tuple[tuple[str, str, str, int, int, int], ...]
    archived: int | None = None
    line: str = "SECURITY"


PLANS = (
    Plan(
        "Firewall refresh",
        "Replace end-of-life firewalls before renewal season: a bundle price, two years of "
        "support and a ready-made mailing. Join, use the kit, and name the campaign on the "
        "leads and registrations it brings.",
        30,
        -60,
        30,
        Audience(min_tier=Tier.SILVER, partner_types=(PartnerType.RESELLER, PartnerType.VAR)),
        (),
        ("firewall-brochure", "switch-datasheet"),
        (
            ("admin@prairie.example", 28),
            ("admin@lakeside.example", 25),
            ("admin@thames.example", 20),
        ),
        (
            ("admin@prairie.example", "Fortress Dental", "US", 24_000, 3, 18),
            ("admin@lakeside.example", "Harbor Clinics", "US", 11_000, 2, 12),
            ("admin@thames.example", "Camden Legal", "GB", 8_000, 0, 5),
        ),
    ),
    Plan(
        "Storage for schools",
        "Back-to-school storage upgrades for school districts, with education pricing.",
        200,
        120,
        200,
        Audience(),
        ("Prairie IT", "Lakeside Resellers"),
        ("logo",),
        (("admin@prairie.example", 195),),
        (("admin@prairie.example", "Cedar School District", "US", 31_000, 3, 150),),
        archived=110,
        line="STORAGE",
    ),
    Plan(
        "MSP backup bundle",
        "Backup as a service for managed service providers (in preparation).",
        -30,
        -120,
        None,
        Audience(partner_types=(PartnerType.MSP,)),
        (),
        (),
        (),
        (),
    ),
)


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS]


PART = Part(order=67, stories=stories)


async def _story(demo: Demo, plan: Plan) -> Story:
    today = demo.end.date()
    yield float(max(plan.starts, plan.published or 0) + 2)
    wanted = dataclasses.replace(
        plan.audience, partner_ids=[demo.partner(name) for name in plan.named]
    )
    campaign = await campaigns.create(
        demo.hub,
        principal=demo.manager,
        data=CampaignInput(
            name=plan.name,
            landing_text=plan.landing_text,
            starts_on=today - timedelta(days=plan.starts),
            ends_on=today - timedelta(days=plan.ends),
            audience=wanted,
            asset_ids=[demo.records[f"asset:{name}"] for name in plan.kit],
        ),
    )
    demo.records[f"campaign:{plan.name}"] = campaign.id
    if plan.published is None:
        return
    yield float(plan.published)
    await _move(demo, campaign.id, CampaignStatus.PUBLISHED)
    steps: list[tuple[int, str, tuple[str, str, str, int, int, int] | None]] = [
        (days, login, None) for login, days in plan.joins
    ]
    steps += [(lead[-1], lead[0], lead) for lead in plan.leads]
    for days, login, lead in sorted(steps, key=lambda step: -step[0]):
        yield float(days)
        if lead is None:
            await campaigns.opt_in(demo.hub, principal=demo.person(login), campaign_id=campaign.id)
            continue
        _, customer, country, dollars, moves, _ = lead
        data = dataclasses.replace(
            lead_input(customer, country, plan.line, dollars * 100, source=LeadSource.CAMPAIGN),
            campaign_id=campaign.id,
        )
        worker = demo.person(login)
        await given_and_worked(demo, data, worker.organization_id, worker, steps=moves)
    if plan.archived is not None:
        yield float(plan.archived)
        await _move(demo, campaign.id, CampaignStatus.ARCHIVED)


async def _move(demo: Demo, campaign_id: str, status: CampaignStatus) -> None:
    await campaigns.update(
        demo.hub,
        principal=demo.manager,
        campaign_id=campaign_id,
        changes=CampaignChanges(status=status),
    )
