"""The demo seeds on PostgreSQL too (`channelhub demo` works on any database), and only the
logins that still work as seeded are offered again."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from hub import demo
from hub import users as user_service
from hub.incentives.rules import AccrualCause, ProgramStatus
from hub.leads.deals import DealStatus
from hub.leads.rules import LeadStatus
from hub.orders.rules import OrderStatus
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import (
    ApiKey,
    Certification,
    DealRegistration,
    Event,
    Lead,
    Message,
    Order,
    OrderStatusChange,
    Organization,
    User,
)
from storage.models.incentives import IncentiveAccrual, IncentiveBalance, IncentiveProgram
from storage.models.mail import EmailMessage, EmailPreference
from storage.models.programs import AgreementAcceptance
from storage.models.webhooks import WebhookEndpoint


async def test_the_demo_seeds_every_status_on_postgresql(hub: Hub) -> None:
    logins = await demo.seed(hub)

    async with hub.db() as session:
        leads = set((await session.scalars(select(distinct(Lead.status)))).all())
        orders = set((await session.scalars(select(distinct(Order.status)))).all())
        deals = set((await session.scalars(select(distinct(DealRegistration.status)))).all())
        revoked = await session.scalar(
            select(func.count()).where(Certification.revoked_at.is_not(None))
        )
        programs = set((await session.scalars(select(distinct(IncentiveProgram.status)))).all())
        causes = set((await session.scalars(select(distinct(IncentiveAccrual.cause)))).all())
        balances = list(await session.scalars(select(IncentiveBalance)))
        accepted = await session.scalar(select(func.count()).select_from(AgreementAcceptance))
        clawbacks = await session.scalar(
            select(func.count()).where(IncentiveAccrual.amount_minor < 0)
        )
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (OrderStatusChange, Message, Event)
        ]
        outbound = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (ApiKey, WebhookEndpoint, EmailMessage, EmailPreference)
        ]
        german = await session.scalar(select(func.count()).where(Organization.language == "de"))
        synced = list(
            await session.scalars(
                select(Lead.value_minor)
                .where(Lead.external_id.is_not(None))
                .order_by(Lead.external_id)
            )
        )
    assert leads == set(LeadStatus)
    assert orders == set(OrderStatus)
    assert deals == set(DealStatus)
    assert revoked == 1
    assert programs == set(ProgramStatus)
    assert causes == set(AccrualCause)
    assert clawbacks
    assert accepted and accepted > 20
    assert any(row.paid_minor for row in balances)
    assert any(row.earned_minor > row.paid_minor for row in balances)  # earned since paid
    assert all(count and count > 10 for count in counts)
    assert outbound[:2] == [2, 1] and outbound[2] > 10 and outbound[3] == 1  # invitations
    assert german == 2
    assert synced == [8_400_000, 2_750_000, 1_900_000]  # the CRM's leads, the first grown
    assert await demo.seeded(hub)
    assert await demo.logins(hub) == logins


async def test_a_demo_login_whose_password_changed_is_not_offered_again(hub: Hub) -> None:
    await demo.seed(hub)
    async with hub.db() as session:
        user = await session.scalar(select(User).where(User.email == "admin@lakeside.example"))
    assert user is not None
    owner = Principal(user_id=user.id, organization_id=user.organization_id, role=Role(user.role))

    await user_service.change_password(
        hub,
        principal=owner,
        current_password=demo.DEMO_PASSWORD,
        new_password="a brand new passphrase",
    )

    emails = [email for email, _, _ in await demo.logins(hub)]
    assert "admin@lakeside.example" not in emails
    assert "admin@northwind.example" in emails and len(emails) == 14
