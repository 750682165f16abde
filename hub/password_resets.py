"""Password reset by email: asking never tells whether the address has an account; the
emailed token works once, until it expires, and using it ends every session of the user."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import timedelta

from sqlalchemy import select, update

from hub import throttle, tokens, validation
from hub.errors import BadInput
from hub.mail import outbox
from hub.mail.rules import EmailKind
from hub.refresh_tokens import revoke_user
from hub.runtime import Hub
from storage.models import Organization, PasswordReset, User

# Asks per address and per client address in an hour: enough for a typo, not for a flood.
PER_EMAIL = 3
PER_CLIENT = 30
WINDOW_SECONDS = 3600
ANSWER_FLOOR_SECONDS = 0.25


async def request(hub: Hub, *, email: str, client: str | None) -> None:
    """Email a reset link to the address if it has an active account (say nothing either way).

    Every ask answers after ANSWER_FLOOR_SECONDS at the earliest, so the time it takes does
    not tell a known address (a row and an email written) from an unknown one.
    """
    started = time.monotonic()
    try:
        await _request(hub, email=email, client=client)
    finally:
        await asyncio.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))


async def _request(hub: Hub, *, email: str, client: str | None) -> None:
    address = email.strip().lower()
    limits = [throttle.Limit(f"reset:{address}", PER_EMAIL, WINDOW_SECONDS)]
    if client:
        limits.append(throttle.Limit(f"reset-client:{client}", PER_CLIENT, WINDOW_SECONDS))
    async with hub.write() as session:
        await throttle.take(hub, session, limits)
    now = hub.clock.now()
    async with hub.write() as session:
        found = await session.execute(
            select(User, Organization.language)
            .join(Organization, Organization.id == User.organization_id)
            .where(User.email == address, User.active.is_(True))
            # One ask at a time per account, so each ends the link of the one before.
            .with_for_update(of=User)
        )
        row = found.first()
        if row is None:
            return
        user, language = row
        token = secrets.token_urlsafe(32)
        # An older link stops working once a newer one is sent.
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        reset = PasswordReset(
            user_id=user.id,
            token_hash=tokens.digest(token),
            created_at=now,
            expires_at=now + timedelta(seconds=hub.settings.reset_ttl_seconds),
        )
        session.add(reset)
        await outbox.queue(
            session,
            hub.settings,
            kind=EmailKind.PASSWORD_RESET,
            to=outbox.Recipient(user.email, user.name, language, user.id, user.organization_id),
            about=reset.token_hash,
            context={
                "email": user.email,
                "expires_at": reset.expires_at.strftime("%Y-%m-%d %H:%M"),
            },
            now=now,
            path=f"/#/reset-password?token={token}",
        )


async def reset(hub: Hub, *, token: str, password: str) -> None:
    """Set a new password with an emailed token; every open session of the user ends."""
    validation.password(password)
    password_hash = await asyncio.to_thread(hub.passwords.hash, password)
    now = hub.clock.now()
    async with hub.write() as session:
        claimed = await session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.token_hash == tokens.digest(token),
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
        )
        user_id = claimed.scalar_one_or_none()
        if user_id is None:
            raise BadInput("this reset link is not valid, already used or expired", field="token")
        user = await session.get_one(User, user_id, with_for_update=True)
        if not user.active:  # deactivated since the link went out: it opens nothing
            raise BadInput("this reset link is not valid, already used or expired", field="token")
        user.password_hash = password_hash
        user.token_version += 1  # every access token of the user stops working
        user.updated_at = now
        await revoke_user(session, user_id, now)
