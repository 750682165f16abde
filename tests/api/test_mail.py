"""Email against a real SMTP server on loopback (aiosmtpd), on PostgreSQL and the embedded
SQLite: who gets what (never another partner's people or records), preferences and the daily
digest, escaping, translations, retries on temporary refusals, invitations, and a durable
queue that loses nothing and sends nothing twice across crashes and several processes.

The background worker is idle (it polls once an hour): each test runs a mail round itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hub.clock import ManualClock
from hub.mail import composers, feed, jobs, outbox, sender, worker
from hub.orders import catalog, stock
from hub.orders.catalog import ProductInput
from hub.roles import Role
from hub.runtime import Hub
from hub.settings import Settings, load_settings
from hub.training import jobs as training_jobs
from storage.models.mail import EmailDigestItem, EmailMessage
from tests import lists
from tests.api.test_lead_events import _channel, create_lead
from tests.conftest import data_of, factory_for, hub_env, sqlite_hub
from tests.factories import Factory, errors_of
from tests.lists import PLACE_ORDER
from tests.mailbox import Mailbox, smtp_server
from web.app import create_app

LEAD = """query($id: ID!) { lead(id: $id) { offerExpiresAt } }"""
PREFERENCES = "{ emailPreferences { kind mode } }"
CHOOSE = """mutation($kind: EmailKind!, $mode: EmailMode!) {
  setEmailPreference(kind: $kind, mode: $mode) { kind mode } }"""
MESSAGES = """query($statuses: [EmailStatus!], $user: ID) { emailMessages(statuses: $statuses,
  userId: $user, first: 50) { totalCount edges { node { kind toAddress subject status attempts
  lastError messageId sentAt } } } }"""
INVITE = """mutation($org: ID!, $email: String!) { inviteUser(organizationId: $org, email: $email,
  name: "Nina New", role: PARTNER_USER) { id } }"""
ACCEPT = """mutation($token: String!) { acceptInvite(token: $token, password: "a long passphrase")
  { email } }"""
LANGUAGE = """mutation($id: ID!, $language: String) { updatePartner(id: $id,
  input: {language: $language}) { language } }"""


def mail_env(mailbox: Mailbox) -> dict[str, str]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(mailbox.port),
        "smtp_tls": "none",
        "mail_from": "Vendor Channel <channel@vendor.test>",
        "mail_poll_ms": "3600000",
        "webhook_poll_ms": "3600000",
        "token_ttl_seconds": str(30 * 86400),
    }


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as served:
        yield served


@pytest.fixture
def settings(tmp_path: Path, mailbox: Mailbox) -> Settings:
    return load_settings(hub_env(var_dir=str(tmp_path / "var"), **mail_env(mailbox)))


@pytest.fixture
async def sqlite_mail(
    tmp_path: Path, clock: ManualClock, mailbox: Mailbox
) -> AsyncIterator[Factory]:
    async with sqlite_hub(tmp_path, clock, **mail_env(mailbox)) as made:
        yield made


@pytest.fixture(params=["postgresql", "sqlite"])
def mails(request: pytest.FixtureRequest) -> Factory:
    return factory_for(request, "sqlite_mail")


async def deliver(hub: Hub) -> int:
    return await worker.run_once(hub)


async def settled(factory: Factory, mailbox: Mailbox) -> None:
    """Send what setting up queued (the invitations of the users made) and forget it."""
    await deliver(factory.hub)
    assert {item.message["x-channelhub-kind"] for item in mailbox.delivered} <= {"INVITATION"}
    mailbox.delivered.clear()


async def test_an_offered_lead_emails_its_partners_people_only(
    mails: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(mails)
    gold_id = channel["gold"].user.organization_id
    gold_admin = await mails.user(gold_id, Role.PARTNER_ADMIN)
    await settled(mails, mailbox)
    lead = await create_lead(mails, channel["vendor"], customerCompany="<b>Acme & Co</b>")
    assert await deliver(mails.hub) == 2

    gold_people = {channel["gold"].user.email, gold_admin.user.email}
    assert {address for item in mailbox.delivered for address in item.recipients} == gold_people
    expires = data_of(await mails.gql(LEAD, {"id": lead["id"]}, actor=channel["vendor"]))
    deadline = expires["lead"]["offerExpiresAt"][:16].replace("T", " ")
    for item in mailbox.delivered:
        assert item.sender == "channel@vendor.test"
        assert item.message["from"] == "Vendor Channel <channel@vendor.test>"
        assert item.subject == "New lead for Gold: <b>Acme & Co</b>"
        text, html = item.part("plain"), item.part("html")
        assert "<b>Acme & Co</b> (NETWORKING, US-CA, US) was offered to Gold." in text
        assert f"before {deadline} UTC" in text
        assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt;" in html and "<b>Acme" not in html
        assert f"/#/leads/{lead['id']}" in text
        for stranger in ("Silver", "Stranger"):
            assert stranger not in text and stranger not in html
    logged = data_of(await mails.gql(MESSAGES, actor=channel["gold"]))["emailMessages"]
    assert [edge["node"]["toAddress"] for edge in logged["edges"]] == [channel["gold"].user.email]
    node = logged["edges"][0]["node"]
    assert node["status"] == "SENT" and node["attempts"] == 1 and node["kind"] == "LEAD_OFFERED"
    mine = mailbox.to(channel["gold"].user.email)[0]
    assert mine.message["message-id"] == node["messageId"]
    assert (
        data_of(await mails.gql(MESSAGES, actor=channel["stranger"]))["emailMessages"]["totalCount"]
        == 0
    )
    everyone = data_of(await mails.gql(MESSAGES, {"statuses": ["SENT"]}, actor=channel["vendor"]))[
        "emailMessages"
    ]
    kinds = [edge["node"]["kind"] for edge in everyone["edges"]]
    assert kinds.count("LEAD_OFFERED") == 2 and set(kinds) == {"LEAD_OFFERED", "INVITATION"}
    assert await deliver(mails.hub) == 0 and len(mailbox.delivered) == 2


async def test_preferences_turn_a_kind_off_or_into_the_daily_digest(
    mails: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(mails)
    gold_id = channel["gold"].user.organization_id
    quiet = await mails.user(gold_id, Role.PARTNER_ADMIN)
    digest = channel["gold"]
    await settled(mails, mailbox)
    for actor, mode in ((quiet, "OFF"), (digest, "DIGEST")):
        chosen = data_of(
            await mails.gql(CHOOSE, {"kind": "LEAD_OFFERED", "mode": mode}, actor=actor)
        )
        assert chosen["setEmailPreference"] == {"kind": "LEAD_OFFERED", "mode": mode}
    listed = data_of(await mails.gql(PREFERENCES, actor=digest))["emailPreferences"]
    assert {"kind": "LEAD_OFFERED", "mode": "DIGEST"} in listed
    assert {"kind": "ORDER_SHIPPED", "mode": "IMMEDIATE"} in listed
    assert all(item["kind"] not in ("INVITATION", "PASSWORD_RESET") for item in listed)
    refused = await mails.gql(CHOOSE, {"kind": "INVITATION", "mode": "OFF"}, actor=digest)
    assert errors_of(refused) == [("BAD_USER_INPUT", "kind")]

    await create_lead(mails, channel["vendor"], customerCompany="Globex")
    await create_lead(mails, channel["vendor"], customerCompany="Initech", region="US-CA")
    clock: ManualClock = mails.hub.clock  # type: ignore[assignment]
    await deliver(mails.hub)  # 09:00, the digest hour (07:00) passed: nothing waits yet
    assert mailbox.delivered == []
    clock.advance(hours=22)  # 07:00 the next day
    assert await deliver(mails.hub) == 1
    (sent,) = mailbox.delivered
    assert sent.recipients == [digest.user.email]
    assert sent.subject == "Your ChannelHub digest: 2 updates"
    assert "- New lead for Gold: Globex" in sent.part("plain")
    assert "- New lead for Gold: Initech" in sent.part("plain")
    await create_lead(mails, channel["vendor"], customerCompany="Umbrella", region="US-CA")
    clock.advance(hours=1)
    assert await deliver(mails.hub) == 0  # one digest a day: Umbrella waits for tomorrow
    clock.advance(days=1)
    await deliver(mails.hub)
    digests = [item for item in mailbox.delivered if item.message["x-channelhub-kind"] == "DIGEST"]
    assert len(digests) == 2 and "Umbrella" in digests[-1].part("plain")
    # The offers now expire within LEAD_REMINDER_HOURS: reminders go, as chosen (IMMEDIATE).
    reminded = {item.subject for item in mailbox.delivered if item.subject.startswith("Reminder")}
    assert reminded == {
        "Reminder: the lead Globex expires at 2026-03-04 09:00 UTC",
        "Reminder: the lead Initech expires at 2026-03-04 09:00 UTC",
    }
    assert {item.subject for item in mailbox.to(quiet.user.email)} == reminded


async def test_a_digest_nobody_can_receive_holds_up_no_other(
    mails: Factory, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = await _channel(mails)
    gold_id = channel["gold"].user.organization_id
    users = [channel["gold"], *[await mails.user(gold_id, Role.PARTNER_USER) for _ in range(3)]]
    await settled(mails, mailbox)
    for actor in users:
        await mails.gql(CHOOSE, {"kind": "LEAD_OFFERED", "mode": "DIGEST"}, actor=actor)
    gone = users[:2]  # left the partner: their lines can no longer be sent
    for actor in gone:
        deactivate = "mutation($id: ID!) { setUserActive(userId: $id, active: false) { id } }"
        data_of(await mails.gql(deactivate, {"id": actor.user.id}, actor=channel["vendor"]))
    await create_lead(mails, channel["vendor"], customerCompany="Globex")
    monkeypatch.setattr(jobs, "BATCH", 1)
    clock: ManualClock = mails.hub.clock  # type: ignore[assignment]
    clock.advance(hours=22)
    await deliver(mails.hub)
    digests = [item for item in mailbox.delivered if item.message["x-channelhub-kind"] == "DIGEST"]
    assert sorted(item.recipients[0] for item in digests) == sorted(
        actor.user.email for actor in users[2:]
    )
    async with mails.hub.read() as session:
        left = await session.scalar(select(func.count()).select_from(EmailDigestItem))
        pending = await session.scalar(
            select(func.count()).where(EmailDigestItem.digest_id.is_(None))
        )
    assert (left, pending) == (2, 0)


async def test_an_invitation_is_emailed_with_a_working_link(
    mails: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(mails)
    gold_id = channel["gold"].user.organization_id
    admin = await mails.user(gold_id, Role.PARTNER_ADMIN)
    await settled(mails, mailbox)
    data_of(await mails.gql(INVITE, {"org": gold_id, "email": "nina@gold.example"}, actor=admin))
    assert await deliver(mails.hub) == 1
    (sent,) = mailbox.delivered
    assert sent.recipients == ["nina@gold.example"]
    assert sent.subject.endswith("invites you to Gold on ChannelHub")
    link = next(line for line in sent.part("plain").splitlines() if "accept-invite" in line)
    token = link.split("token=", 1)[1]
    accepted = data_of(await mails.gql(ACCEPT, {"token": token}))
    assert accepted["acceptInvite"]["email"] == "nina@gold.example"


async def test_a_partner_in_german_gets_german_email(mails: Factory, mailbox: Mailbox) -> None:
    channel = await _channel(mails)
    gold_id = channel["gold"].user.organization_id
    admin = await mails.user(gold_id, Role.PARTNER_ADMIN)
    await settled(mails, mailbox)
    changed = data_of(await mails.gql(LANGUAGE, {"id": gold_id, "language": "DE"}, actor=admin))
    assert changed["updatePartner"]["language"] == "de"
    bad = await mails.gql(LANGUAGE, {"id": gold_id, "language": "xx"}, actor=admin)
    assert errors_of(bad) == [("BAD_USER_INPUT", "language")]
    await create_lead(mails, channel["vendor"])
    await deliver(mails.hub)
    subjects = {item.subject for item in mailbox.delivered}
    assert subjects == {"Neuer Lead für Gold: Globex"}
    assert "Lead öffnen" in mailbox.delivered[0].part("html")
    # No German template for deals yet: English it is.
    french = data_of(await mails.gql(LANGUAGE, {"id": gold_id, "language": "fr"}, actor=admin))
    assert french["updatePartner"]["language"] == "fr"
    await create_lead(mails, channel["vendor"], customerCompany="Initech")
    await deliver(mails.hub)
    assert mailbox.delivered[-1].subject == "New lead for Gold: Initech"


async def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_final(
    mails: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(mails)
    await settled(mails, mailbox)
    mailbox.answer("451 4.3.0 Try again later")
    await create_lead(mails, channel["vendor"])
    assert await deliver(mails.hub) == 1
    assert mailbox.delivered == []
    vendor = channel["vendor"]
    queued = data_of(await mails.gql(MESSAGES, {"statuses": ["QUEUED"]}, actor=vendor))
    (node,) = [edge["node"] for edge in queued["emailMessages"]["edges"]]
    assert node["attempts"] == 1
    assert node["lastError"] == "the mail server answered 451 4.3.0 Try again later"
    assert await deliver(mails.hub) == 0  # not due yet
    mails.hub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert await deliver(mails.hub) == 1
    assert len(mailbox.delivered) == 1

    mailbox.answer("550 5.1.1 No such user")
    await create_lead(mails, channel["vendor"], customerCompany="Initech")
    await deliver(mails.hub)
    failed = data_of(await mails.gql(MESSAGES, {"statuses": ["FAILED"]}, actor=vendor))
    (node,) = [edge["node"] for edge in failed["emailMessages"]["edges"]]
    assert node["lastError"] == "the mail server answered 550 5.1.1 No such user"
    mails.hub.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert await deliver(mails.hub) == 0 and len(mailbox.delivered) == 1


async def test_a_crash_between_commit_and_send_loses_nothing_and_sends_nothing_twice(
    mails: Factory, mailbox: Mailbox, clock: ManualClock
) -> None:
    """A process queues the email and dies (its claimed messages leased, unsent); a second
    process and a third, racing, send each message once, after the lease."""
    channel = await _channel(mails)
    await settled(mails, mailbox)
    for n in range(5):
        await create_lead(mails, channel["vendor"], customerCompany=f"C{n}")
    await feed.feed(mails.hub)
    crashed = await _claim_only(mails.hub)
    assert crashed == 5 and mailbox.delivered == []
    settings = mails.hub.settings
    clock.advance(seconds=settings.mail.timeout_seconds * 2 + 31)
    async with _process(settings, clock) as second, _process(settings, clock) as third:
        await asyncio.gather(*(deliver(hub) for hub in (second, third, second, third)))
    assert sorted(item.subject for item in mailbox.delivered) == [
        f"New lead for Gold: C{n}" for n in range(5)
    ]


async def test_a_round_outlived_by_its_leases_leaves_what_another_process_took(
    mails: Factory, mailbox: Mailbox, clock: ManualClock
) -> None:
    """A round claims five messages; while its first send hangs, their leases lapse and a
    second process sends them. The first round then sends none of them again."""
    channel = await _channel(mails)
    await settled(mails, mailbox)
    for n in range(5):
        await create_lead(mails, channel["vendor"], customerCompany=f"C{n}")
    await feed.feed(mails.hub)
    settings, original, by_first = mails.hub.settings, worker.send, []

    async def hanging(mail: Any, message: EmailMessage) -> Any:
        by_first.append(message.subject)
        worker.send = original  # type: ignore[assignment]
        clock.advance(seconds=settings.mail.timeout_seconds * 2 + 31)
        async with _process(settings, clock) as second:
            assert await deliver(second) == 5
        return sender.Outcome(sent=True)  # its answer comes too late to count

    worker.send = hanging  # type: ignore[assignment]
    try:
        await worker.send_due(mails.hub)
    finally:
        worker.send = original  # type: ignore[assignment]
    assert len(by_first) == 1
    assert sorted(item.subject for item in mailbox.delivered) == [
        f"New lead for Gold: C{n}" for n in range(5)
    ]
    async with mails.hub.read() as session:
        statuses = list(await session.scalars(select(EmailMessage.status).distinct()))
    assert statuses == ["SENT"]


async def test_a_database_failure_while_composing_loses_no_email(
    mails: Factory, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails under a round's composing: the round ends, the feed's cursor stays,
    and the next round composes the event again (a broken template would lose only its own
    email; a failing database must lose none)."""
    channel = await _channel(mails)
    await settled(mails, mailbox)
    offered = ("lead", "LEAD_OFFERED")
    original, failures = composers.COMPOSERS[offered], []

    async def failing(session: Any, settings: Any, event: Any) -> None:
        failures.append(event.id)
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setitem(composers.COMPOSERS, offered, failing)
    await create_lead(mails, channel["vendor"], customerCompany="Globex")
    with pytest.raises(OperationalError):
        await feed.feed(mails.hub)
    monkeypatch.setitem(composers.COMPOSERS, offered, original)
    await deliver(mails.hub)
    assert len(failures) == 1
    assert [item.subject for item in mailbox.delivered] == ["New lead for Gold: Globex"]


async def test_the_embedded_default_writes_eml_files(tmp_path: Path, clock: ManualClock) -> None:
    async with sqlite_hub(tmp_path, clock, mail_poll_ms="3600000") as embedded:
        channel = await _channel(embedded)
        await create_lead(embedded, channel["vendor"])
        assert await deliver(embedded.hub) == 4  # three invitations, one offer
        outbox = embedded.hub.settings.mail.outbox_dir
    (written,) = [path for path in outbox.glob("*.eml") if "New lead" in path.read_text()]
    assert written.parent == tmp_path / "var" / "outbox"
    text = written.read_text()
    assert "Subject: New lead for Gold: Globex" in text
    assert f"To: {channel['gold'].user.email}" in text
    assert not list(outbox.glob("*.part"))


async def _claim_only(hub: Hub) -> int:
    """What a process that dies right after claiming leaves behind: leases, nothing sent."""
    sent = []

    async def never(settings: Any, message: Any) -> Any:
        sent.append(message)
        raise asyncio.CancelledError  # the process is gone mid-send

    original = worker.send
    worker.send = never  # type: ignore[assignment]
    try:
        with pytest.raises(asyncio.CancelledError):
            await worker.send_due(hub)
    finally:
        worker.send = original
    async with hub.read() as session:
        return int(
            await session.scalar(select(func.count()).where(EmailMessage.lease_token.is_not(None)))
            or 0
        )


@contextlib.asynccontextmanager
async def _process(settings: Settings, clock: ManualClock) -> AsyncIterator[Hub]:
    """Another hub process on the same database (its own pools and worker)."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app.state.hub


REGISTER = """mutation($company: String!) { registerDeal(input: {customerCompany: $company,
  country: "US", productLine: "NETWORKING", value: {amountMinor: 100000, currency: "USD"}})
  { id status } }"""
APPROVE = "mutation($id: ID!) { approveDealRegistration(id: $id) { status } }"
REJECT = """mutation($id: ID!) { rejectDealRegistration(id: $id, reason: "Already ours: <direct>")
  { status } }"""
MOVE = """mutation($id: ID!, $status: OrderStatus!, $v: Int!) { updateOrderStatus(id: $id,
  input: {status: $status, expectedVersion: $v, carrier: "DHL", trackingNumber: "T-1"})
  { version } }"""
START = """mutation($users: [ID!]!) { startConversation(input: {subject: "Q3 plan",
  userIds: $users}) { id } }"""
SEND = """mutation($c: ID!, $body: String!) { sendMessage(conversationId: $c, body: $body)
  { id } }"""
READ = "mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) { userId } }"


async def test_deal_decisions_and_shipments_email_the_partner_concerned(
    factory: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(factory)
    await settled(factory, mailbox)
    vendor, silver = channel["vendor"], channel["silver"]
    approved = data_of(await factory.gql(REGISTER, {"company": "Hooli"}, actor=silver))
    rejected = data_of(await factory.gql(REGISTER, {"company": "Pied Piper"}, actor=silver))
    await factory.gql(APPROVE, {"id": approved["registerDeal"]["id"]}, actor=vendor)
    await factory.gql(REJECT, {"id": rejected["registerDeal"]["id"]}, actor=vendor)
    await _ship_an_order(factory, vendor, silver)
    await deliver(factory.hub)

    assert {item.recipients[0] for item in mailbox.delivered} == {silver.user.email}
    by_subject = {item.subject: item for item in mailbox.delivered}
    assert set(by_subject) == {
        "Deal registration approved: Hooli",
        "Deal registration rejected: Pied Piper",
        *[subject for subject in by_subject if subject.startswith("Order ")],
    }
    rejection = by_subject["Deal registration rejected: Pied Piper"]
    assert "Reason: Already ours: <direct>" in rejection.part("plain")
    assert "Already ours: &lt;direct&gt;" in rejection.part("html")
    assert "It is protected until 2026-" in by_subject["Deal registration approved: Hooli"].part(
        "plain"
    )
    orders = sorted(subject for subject in by_subject if subject.startswith("Order "))
    assert [subject.split(" ", 2)[2] for subject in orders] == ["has shipped", "was delivered"]
    shipped = next(item for item in mailbox.delivered if item.subject.endswith("has shipped"))
    assert "Carrier: DHL, tracking number T-1" in shipped.part("plain")
    assert "for Globex" in shipped.part("plain")


async def test_a_mention_is_emailed_after_a_while_unless_read_in_the_app(
    mails: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(mails)
    await settled(mails, mailbox)
    vendor, silver = channel["vendor"], channel["silver"]
    started = data_of(await mails.gql(START, {"users": [silver.user.id]}, actor=vendor))[
        "startConversation"
    ]
    mention = f"Can you join, <@{silver.user.id}>?"
    data_of(await mails.gql(SEND, {"c": started["id"], "body": mention}, actor=vendor))
    assert await deliver(mails.hub) == 0  # mentions wait MENTION_EMAIL_DELAY_SECONDS
    clock: ManualClock = mails.hub.clock  # type: ignore[assignment]
    clock.advance(seconds=301)
    assert await deliver(mails.hub) == 1
    (sent,) = mailbox.delivered
    assert sent.recipients == [silver.user.email]
    assert sent.subject == 'Vera Admin mentioned you in "Q3 plan"'
    assert "Can you join" in sent.part("plain")

    again = data_of(
        await mails.gql(
            SEND, {"c": started["id"], "body": f"Ping <@{silver.user.id}>"}, actor=vendor
        )
    )["sendMessage"]
    await deliver(mails.hub)
    data_of(await mails.gql(READ, {"c": started["id"], "m": again["id"]}, actor=silver))
    clock.advance(seconds=301)
    assert await deliver(mails.hub) == 1  # skipped: read in the app meanwhile
    assert len(mailbox.delivered) == 1
    skipped = data_of(await mails.gql(MESSAGES, {"statuses": ["SKIPPED"]}, actor=silver))
    assert [edge["node"]["kind"] for edge in skipped["emailMessages"]["edges"]] == ["MENTIONED"]


async def _ship_an_order(factory: Factory, vendor: Any, seller: Any) -> None:
    hub = factory.hub
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    data = ProductInput("SW-24", "Switch 24", "NETWORKING", {"USD": 10_000})
    await catalog.create(hub, principal=vendor.principal, data=data)
    await stock.set_stock(hub, principal=vendor.principal, sku="SW-24", warehouse="AMS", on_hand=5)
    placed = data_of(
        await factory.gql(PLACE_ORDER, {"lines": [{"sku": "SW-24", "quantity": 1}]}, actor=seller)
    )["placeOrder"]
    for version, status in enumerate(["CONFIRMED", "ALLOCATED", "SHIPPED", "DELIVERED"], 1):
        moved = await factory.gql(
            MOVE, {"id": placed["id"], "status": status, "v": version}, actor=vendor
        )
        data_of(moved)


async def test_fund_decisions_and_expiring_certifications_are_emailed(
    factory: Factory, mailbox: Mailbox
) -> None:
    channel = await _channel(factory)
    seller = channel["gold"]
    partners = [seller.user.organization_id, channel["silver"].user.organization_id]
    gql = lists._caller(factory)
    await lists._funds(factory, gql, partners, seller)
    await lists._certify(gql, channel["vendor"], seller, "Routing and switching")
    await settled_all(factory, mailbox)
    subjects = sorted(item.subject for item in mailbox.delivered)
    assert subjects == [
        "Fund request approved: Roadshow",
        "Fund request approved: Webinar",
    ]
    assert {item.recipients[0] for item in mailbox.delivered} == {seller.user.email}
    assert "Amount: 10.00 USD" in mailbox.delivered[0].part("plain")
    mailbox.delivered.clear()

    factory.hub.clock.advance(days=340)  # type: ignore[attr-defined]
    assert await training_jobs.notify_expiring(factory.hub) == 1
    await deliver(factory.hub)
    (sent,) = mailbox.delivered
    assert sent.recipients == [seller.user.email]
    assert sent.subject.startswith("Your certification Routing and switching expert expires on ")


async def settled_all(factory: Factory, mailbox: Mailbox) -> None:
    """Send everything queued, keeping all but the invitations."""
    await deliver(factory.hub)
    mailbox.delivered[:] = [
        item for item in mailbox.delivered if item.message["x-channelhub-kind"] != "INVITATION"
    ]


def test_long_dedupe_keys_stay_apart() -> None:
    """Two keys that share their first 120 characters are still two messages."""
    base = "INVITATION:inv-1:" + "x" * 120
    first, second = outbox.dedupe_key(base + "@a.example"), outbox.dedupe_key(base + "@b.example")
    assert first != second and len(first) == len(second) == outbox.KEY_MAX
    assert outbox.dedupe_key("LEAD_OFFERED:7:u1") == "LEAD_OFFERED:7:u1"
