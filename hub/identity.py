"""Logins and access tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

import jwt
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import api_keys, throttle
from hub.db import upsert
from hub.errors import Unauthenticated
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import Organization, Partner, RevokedToken, User

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
    limits = _login_limits(hub, email, client)
    # Counted (and committed) before the password is checked: parallel guesses cannot all
    # pass a check made before any of them was counted.
    async with hub.write() as session:
        await throttle.take(hub, session, limits)
        user = await _user_by_email(session, email)
    valid = await verify_password(hub, user.password_hash if user else None, password)
    if user is None or not valid:
        raise Unauthenticated("the email or password is not correct")
    # The password was right: the caller may learn why the account cannot log in.
    await _check_may_log_in(hub, user)
    async with hub.write() as session:
        await throttle.clear(session, limits[0].key)
        for limit in limits[1:]:
            await throttle.give_back(session, limit.key)
        user = await session.get_one(User, user.id)
        user.last_login_at = hub.clock.now()
        if hub.passwords.check_needs_rehash(user.password_hash or ""):
            user.password_hash = await asyncio.to_thread(hub.passwords.hash, password)
    token, expires_at = issue_token(hub, user)
    return LoginResult(token=token, expires_at=expires_at, user=user)


def _login_limits(hub: Hub, email: str, client: str | None) -> list[throttle.Limit]:
    window = hub.settings.login_lock_seconds
    failures = hub.settings.login_max_failures
    limits = [throttle.Limit(f"login:{email.strip().lower()}", failures, window)]
    if client:
        limits.append(throttle.Limit(f"login-client:{client}", failures * 10, window))
    return limits


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
    """Turn a bearer token (an access token or an API key) into the principal, or raise
    Unauthenticated."""
    if api_keys.is_key(token):
        return await api_keys.authenticate(hub, token)
    claims = _decode(hub, token)
    async with hub.read() as session:
        found = await session.execute(_AUTHENTICATE, {"sub": claims["sub"], "jti": claims["jti"]})
        row = found.first()
    if row is None:
        raise Unauthenticated("the access token is not valid")
    if row.revoked or not row.active or row.token_version != claims.get("tv"):
        raise Unauthenticated("the access token was revoked; log in again")
    if row.partner_status in BLOCKED_PARTNER_STATUSES:
        raise Unauthenticated("the organization of this account is not active")
    return Principal(
        user_id=row.id,
        organization_id=row.organization_id,
        role=Role(row.role),
        token_id=str(claims["jti"]),
    )


# Every request runs it: built once. The user, whether this token was revoked, and the
# status of the user's partner organization, in one statement.
_AUTHENTICATE = (
    select(
        User.id,
        User.organization_id,
        User.role,
        User.active,
        User.token_version,
        RevokedToken.jti.label("revoked"),
        Partner.status.label("partner_status"),
    )
    .select_from(User)
    .outerjoin(RevokedToken, RevokedToken.jti == bindparam("jti"))
    .outerjoin(Partner, Partner.id == User.organization_id)
    .where(User.id == bindparam("sub"))
)


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
    async with hub.write() as session:
        statement = upsert(session, RevokedToken).values(jti=claims["jti"], expires_at=expires_at)
        await session.execute(statement.on_conflict_do_nothing())
        await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < hub.clock.now()))


def _decode(hub: Hub, token: str) -> Mapping[str, object]:
    try:
        claims = _verified_claims(token, hub.settings.jwt_secret)
    except jwt.PyJWTError:
        raise Unauthenticated("the access token is not valid") from None
    if int(str(claims["exp"])) <= hub.clock.now().timestamp():
        raise Unauthenticated("the access token has expired; log in again")
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> Mapping[str, object]:
    """A signed token's claims, checked once per process (expiry is checked on every use)."""
    claims: dict[str, object] = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "jti", "iss"], "verify_exp": False},
    )
    return MappingProxyType(claims)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def verify_password(hub: Hub, password_hash: str | None, password: str) -> bool:
    """Check a password against its hash off the event loop, in constant time either way."""
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


async def _check_may_log_in(hub: Hub, user: User) -> None:
    """Refuse, saying why and what to do, an account that may not log in now."""
    if not user.active:
        raise Unauthenticated(
            "this account is deactivated; ask your administrator to reactivate it"
        )
    async with hub.read() as session:
        status = await session.scalar(
            select(Partner.status)
            .join(Organization, Organization.id == Partner.id)
            .where(Organization.id == user.organization_id)
        )
    if status == "APPLICANT":
        raise Unauthenticated(
            "your partner application is still being reviewed; you can log in once the "
            "vendor approves it"
        )
    if status in BLOCKED_PARTNER_STATUSES:
        raise Unauthenticated(
            "your organization's partnership has ended; contact the vendor's channel team"
        )
