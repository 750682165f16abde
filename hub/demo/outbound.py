"""Reaching beyond the socket in the demo: the ERP's INTEGRATION account with an API key
(orders and payments), the CRM's with a leads key that upserts three leads by their CRM ids
(and syncs a change to one of them a day later), a webhook endpoint for the CRM on loopback
where nothing listens (its delivery log fills with refused connections and growing waits
until it is disabled), German email for the two German partners, and a daily digest instead
of instant lead email for one partner admin. Email goes to var/outbox/ as .eml files unless
SMTP_HOST is set."""

from __future__ import annotations

from dataclasses import fields, replace

from hub import api_keys, sync
from hub import partners as partner_service
from hub import users as user_service
from hub.api_keys import Scope
from hub.demo.channel import DEMO_PASSWORD
from hub.demo.leadwork import lead_input
from hub.demo.world import Demo, Part, Story
from hub.leads.rules import LeadInput
from hub.mail import preferences
from hub.mail.rules import EmailKind, EmailMode
from hub.roles import Principal, Role
from hub.webhooks import endpoints
from hub.webhooks.endpoints import EndpointInput

CRM_URL = "http://127.0.0.1:9/crm/channelhub"
CRM_LEADS = (
    ("00Q5e00001CRM01", "Lakeshore Logistics", "US", "NETWORKING", 4_200_000, "US-IL"),
    ("00Q5e00001CRM02", "Golden Gate Analytics", "US", "CLOUD", 2_750_000, "US-CA"),
    ("00Q5e00001CRM03", "Isar Maschinenbau", "DE", "CLOUD", 1_900_000, "DE-BY"),
)
# Every field of a lead as the CRM sends it.
ALL = tuple(field.name for field in fields(LeadInput))
GERMAN = ("Rhein Netzwerke", "Bayern Cloud Partner")


def stories(demo: Demo) -> list[Story]:
    return [_story(demo)]


async def _story(demo: Demo) -> Story:
    hub, vendor = demo.hub, demo.vendor
    yield 12.0
    erp = await _integration(demo, "erp@vendor.example", "ERP connector")
    await api_keys.create(
        hub,
        principal=vendor,
        user_id=erp.user_id,
        name="ERP sync",
        scopes=[Scope.READ, Scope.ORDERS, Scope.PAYMENTS],
    )
    yield 2.0
    crm = await _integration(demo, "crm@vendor.example", "CRM connector")
    await api_keys.create(
        hub,
        principal=vendor,
        user_id=crm.user_id,
        name="CRM sync",
        scopes=[Scope.READ, Scope.LEADS],
    )
    sent = [
        replace(lead_input(company, country, line, value, region=region), external_id=crm_id)
        for crm_id, company, country, line, value, region in CRM_LEADS
    ]
    await sync.upsert_leads(hub, principal=crm, items=[(lead, ALL) for lead in sent])
    yield 1.0
    # The CRM's next sync: the deal grew, the rest is as before (unchanged, no event).
    grown = [replace(sent[0], value_minor=sent[0].value_minor * 2), *sent[1:]]
    await sync.upsert_leads(hub, principal=crm, items=[(lead, ALL) for lead in grown])
    yield 7.0
    for name in GERMAN:
        await partner_service.update_profile(
            hub, principal=vendor, partner_id=demo.partner(name), changes={"language": "de"}
        )
    admin = demo.staff_of(demo.partner("Rhein Netzwerke"))
    await preferences.choose(
        hub, principal=admin, kind=EmailKind.LEAD_OFFERED, mode=EmailMode.DIGEST
    )
    if not hub.settings.webhooks.allow_loopback:
        return  # outside development webhooks may not go to loopback: no demo endpoint
    await endpoints.create(
        hub,
        principal=vendor,
        data=EndpointInput(
            url=CRM_URL,
            topics=("lead", "order"),
            description="CRM (demo: nothing listens here, so every delivery waits and retries)",
        ),
    )


async def _integration(demo: Demo, email: str, name: str) -> Principal:
    """An INTEGRATION account of the vendor, invited and accepted."""
    vendor = demo.vendor
    issued = await user_service.invite(
        demo.hub,
        principal=vendor,
        organization_id=vendor.organization_id,
        email=email,
        name=name,
        role=Role.INTEGRATION,
    )
    user = await user_service.accept_invite(
        demo.hub, token=issued.token, password=DEMO_PASSWORD, name=None
    )
    return Principal(user_id=user.id, organization_id=vendor.organization_id, role=Role.INTEGRATION)


PART = Part(order=73, stories=stories)
