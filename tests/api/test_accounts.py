"""Password reset by email and refresh tokens over the API, on PostgreSQL and the embedded
SQLite, with a real SMTP server: resets never tell whether an address is known, are
throttled (also in parallel), work once, expire and end every session; refresh tokens rotate
and a reused one ends its whole family, also when two uses race."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from hub import password_resets
from hub.roles import Role
from storage.models.mail import EmailMessage
from tests.api.test_mail import deliver, mailbox, mails, settings, settled, sqlite_mail
from tests.conftest import data_of
from tests.factories import PASSWORD, Actor, Factory, errors_of
from tests.mailbox import Mailbox

__all__ = ["mailbox", "mails", "settings", "sqlite_mail"]  # the fixtures, shared

LOGIN = """mutation($email: String!, $password: String!) { login(email: $email,
  password: $password) { token refreshToken refreshExpiresAt user { email } } }"""
REFRESH = """mutation($token: String!) { refreshToken(refreshToken: $token) { token
  refreshToken user { email } } }"""
ASK = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = """mutation($token: String!, $password: String!) { resetPassword(token: $token,
  password: $password) }"""
ME = "{ me { email } }"
LOGOUT = "mutation($refresh: String) { logout(refreshToken: $refresh) }"
CHANGE = """mutation($old: String!, $new: String!) { changePassword(currentPassword: $old,
  newPassword: $new) { token refreshToken } }"""
NEW_PASSWORD = "a brand new passphrase"


async def login(factory: Factory, email: str, password: str = PASSWORD) -> dict[str, Any]:
    found: dict[str, Any] = data_of(
        await factory.gql(LOGIN, {"email": email, "password": password})
    )["login"]
    return found


async def _reset_link(factory: Factory, mailbox: Mailbox, email: str) -> str:
    assert data_of(await factory.gql(ASK, {"email": email})) == {"requestPasswordReset": True}
    await deliver(factory.hub)
    (sent,) = [item for item in mailbox.to(email) if item.subject.startswith("Reset")]
    assert sent.subject == "Reset your ChannelHub password"
    link = next(line for line in sent.part("plain").splitlines() if "reset-password" in line)
    return link.split("token=", 1)[1]


async def test_a_reset_works_once_and_ends_every_session(mails: Factory, mailbox: Mailbox) -> None:
    seller = await mails.vendor_user(Role.CHANNEL_MANAGER)
    await settled(mails, mailbox)
    before = await login(mails, seller.user.email)
    token = await _reset_link(mails, mailbox, seller.user.email)
    async with mails.hub.read() as session:
        kept = list(
            await session.scalars(
                select(EmailMessage).where(EmailMessage.kind.in_(["PASSWORD_RESET", "INVITATION"]))
            )
        )
    assert {message.kind for message in kept} == {"PASSWORD_RESET", "INVITATION"}
    assert all("token=" not in message.text_body + message.html_body for message in kept)

    assert data_of(await mails.gql(RESET, {"token": token, "password": NEW_PASSWORD})) == {
        "resetPassword": True
    }
    again = await mails.gql(RESET, {"token": token, "password": "yet another passphrase"})
    assert errors_of(again) == [("BAD_USER_INPUT", "token")]
    for stale in (seller.token, before["token"]):
        gone = await mails.post(ME, actor=Actor(seller.user, stale))
        assert gone.status_code == 401
    refused = await mails.gql(REFRESH, {"token": before["refreshToken"]})
    assert errors_of(refused) == [("UNAUTHENTICATED", None)]
    wrong = await mails.gql(LOGIN, {"email": seller.user.email, "password": PASSWORD})
    assert errors_of(wrong) == [("UNAUTHENTICATED", None)]
    assert (await login(mails, seller.user.email, NEW_PASSWORD))["user"]["email"] == (
        seller.user.email
    )


async def test_asking_never_tells_whether_an_address_is_known(
    mails: Factory, mailbox: Mailbox
) -> None:
    known = await mails.vendor_admin()
    await settled(mails, mailbox)
    answers, took = [], []
    for email in (known.user.email, "nobody@nowhere.example"):
        started = time.monotonic()
        answers.append(await mails.gql(ASK, {"email": email}))
        took.append(time.monotonic() - started)
    assert answers[0] == answers[1] == {"data": {"requestPasswordReset": True}}
    # Neither answers before the floor: the time taken does not tell them apart.
    assert min(took) >= password_resets.ANSWER_FLOOR_SECONDS
    await deliver(mails.hub)
    assert [item.recipients for item in mailbox.delivered] == [[known.user.email]]
    for _ in range(2):  # the limit is 3 an hour for any address, known or not
        for email in (known.user.email, "nobody@nowhere.example"):
            await mails.gql(ASK, {"email": email})
    limited = [
        await mails.gql(ASK, {"email": email})
        for email in (known.user.email, "nobody@nowhere.example")
    ]
    assert [errors_of(body) for body in limited] == [[("RATE_LIMITED", None)]] * 2


async def test_parallel_asks_send_no_more_than_the_limit(mails: Factory, mailbox: Mailbox) -> None:
    known = await mails.vendor_admin()
    await settled(mails, mailbox)
    answers = await asyncio.gather(
        *(mails.gql(ASK, {"email": known.user.email}) for _ in range(12))
    )
    assert sum("errors" not in body for body in answers) == 3
    await deliver(mails.hub)
    assert len(mailbox.to(known.user.email)) == 3
    # Only the newest link works: each ask ends the one before.
    links = [
        next(line for line in item.part("plain").splitlines() if "token=" in line).split("=", 1)[1]
        for item in mailbox.to(known.user.email)
    ]
    results = [await mails.gql(RESET, {"token": link, "password": NEW_PASSWORD}) for link in links]
    assert sum("errors" not in body for body in results) == 1


async def test_a_reset_link_expires(mails: Factory, mailbox: Mailbox) -> None:
    known = await mails.vendor_admin()
    await settled(mails, mailbox)
    token = await _reset_link(mails, mailbox, known.user.email)
    mails.hub.clock.advance(seconds=3601)  # type: ignore[attr-defined]
    late = await mails.gql(RESET, {"token": token, "password": NEW_PASSWORD})
    assert errors_of(late) == [("BAD_USER_INPUT", "token")]
    weak = await mails.gql(RESET, {"token": token, "password": "short"})
    assert errors_of(weak) == [("BAD_USER_INPUT", "password")]


async def test_a_reset_link_opens_no_deactivated_account(mails: Factory, mailbox: Mailbox) -> None:
    vendor = await mails.vendor_admin()
    leaver = await mails.vendor_user(Role.CHANNEL_MANAGER)
    await settled(mails, mailbox)
    token = await _reset_link(mails, mailbox, leaver.user.email)
    deactivate = "mutation($id: ID!) { setUserActive(userId: $id, active: false) { id } }"
    data_of(await mails.gql(deactivate, {"id": leaver.user.id}, actor=vendor))
    refused = await mails.gql(RESET, {"token": token, "password": NEW_PASSWORD})
    assert errors_of(refused) == [("BAD_USER_INPUT", "token")]
    wrong = await mails.gql(LOGIN, {"email": leaver.user.email, "password": NEW_PASSWORD})
    assert errors_of(wrong) == [("UNAUTHENTICATED", None)]


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_family(mails: Factory) -> None:
    user = await mails.vendor_admin()
    first = await login(mails, user.user.email)
    second = data_of(await mails.gql(REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    assert second["user"]["email"] == user.user.email
    assert second["refreshToken"] != first["refreshToken"]
    assert (await mails.post(ME, actor=Actor(user.user, second["token"]))).status_code == 200
    third = data_of(await mails.gql(REFRESH, {"token": second["refreshToken"]}))["refreshToken"]

    reused = await mails.gql(REFRESH, {"token": first["refreshToken"]})
    assert errors_of(reused) == [("UNAUTHENTICATED", None)]
    ended = await mails.gql(REFRESH, {"token": third["refreshToken"]})
    assert errors_of(ended) == [("UNAUTHENTICATED", None)]
    garbage = await mails.gql(REFRESH, {"token": "not-a-token"})
    assert errors_of(garbage) == [("UNAUTHENTICATED", None)]
    other = await login(mails, user.user.email)  # another session lives on
    assert "errors" not in await mails.gql(REFRESH, {"token": other["refreshToken"]})


async def test_two_racing_uses_of_one_refresh_token_end_the_family(mails: Factory) -> None:
    user = await mails.vendor_admin()
    first = await login(mails, user.user.email)
    raced = await asyncio.gather(
        *(mails.gql(REFRESH, {"token": first["refreshToken"]}) for _ in range(6))
    )
    won = [body["data"]["refreshToken"] for body in raced if "errors" not in body]
    assert len(won) == 1
    assert [errors_of(body) for body in raced if "errors" in body] == [
        [("UNAUTHENTICATED", None)]
    ] * 5
    after = await mails.gql(REFRESH, {"token": won[0]["refreshToken"]})
    assert errors_of(after) == [("UNAUTHENTICATED", None)]


async def test_logout_and_a_password_change_end_refresh_tokens(factory: Factory) -> None:
    user = await factory.vendor_admin()
    session = await login(factory, user.user.email)
    actor = Actor(user.user, session["token"])
    assert data_of(await factory.gql(LOGOUT, {"refresh": session["refreshToken"]}, actor=actor))
    ended = await factory.gql(REFRESH, {"token": session["refreshToken"]})
    assert errors_of(ended) == [("UNAUTHENTICATED", None)]
    # Another account's refresh token, sent with one's own logout, is left alone.
    other = await factory.vendor_user(Role.CHANNEL_MANAGER)
    theirs = await login(factory, other.user.email)
    mine = await login(factory, user.user.email)
    sent = {"refresh": theirs["refreshToken"]}
    assert data_of(await factory.gql(LOGOUT, sent, actor=Actor(user.user, mine["token"])))
    assert "errors" not in await factory.gql(REFRESH, {"token": theirs["refreshToken"]})

    kept = await login(factory, user.user.email)
    changed = data_of(
        await factory.gql(
            CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}, actor=Actor(user.user, kept["token"])
        )
    )["changePassword"]
    old = await factory.gql(REFRESH, {"token": kept["refreshToken"]})
    assert errors_of(old) == [("UNAUTHENTICATED", None)]
    assert "errors" not in await factory.gql(REFRESH, {"token": changed["refreshToken"]})
