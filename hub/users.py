"""Users: bootstrap admin, invitations, activation, and who may see whom."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import identity, refresh_tokens, throttle, tokens, validation
from hub.db import distinct, in_key_order
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.mail import outbox as mail_outbox
from hub.mail.rules import EmailKind
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.directory import visible
from hub.roles import PARTNER_ROLES, VENDOR_ROLES, OrganizationKind, Principal, Role
from hub.runtime import Hub
from storage.models import Invitation, Organization, Partner, User


@dataclass(frozen=True)
class InvitationIssued:
    invitation: Invitation
    token: str


@dataclass(frozen=True)
class UserFilter:
    organization_id: str | None = None
    roles: Sequence[Role] = ()
    active: bool | None = None
    search: str | None = None


async def create_admin(hub: Hub, *, email: str, password: str, name: str) -> User:
    """Create a VENDOR_ADMIN, creating the vendor organization if needed."""
    email = validation.email(email)
    validation.password(password)
    name = validation.text(name, field="name", max_length=200)
    password_hash = await asyncio.to_thread(hub.passwords.hash, password)
    async with hub.write() as session:
        vendor = await ensure_vendor(hub, session)
        user = _new_user(hub, vendor.id, email, name, Role.VENDOR_ADMIN, password_hash)
        session.add(user)
        await _flush_unique_email(session, email)
    return user


async def ensure_vendor(hub: Hub, session: AsyncSession, name: str = "Vendor") -> Organization:
    """Return the single vendor organization, creating it on first use."""
    statement = select(Organization).where(Organization.kind == OrganizationKind.VENDOR)
    vendor = (await session.execute(statement)).scalars().first()
    if vendor is None:
        now = hub.clock.now()
        vendor = Organization(
            kind=OrganizationKind.VENDOR, name=name, created_at=now, updated_at=now
        )
        session.add(vendor)
        await session.flush()
    return vendor


async def invite(
    hub: Hub,
    *,
    principal: Principal,
    organization_id: str,
    email: str,
    name: str,
    role: Role,
) -> InvitationIssued:
    """Invite a person into an organization; return the one-time token."""
    email = validation.email(email)
    name = validation.text(name, field="name", max_length=200)
    async with hub.write() as session:
        organization = await _invitable_organization(session, principal, organization_id)
        _check_invitable_role(principal, organization, role)
        if await _email_taken(session, email):
            raise Conflict(f"a user with the email {email} already exists", field="email")
        now = hub.clock.now()
        await session.execute(
            update(Invitation)
            .where(Invitation.email == email, Invitation.accepted_at.is_(None))
            .where(Invitation.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            organization_id=organization.id,
            email=email,
            name=name,
            role=role,
            token_hash=tokens.digest(token),
            invited_by_id=principal.user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=hub.settings.invite_ttl_seconds),
        )
        session.add(invitation)
        await _email_invitation(hub, session, invitation, organization, principal, token)
    return InvitationIssued(invitation=invitation, token=token)


async def _email_invitation(
    hub: Hub,
    session: AsyncSession,
    invitation: Invitation,
    organization: Organization,
    principal: Principal,
    token: str,
) -> None:
    """Queue the invitation email in the invitation's transaction (sent by the mail worker)."""
    inviter = await session.get_one(User, principal.user_id)
    await mail_outbox.queue(
        session,
        hub.settings,
        kind=EmailKind.INVITATION,
        to=mail_outbox.Recipient(invitation.email, invitation.name, organization.language),
        about=invitation.token_hash,
        context={
            "inviter": inviter.name,
            "organization": organization.name,
            "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
        },
        now=invitation.created_at,
        path=f"/#/accept-invite?token={token}",
    )


async def accept_invite(hub: Hub, *, token: str, password: str, name: str | None) -> User:
    """Turn a valid invitation into an active user with the given password."""
    validation.password(password)
    password_hash = await asyncio.to_thread(hub.passwords.hash, password)
    now = hub.clock.now()
    async with hub.write() as session:
        claimed = await session.execute(
            update(Invitation)
            .where(Invitation.token_hash == tokens.digest(token))
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .where(Invitation.expires_at > now)
            .values(accepted_at=now)
            .returning(Invitation)
        )
        invitation = claimed.scalar_one_or_none()
        if invitation is None:
            raise BadInput("this invitation is not valid, already used or expired", field="token")
        display_name = validation.optional_text(name, field="name", max_length=200)
        user = _new_user(
            hub,
            invitation.organization_id,
            invitation.email,
            display_name or invitation.name,
            Role(invitation.role),
            password_hash,
        )
        session.add(user)
        await _flush_unique_email(session, invitation.email)
    return user


async def set_active(hub: Hub, *, principal: Principal, user_id: str, active: bool) -> User:
    """Activate or deactivate a user; deactivation invalidates every token they hold."""
    async with hub.write() as session:
        user = await _visible_user(session, principal, user_id, for_update=True)
        _check_may_manage(principal, user)
        if user.id == principal.user_id and not active:
            raise BadInput("you cannot deactivate your own account", field="userId")
        if user.active and not active:
            user.token_version += 1
        user.active = active
        user.updated_at = hub.clock.now()
    return user


async def change_password(
    hub: Hub, *, principal: Principal, current_password: str, new_password: str
) -> User:
    """Change the caller's password; every token issued before stops working."""
    validation.password(new_password, field="newPassword")
    limits = [throttle.Limit(f"password:{principal.user_id}", 5, hub.settings.login_lock_seconds)]
    async with hub.write() as session:
        await throttle.take(hub, session, limits)
        user = await _visible_user(session, principal, principal.user_id)
    if not await identity.verify_password(hub, user.password_hash, current_password):
        raise BadInput("the current password is not correct", field="currentPassword")
    password_hash = await asyncio.to_thread(hub.passwords.hash, new_password)
    async with hub.write() as session:
        await throttle.clear(session, limits[0].key)
        user = await _visible_user(session, principal, principal.user_id, for_update=True)
        user.password_hash = password_hash
        user.token_version += 1
        user.updated_at = hub.clock.now()
        await refresh_tokens.revoke_user(session, user.id, user.updated_at)
    return user


async def get(hub: Hub, *, principal: Principal, user_id: str) -> User:
    """Return one user the caller may see."""
    async with hub.read() as session:
        return await _visible_user(session, principal, user_id, field="id")


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[User | None]:
    """Load users by id in key order; ones the caller may not see come back as None."""
    async with hub.read() as session:
        statement = _visible(principal, select(User)).where(User.id.in_(ids))
        return in_key_order((await session.execute(statement)).scalars(), ids)


async def list_users(
    hub: Hub, *, principal: Principal, filter: UserFilter, page: PageRequest
) -> Page[User]:
    """List the users the caller may see, ordered by name."""
    statement = _visible(principal, select(User))
    if filter.organization_id:
        statement = statement.where(User.organization_id == filter.organization_id)
    if filter.roles:
        statement = statement.where(User.role.in_(distinct(role.value for role in filter.roles)))
    if filter.active is not None:
        statement = statement.where(User.active.is_(filter.active))
    search = validation.filter_text(filter.search, field="filter.search")
    if search:
        term = search.lower()
        statement = statement.where(
            func.lower(User.name).contains(term, autoescape=True)
            | User.email.contains(term, autoescape=True)
        )
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(func.lower(User.name, type_=String), User.id)
        )


def _visible(principal: Principal, statement: Select[tuple[User]]) -> Select[tuple[User]]:
    if principal.is_vendor:
        return statement
    return statement.where(User.organization_id == principal.organization_id)


async def _visible_user(
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    *,
    for_update: bool = False,
    field: str = "userId",
) -> User:
    statement = _visible(principal, select(User)).where(User.id == user_id)
    if for_update:
        statement = statement.with_for_update()
    user = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise NotFound("no such user", field=field)
    return user


def _check_may_manage(principal: Principal, user: User) -> None:
    if principal.role is Role.VENDOR_ADMIN:
        return
    if principal.role is Role.CHANNEL_MANAGER and Role(user.role) in PARTNER_ROLES:
        return
    if principal.role is Role.PARTNER_ADMIN and user.organization_id == principal.organization_id:
        return
    raise Forbidden("you may not manage this user")


async def _invitable_organization(
    session: AsyncSession, principal: Principal, organization_id: str
) -> Organization:
    organization = await session.get(Organization, organization_id)
    visible = principal.is_vendor or organization_id == principal.organization_id
    if organization is None or not visible:
        raise NotFound("no such organization", field="organizationId")
    if not (principal.is_vendor_staff or principal.role is Role.PARTNER_ADMIN):
        raise Forbidden("only vendor staff and partner admins may invite users")
    return organization


def _check_invitable_role(principal: Principal, organization: Organization, role: Role) -> None:
    allowed = PARTNER_ROLES if organization.kind == OrganizationKind.PARTNER else VENDOR_ROLES
    if role not in allowed:
        names = ", ".join(sorted(allowed))
        raise BadInput(f"role must be one of {names} for this organization", field="role")
    if organization.kind == OrganizationKind.VENDOR and principal.role is not Role.VENDOR_ADMIN:
        raise Forbidden("only vendor admins may invite vendor staff")


async def _email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.execute(select(User.id).where(User.email == email))
    return found.first() is not None


async def _flush_unique_email(session: AsyncSession, email: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"a user with the email {email} already exists", field="email") from None


def _new_user(
    hub: Hub,
    organization_id: str,
    email: str,
    name: str,
    role: Role,
    password_hash: str | None,
) -> User:
    now = hub.clock.now()
    return User(
        organization_id=organization_id,
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        active=True,
        token_version=0,
        created_at=now,
        updated_at=now,
    )


async def organizations_by_ids(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[Organization | None]:
    """Load organizations in key order: the vendor, and partners the caller may see."""
    vendor_or_visible = (Organization.kind == OrganizationKind.VENDOR) | Organization.id.in_(
        select(Partner.id).where(visible(principal))
    )
    statement = select(Organization).where(Organization.id.in_(ids), vendor_or_visible)
    async with hub.read() as session:
        return in_key_order((await session.execute(statement)).scalars(), ids)


async def vendor_actor(hub: Hub, *, email: str | None) -> Principal:
    """The vendor staff member a command-line job acts as: the given one or the first admin."""
    statement = select(User).where(
        User.active.is_(True), User.role.in_([Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER])
    )
    if email:
        statement = statement.where(User.email == validation.email(email))
    async with hub.read() as session:
        user = (
            await session.execute(statement.order_by(User.created_at, User.id).limit(1))
        ).scalar_one_or_none()
    if user is None:
        wanted = (
            f"active vendor staff member {email}"
            if email
            else "vendor admin; run `channelhub create-admin`"
        )
        raise NotFound(f"no {wanted}")
    return identity.principal_of(user)
