"""The demo partner program: "Partner program 2026" with each tier's benefits and
requirements, its partner agreement (version 1 a year ago, version 2 with data-protection
terms six weeks ago) and code of conduct. Every partner admin accepted version 1 and the
code of conduct; half have accepted version 2 so far, so the others see it waiting. Harbour
Networks, still ONBOARDING, has accepted nothing: its checklist shows what is left. The
vendor vets applications through its own stages, a credit check among them: Andes Digital's
application is at it, owned by the channel manager, with a note and a document.
"""

from __future__ import annotations

from hub import files as hub_files
from hub.demo import files
from hub.demo.world import Demo, Part, Story
from hub.partners.rules import Tier
from hub.programs import service as programs
from hub.programs import vetting
from hub.programs.service import AgreementInput, ProgramChanges, ProgramInput, TierInput
from hub.programs.service import ProgramStatus as Status
from hub.roles import Role

TIERS = (
    TierInput(
        Tier.PLATINUM,
        ("40% discount", "Quarterly MDF", "A dedicated channel manager", "Leads first"),
        ("US$1M revenue a year", "4 certified users", "A joint business plan"),
    ),
    TierInput(
        Tier.GOLD,
        ("30% discount", "MDF on request", "Leads routed by score"),
        ("US$250k revenue a year", "2 certified users"),
    ),
    TierInput(Tier.SILVER, ("20% discount", "Campaign kits"), ("1 certified user",)),
    TierInput(Tier.REGISTERED, ("10% discount", "The knowledge base"), ("A signed agreement",)),
)
AGREEMENT_V1 = ["Edition 2025", "Resale terms, pricing and payment, trademarks."]
AGREEMENT_V2 = ["Edition 2026", "Adds data-protection terms for end-customer data."]


def stories(demo: Demo) -> list[Story]:
    return [_story(demo), _vetting(demo)]


async def _vetting(demo: Demo) -> Story:
    """The vendor's stages, with a credit check, and Andes Digital's application at it:
    owned by the channel manager, with a note and its reseller certificate."""
    hub, manager = demo.hub, demo.manager
    yield 20.0
    await vetting.set_stages(
        hub,
        principal=manager,
        wanted=[
            vetting.StageInput("SUBMITTED", "Submitted"),
            vetting.StageInput("QUALIFYING", "Qualifying"),
            vetting.StageInput("CREDIT_CHECK", "Credit check"),
            vetting.StageInput("CONTRACTING", "Contracting"),
        ],
    )
    andes = demo.partner("Andes Digital")
    await vetting.assign(hub, principal=manager, partner_id=andes, owner_id=manager.user_id)
    yield 15.0
    await vetting.move(hub, principal=manager, partner_id=andes, stage="QUALIFYING")
    await vetting.add_note(
        hub,
        principal=manager,
        partner_id=andes,
        body="Three cloud references in São Paulo; asked for their reseller certificate.",
    )
    yield 8.0
    await vetting.add_document(
        hub,
        principal=manager,
        partner_id=andes,
        title="Reseller certificate",
        file_name="Andes Digital - reseller certificate.pdf",
        chunks=hub_files.once(files.pdf("Reseller certificate", ["Andes Digital Ltda"])),
    )
    await vetting.move(hub, principal=manager, partner_id=andes, stage="CREDIT_CHECK")


PART = Part(order=71, stories=stories)


async def _story(demo: Demo) -> Story:
    hub, manager = demo.hub, demo.manager
    yield 370.0
    program = await programs.create(
        hub,
        principal=manager,
        data=ProgramInput(
            "Partner program 2026",
            "How partners grow with us: what each tier gets and what it takes to hold it.",
            TIERS,
        ),
    )
    terms = await programs.create_agreement(
        hub, principal=manager, data=AgreementInput(program.id, "Partner agreement")
    )
    conduct = await programs.create_agreement(
        hub, principal=manager, data=AgreementInput(program.id, "Code of conduct")
    )
    first = await _publish(demo, terms.id, "Partner agreement", AGREEMENT_V1, "First edition")
    conduct_v1 = await _publish(
        demo, conduct.id, "Code of conduct", ["Fair dealing, no bribery."], "First edition"
    )
    await programs.update(
        hub,
        principal=manager,
        program_id=program.id,
        changes=ProgramChanges(status=Status.PUBLISHED),
    )
    admins = sorted(
        (
            principal
            for principal in demo.people.values()
            if principal.role is Role.PARTNER_ADMIN
            and principal.organization_id != demo.partners.get("Harbour Networks")
        ),
        key=lambda principal: principal.organization_id,
    )
    for n, admin in enumerate(admins):
        yield 360.0 - n
        for version in (first, conduct_v1):
            await programs.accept(hub, principal=admin, version_id=version)
    yield 42.0
    second = await _publish(
        demo, terms.id, "Partner agreement", AGREEMENT_V2, "Adds data-protection terms"
    )
    for n, admin in enumerate(admins[::2]):
        yield 30.0 - n
        await programs.accept(hub, principal=admin, version_id=second)


async def _publish(
    demo: Demo, agreement_id: str, title: str, lines: list[str], summary: str
) -> str:
    version = await programs.publish_version(
        demo.hub,
        principal=demo.manager,
        agreement_id=agreement_id,
        file_name=f"{title}.pdf",
        chunks=hub_files.once(files.pdf(title, lines)),
        summary=summary,
    )
    return version.id
