"""API keys for INTEGRATION accounts: made by vendor admins, shown once, stored hashed,
scoped, revocable, with the time each was last used. A key is sent like an access token
(`Authorization: Bearer chk_...`, or in `connection_init`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, or_, select, update

from hub import tokens, validation
from hub.errors import BadInput, NotFound, Unauthenticated
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, Role, require_vendor_admin
from hub.runtime import Hub
from storage.models import ApiKey, Partner, User
from storage.models.base import new_id

PREFIX = "chk_"
# last_used_at is written at most this often per key (it is read on every request).
USED_EVERY = timedelta(seconds=60)


class Scope(StrEnum):
    READ = "READ"
    ORDERS = "ORDERS"
    CATALOG = "CATALOG"
    STOCK = "STOCK"
    LEADS = "LEADS"
    PAYMENTS = "PAYMENTS"


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


def is_key(token: str) -> bool:
    return token.startswith(PREFIX)


async def create(
    hub: Hub,
    *,
    principal: Principal,
    user_id: str,
    name: str,
    scopes: Sequence[Scope],
    expires_at: datetime | None = None,
) -> NewKey:
    """Make a key for an INTEGRATION account of the vendor; its secret is shown this once."""
    require_vendor_admin(principal)
    label = validation.text(name, field="name", max_length=100)
    if not scopes:
        raise BadInput("choose at least one scope", field="scopes")
    now = hub.clock.now()
    if expires_at is not None and expires_at <= now:
        raise BadInput("expiresAt must be in the future", field="expiresAt")
    secret = PREFIX + secrets.token_urlsafe(32)
    async with hub.write() as session:
        user = await session.get(User, user_id)
        if user is None or user.organization_id != principal.organization_id:
            raise NotFound("no such user", field="userId")
        if user.role != Role.INTEGRATION or not user.active:
            raise BadInput("API keys are for active INTEGRATION accounts", field="userId")
        key = ApiKey(
            id=new_id(),
            user_id=user.id,
            name=label,
            prefix=secret[: len(PREFIX) + 6],
            key_hash=tokens.digest(secret),
            scopes=sorted({Scope(scope) for scope in scopes}),
            created_by_id=principal.user_id,
            created_at=now,
            expires_at=expires_at,
        )
        session.add(key)
    return NewKey(key, secret)


async def revoke(hub: Hub, *, principal: Principal, key_id: str) -> ApiKey:
    """Revoke a key: requests and sockets using it are refused from now on."""
    require_vendor_admin(principal)
    async with hub.write() as session:
        key = await session.get(ApiKey, key_id, with_for_update=True)
        if key is None:
            raise NotFound("no such API key", field="id")
        key.revoked_at = key.revoked_at or hub.clock.now()
        return key


async def list_keys(hub: Hub, *, principal: Principal, page: PageRequest) -> Page[ApiKey]:
    """Every key, newest first (vendor admins)."""
    require_vendor_admin(principal)
    async with hub.read() as session:
        return await keyset_page(
            session, select(ApiKey), page, key=(ApiKey.created_at, ApiKey.id), descending=True
        )


async def authenticate(hub: Hub, secret: str) -> Principal:
    """The principal of a key (its account, bound by the key's scopes), or Unauthenticated."""
    now = hub.clock.now()
    async with hub.read() as session:
        found = await session.execute(_AUTHENTICATE, {"hash": tokens.digest(secret)})
        row = found.first()
    if row is None:
        raise Unauthenticated("the API key is not valid")
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthenticated("the API key was revoked or has expired")
    if not row.active or row.partner_status in ("APPLICANT", "TERMINATED"):
        raise Unauthenticated("the account of this API key is deactivated")
    if row.role != Role.INTEGRATION:
        raise Unauthenticated("the account of this API key is no longer an integration account")
    if row.last_used_at is None or row.last_used_at < now - USED_EVERY:
        await _used(hub, row.id, now)
    return Principal(
        user_id=row.user_id,
        organization_id=row.organization_id,
        role=Role(row.role),
        token_id=f"key:{row.id}",
        scopes=frozenset(row.scopes),
    )


async def _used(hub: Hub, key_id: str, now: datetime) -> None:
    async with hub.write() as session:
        await session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - USED_EVERY),
            )
            .values(last_used_at=now)
        )


_AUTHENTICATE = (
    select(
        ApiKey.id,
        ApiKey.scopes,
        ApiKey.revoked_at,
        ApiKey.expires_at,
        ApiKey.last_used_at,
        User.id.label("user_id"),
        User.organization_id,
        User.role,
        User.active,
        Partner.status.label("partner_status"),
    )
    .join(User, User.id == ApiKey.user_id)
    .outerjoin(Partner, Partner.id == User.organization_id)
    .where(ApiKey.key_hash == bindparam("hash"))
)
