"""Refresh tokens: a login starts a family; each use rotates the token (the old one is spent)
and returns a new access token; a spent token used again revokes its whole family, since
someone else holds a copy."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub import identity, tokens
from hub.errors import Unauthenticated
from hub.runtime import Hub
from storage.models import Partner, RefreshToken, User
from storage.models.base import new_id


@dataclass(frozen=True)
class Issued:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Refreshed:
    access: identity.LoginResult
    refresh: Issued


async def login(hub: Hub, *, email: str, password: str, client: str | None = None) -> Refreshed:
    """Log in (identity.login) and start a refresh token family."""
    access = await identity.login(hub, email=email, password=password, client=client)
    return Refreshed(access, await issue(hub, access.user.id))


async def start(hub: Hub, session: AsyncSession, user_id: str) -> Issued:
    """A refresh token of a new family (at login), in the caller's transaction."""
    return _add(hub, session, user_id, new_id())


async def issue(hub: Hub, user_id: str) -> Issued:
    """A refresh token of a new family, in a transaction of its own."""
    async with hub.write() as session:
        return await start(hub, session, user_id)


async def refresh(hub: Hub, *, token: str) -> Refreshed:
    """Spend a refresh token for a new access token and the family's next refresh token."""
    now = hub.clock.now()
    async with hub.write() as session:
        spent = await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == tokens.digest(token),
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(rotated_at=now)
            .returning(RefreshToken.family_id, RefreshToken.user_id)
        )
        row = spent.first()
        if row is not None:
            user = await _may_continue(session, row.user_id)
            issued = _add(hub, session, user.id, row.family_id)
    if row is None:
        async with hub.write() as session:
            await _reused(session, token, now)
        raise Unauthenticated("the refresh token is not valid; log in again")
    access, expires_at = identity.issue_token(hub, user)
    return Refreshed(identity.LoginResult(access, expires_at, user), issued)


async def revoke(hub: Hub, *, token: str, user_id: str) -> None:
    """End the family of a refresh token of this user (logout); another's is left alone."""
    async with hub.write() as session:
        family = await session.scalar(
            select(RefreshToken.family_id).where(
                RefreshToken.token_hash == tokens.digest(token), RefreshToken.user_id == user_id
            )
        )
        if family is not None:
            await _revoke_family(session, family, hub.clock.now())


async def revoke_user(session: AsyncSession, user_id: str, now: datetime) -> None:
    """End every refresh token family of a user (a password change)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def _reused(session: AsyncSession, token: str, now: datetime) -> None:
    """A spent token came back: revoke its family."""
    found = await session.execute(
        select(RefreshToken.family_id, RefreshToken.rotated_at).where(
            RefreshToken.token_hash == tokens.digest(token)
        )
    )
    row = found.first()
    if row is not None and row.rotated_at is not None:
        await _revoke_family(session, row.family_id, now)


async def _revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def _may_continue(session: AsyncSession, user_id: str) -> User:
    user = await session.get_one(User, user_id)
    partner_status = await session.scalar(
        select(Partner.status).where(Partner.id == user.organization_id)
    )
    if not user.active or partner_status in identity.BLOCKED_PARTNER_STATUSES:
        raise Unauthenticated("this account may not log in now; ask your administrator")
    return user


def _add(hub: Hub, session: AsyncSession, user_id: str, family_id: str) -> Issued:
    token = secrets.token_urlsafe(32)
    now = hub.clock.now()
    expires_at = now + timedelta(seconds=hub.settings.refresh_ttl_seconds)
    session.add(
        RefreshToken(
            id=new_id(),
            family_id=family_id,
            user_id=user_id,
            token_hash=tokens.digest(token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    return Issued(token, expires_at)
