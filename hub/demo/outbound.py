"""Reaching beyond the socket in the demo: the ERP's INTEGRATION account with an API key
(orders and payments), a webhook endpoint for the CRM on loopback where nothing listens (its
delivery log fills with refused connections and growing waits until it is disabled), German
email for the two German partners, and a daily digest instead of instant lead email for one
partner admin. Email goes to var/outbox/ as .eml files unless SMTP_HOST is set."""

from __future__ import annotations

from hub import api_keys
from hub import partners as partner_service
from hub import users as user_service
from hub.api_keys import Scope
from hub.demo.channel import DEMO_PASSWORD
from hub.demo.world import Demo, Part, Story
from hub.mail import preferences
from hub.mail.rules import EmailKind, EmailMode
from hub.roles import Role
from hub.webhooks import endpoints
from hub.webhooks.endpoints import EndpointInput

CRM_URL = "http://127.0.0.1:9/crm/channelhub"
GERMAN = ("Rhein Netzwerke", "Bayern Cloud Partner")


def stories(demo: Demo) -> list[Story]:
    return [_story(demo)]


async def _story(demo: Demo) -> Story:
    hub, vendor = demo.hub, demo.vendor
    yield 12.0
    issued = await user_service.invite(
        hub,
        principal=vendor,
        organization_id=vendor.organization_id,
        email="erp@vendor.example",
        name="ERP connector",
        role=Role.INTEGRATION,
    )
    erp = await user_service.accept_invite(
        hub, token=issued.token, password=DEMO_PASSWORD, name=None
    )
    await api_keys.create(
        hub,
        principal=vendor,
        user_id=erp.id,
        name="ERP sync",
        scopes=[Scope.READ, Scope.ORDERS, Scope.PAYMENTS],
    )
    yield 10.0
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


PART = Part(order=73, stories=stories)
