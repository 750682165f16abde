"""Demo conversations: the vendor with partners about leads, orders and practices, and a
distributor with its sub-reseller; with mentions, attachments and read receipts."""

from __future__ import annotations

import re
from typing import NamedTuple

from hub.demo import files
from hub.demo.world import Demo, Part, Story
from hub.messaging import conversations, messages
from hub.messaging.rules import ContextType, ConversationInput


class Say(NamedTuple):
    days: float
    who: str
    body: str  # "{@email}" mentions that demo user
    read_by: tuple[str, ...] = ()  # who reads up to this message right away
    photo: bool = False  # attach a small picture
    assets: tuple[str, ...] = ()  # demo assets shared with the message


class Talk(NamedTuple):
    subject: str
    starter: str
    people: tuple[str, ...]
    organizations: tuple[str, ...] = ()  # partners by name, or "vendor"
    context: str | None = None  # "lead:<name>", "order:<name>", "deal:<name>", "practice:<name>"
    says: tuple[Say, ...] = ()


CONTEXTS = {
    "lead": ContextType.LEAD,
    "order": ContextType.ORDER,
    "deal": ContextType.DEAL_REGISTRATION,
    "practice": ContextType.BEST_PRACTICE,
}
GG, GABRIEL = "admin@goldengate.example", "sales@goldengate.example"
MANAGER = "manager@vendor.example"
TALKS = (
    Talk(
        "Initech: first call",
        MANAGER,
        (GG, GABRIEL),
        context="lead:initech",
        says=(
            Say(
                58,
                MANAGER,
                "Initech came in through the web form; it is yours under your "
                "registration. {@admin@goldengate.example} can you take the first call?",
                (GG,),
            ),
            Say(57.9, GG, "On it. Gabriel joins from our side.", (MANAGER, GABRIEL)),
            Say(57, GABRIEL, "Call booked for Thursday 10:00 PT.", (MANAGER, GG)),
            Say(
                39,
                MANAGER,
                "Qualified already, great work. Anything you need for the proposal?",
                (GG,),
            ),
            Say(38, GG, "The current price list, please."),
            Say(37, MANAGER, "Here it is, version 2.", assets=("price-list",)),
        ),
    ),
    Talk(
        "Damaged storage array",
        "admin@prairie.example",
        (),
        organizations=("vendor",),
        context="order:badger-array",
        says=(
            Say(
                2.9,
                "admin@prairie.example",
                "One drive bay arrived cracked, see the photo. We requested a return.",
                photo=True,
            ),
            Say(
                2.5,
                MANAGER,
                "Sorry about that. Ship it back with the RMA label; a "
                "replacement leaves Reno today.",
                ("admin@vendor.example",),
            ),
        ),
    ),
    Talk(
        "Globex: stock for the rollout",
        "admin@northwind.example",
        ("admin@lakeside.example",),
        context="deal:globex",
        says=(
            Say(
                57,
                "admin@northwind.example",
                "Congratulations on the Globex approval! Shall we hold stock for their rollout?",
                ("admin@lakeside.example",),
            ),
            Say(
                56,
                "admin@lakeside.example",
                "Yes please: ten SW-48 for next month.",
                ("admin@northwind.example",),
            ),
            Say(
                55,
                "admin@northwind.example",
                "Reserved. {@admin@lakeside.example} send us "
                "the delivery address when you have it.",
                ("admin@lakeside.example",),
            ),
            Say(1, "admin@lakeside.example", "Address: 1 Main St, Milwaukee. Order placed."),
        ),
    ),
    Talk(
        "Featuring your clinic bundle",
        MANAGER,
        ("admin@prairie.example",),
        context="practice:clinic-bundle",
        says=(
            Say(
                50,
                MANAGER,
                "We would like to feature your clinic bundle in the partner newsletter.",
                ("admin@prairie.example",),
            ),
            Say(
                49, "admin@prairie.example", "Happy to! Our case study is yours to use.", (MANAGER,)
            ),
        ),
    ),
    Talk(
        "Quarterly business review",
        MANAGER,
        (),
        organizations=("Thames Technology",),
        says=(
            Say(
                14,
                MANAGER,
                "Agenda for the QBR:\n\n1. Pipeline\n2. The Initech UK "
                "registration\n3. Training plan",
                ("admin@thames.example",),
            ),
            Say(
                13, "admin@thames.example", "Could we add the storage firmware update?", (MANAGER,)
            ),
            Say(12, MANAGER, "Added as item 4."),
        ),
    ),
)


async def configure(demo: Demo) -> None:
    """Partners talk to the vendor and within their channel only; edits for half an hour."""
    await conversations.update_policy(
        demo.hub, principal=demo.vendor, partner_to_partner=False, edit_window_minutes=30
    )


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, talk) for talk in TALKS]


PART = Part(order=80, configure=configure, stories=stories)


async def _story(demo: Demo, talk: Talk) -> Story:
    first, *_ = talk.says
    yield first.days
    kind = (talk.context or "").split(":", 1)[0]
    conversation = await conversations.start(
        demo.hub,
        principal=demo.person(talk.starter),
        data=ConversationInput(
            subject=talk.subject,
            user_ids=[demo.person(email).user_id for email in talk.people],
            organization_ids=[_organization(demo, org) for org in talk.organizations],
            context_type=CONTEXTS[kind] if talk.context else None,
            context_id=demo.records[talk.context] if talk.context else None,
        ),
    )
    for number, say in enumerate(talk.says):
        if number:
            yield say.days
        await _say(demo, conversation.id, say)


async def _say(demo: Demo, conversation_id: str, say: Say) -> None:
    photo = files.png(64, 48, (200, 200, 200), (120, 60, 40))
    sent = await messages.send(
        demo.hub,
        principal=demo.person(say.who),
        conversation_id=conversation_id,
        body=re.sub(r"\{@([^}]+)\}", lambda found: f"<@{demo.person(found[1]).user_id}>", say.body),
        files=[("bay.png", files.chunks(photo))] if say.photo else [],
        asset_ids=[demo.records[f"asset:{name}"] for name in say.assets],
    )
    for reader in say.read_by:
        await messages.mark_read(
            demo.hub,
            principal=demo.person(reader),
            conversation_id=conversation_id,
            up_to_message_id=sent.id,
        )


def _organization(demo: Demo, name: str) -> str:
    return demo.vendor.organization_id if name == "vendor" else demo.partner(name)
