"""Logins, access tokens and the throttle that protects them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db import upsert
from hub.errors import RateLimited, Unauthenticated
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import LoginThrottle, Organization, Partner, RevokedToken, User

ALGORITHM = "HS256"
ISSUER = "channelhub"
BLOCKED_PARTNER_STATUSES = frozenset({"APPLICANT", "TERMINATED"})
_DUMMY_HASH: dict[int, str] = {}


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


async def login(hub: Hub, *, email: str, password: str, client: str | None = None) -> LoginResult:
    """Check the credentials and issue an access token; failures never tell which part was wrong."""
    keys = [f"email:{email.strip().lower()}"] + ([f"client:{client}"] if client else [])
    async with hub.db() as session, session.begin():
        await _check_throttle(hub, session, keys)
        user = await _user_by_email(session, email)
    valid = await _verify_password(hub, user.password_hash if user else None, password)
    if user is None or not valid or not await _may_log_in(hub, user):
        async with hub.db() as session, session.begin():
            await _record_failure(hub, session, keys)
        raise Unauthenticated("the email or password is not correct")
    async with hub.db() as session, session.begin():
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
        user = await session.get_one(User, user.id)
        user.last_login_at = hub.clock.now()
        if hub.passwords.check_needs_rehash(user.password_hash or ""):
            user.password_hash = await asyncio.to_thread(hub.passwords.hash, password)
    token, expires_at = issue_token(hub, user)
    return LoginResult(token=token, expires_at=expires_at, user=user)


def issue_token(hub: Hub, user: User) -> tuple[str, datetime]:
    """Sign an access token for a user."""
    now = hub.clock.now()
    expires_at = now + timedelta(seconds=hub.settings.token_ttl_seconds)
    claims = {
        "iss": ISSUER,
        "sub": user.id,
        "org": user.organization_id,
        "role": user.role,
        "tv": user.token_version,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, hub.settings.jwt_secret, algorithm=ALGORITHM), expires_at


async def authenticate(hub: Hub, token: str) -> Principal:
    """Turn a bearer token into the principal, or raise Unauthenticated."""
    claims = _decode(hub, token)
    async with hub.db() as session:
        row = (
            await session.execute(
                select(User, RevokedToken.jti)
                .outerjoin(RevokedToken, RevokedToken.jti == claims["jti"])
                .where(User.id == claims["sub"])
            )
        ).first()
        if row is None:
            raise Unauthenticated("the access token is not valid")
        user, revoked = row
        if revoked or not user.active or user.token_version != claims.get("tv"):
            raise Unauthenticated("the access token was revoked; log in again")
        if not await _organization_allows_login(session, user):
            raise Unauthenticated("the organization of this account is not active")
    return principal_of(user, token_id=str(claims["jti"]))


def principal_of(user: User, *, token_id: str = "") -> Principal:
    """Return the principal a user acts as."""
    return Principal(
        user_id=user.id,
        organization_id=user.organization_id,
        role=Role(user.role),
        token_id=token_id,
    )


async def logout(hub: Hub, *, principal: Principal, token: str) -> None:
    """Revoke the access token the caller used."""
    claims = _decode(hub, token)
    expires_at = datetime.fromtimestamp(int(str(claims["exp"])), tz=UTC)
    async with hub.db() as session, session.begin():
        statement = upsert(session, RevokedToken).values(jti=claims["jti"], expires_at=expires_at)
        await session.execute(statement.on_conflict_do_nothing())
        await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < hub.clock.now()))


def _decode(hub: Hub, token: str) -> dict[str, object]:
    try:
        claims: dict[str, object] = jwt.decode(
            token,
            hub.settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "sub", "jti", "iss"],
                "verify_exp": False,
            },
        )
    except jwt.PyJWTError:
        raise Unauthenticated("the access token is not valid") from None
    if int(str(claims["exp"])) <= hub.clock.now().timestamp():
        raise Unauthenticated("the access token has expired; log in again")
    return claims


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def _verify_password(hub: Hub, password_hash: str | None, password: str) -> bool:
    # Without a stored hash, verify against a dummy so the answer takes as long either way.
    stored = password_hash or await _dummy_hash(hub)
    try:
        return await asyncio.to_thread(hub.passwords.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def _dummy_hash(hub: Hub) -> str:
    key = id(hub.passwords)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = await asyncio.to_thread(hub.passwords.hash, uuid.uuid4().hex)
    return _DUMMY_HASH[key]


async def _may_log_in(hub: Hub, user: User) -> bool:
    if not user.active:
        return False
    async with hub.db() as session:
        return await _organization_allows_login(session, user)


async def _organization_allows_login(session: AsyncSession, user: User) -> bool:
    statement = (
        select(Partner.status)
        .join(Organization, Organization.id == Partner.id)
        .where(Organization.id == user.organization_id)
    )
    status = (await session.execute(statement)).scalar_one_or_none()
    return status not in BLOCKED_PARTNER_STATUSES


async def _check_throttle(hub: Hub, session: AsyncSession, keys: list[str]) -> None:
    now = hub.clock.now()
    statement = select(LoginThrottle.locked_until).where(LoginThrottle.key.in_(keys))
    for locked_until in (await session.execute(statement)).scalars():
        if locked_until is not None and locked_until > now:
            retry_after = int((locked_until - now).total_seconds()) + 1
            raise RateLimited(
                f"too many failed logins; try again in {retry_after} seconds",
                retry_after=retry_after,
            )


async def _record_failure(hub: Hub, session: AsyncSession, keys: list[str]) -> None:
    now = hub.clock.now()
    window = timedelta(seconds=hub.settings.login_lock_seconds)
    for key in keys:
        limit = hub.settings.login_max_failures * (1 if key.startswith("email:") else 10)
        await _count_failure(session, key, now=now, window=window, limit=limit)


async def _count_failure(
    session: AsyncSession, key: str, *, now: datetime, window: timedelta, limit: int
) -> None:
    table = LoginThrottle.__table__
    in_window = table.c.window_started_at > now - window
    statement = upsert(session, table).values(
        key=key,
        failures=1,
        window_started_at=now,
        locked_until=now + window if limit <= 1 else None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((in_window, table.c.failures + 1), else_=1),
            "window_started_at": case((in_window, table.c.window_started_at), else_=now),
            "locked_until": case(
                (in_window & (table.c.failures + 1 >= limit), now + window),
                else_=table.c.locked_until,
            ),
        },
    )
    await session.execute(statement)
