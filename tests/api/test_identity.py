"""Logins, tokens, invitations and deactivation over the GraphQL API."""

from __future__ import annotations

import asyncio

import jwt

from hub.clock import ManualClock
from hub.roles import Role
from tests.conftest import JWT_SECRET, data_of
from tests.factories import PASSWORD, Factory, errors_of

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { email role organization { kind } } }
}"""
ME = "{ me { email role organization { name kind } } }"


async def test_login_returns_a_token_that_identifies_the_caller(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    body = await factory.gql(LOGIN, {"email": admin.user.email.upper(), "password": PASSWORD})

    login = data_of(body)["login"]
    assert login["user"] == {
        "email": admin.user.email,
        "role": "VENDOR_ADMIN",
        "organization": {"kind": "VENDOR"},
    }
    response = await factory.client.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {login['token']}"}
    )
    assert response.json()["data"]["me"]["email"] == admin.user.email


async def test_wrong_password_and_unknown_email_fail_alike(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    wrong = await factory.gql(LOGIN, {"email": admin.user.email, "password": "not the password"})
    unknown = await factory.gql(
        LOGIN, {"email": "nobody@example.test", "password": "not the password"}
    )

    assert errors_of(wrong) == errors_of(unknown) == [("UNAUTHENTICATED", None)]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]


async def test_repeated_failures_are_throttled_even_with_the_right_password(
    factory: Factory, clock: ManualClock
) -> None:
    admin = await factory.vendor_admin()
    for _ in range(5):
        await factory.gql(LOGIN, {"email": admin.user.email, "password": "wrong password"})

    locked = await factory.gql(LOGIN, {"email": admin.user.email, "password": PASSWORD})
    clock.advance(seconds=901)
    later = await factory.gql(LOGIN, {"email": admin.user.email, "password": PASSWORD})

    assert errors_of(locked) == [("RATE_LIMITED", None)]
    assert locked["errors"][0]["extensions"]["retryAfter"] > 0
    assert data_of(later)["login"]["user"]["email"] == admin.user.email


async def test_a_rate_limited_answer_over_http_sets_retry_after(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    for _ in range(5):
        await factory.gql(LOGIN, {"email": admin.user.email, "password": "wrong password"})

    locked = await factory.post(LOGIN, {"email": admin.user.email, "password": PASSWORD})

    wait = locked.json()["errors"][0]["extensions"]["retryAfter"]
    assert (locked.status_code, locked.headers["retry-after"]) == (200, str(wait))
    assert wait > 0


async def test_concurrent_failures_are_all_counted(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    await asyncio.gather(
        *(
            factory.gql(LOGIN, {"email": admin.user.email, "password": "wrong password"})
            for _ in range(5)
        )
    )
    locked = await factory.gql(LOGIN, {"email": admin.user.email, "password": PASSWORD})

    assert errors_of(locked) == [("RATE_LIMITED", None)]


async def test_expired_token_is_refused(factory: Factory, clock: ManualClock) -> None:
    admin = await factory.vendor_admin()
    # Accepted once first: the checked claims are cached, the expiry is checked every time.
    assert (await factory.post(ME, actor=admin)).status_code == 200
    clock.advance(seconds=3601)

    response = await factory.post(ME, actor=admin)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert errors_of(response.json()) == [("UNAUTHENTICATED", None)]
    assert "expired" in response.json()["errors"][0]["message"]


async def test_forged_token_is_refused(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    claims = jwt.decode(
        admin.token, JWT_SECRET, algorithms=["HS256"], options={"verify_exp": False}
    )
    forged = jwt.encode(
        {**claims, "role": "VENDOR_ADMIN"}, "another-secret-of-sufficient-length!!", "HS256"
    )
    unsigned = jwt.encode(claims, None, algorithm="none")

    for token in (forged, unsigned, "garbage"):
        response = await factory.client.post(
            "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert errors_of(response.json()) == [("UNAUTHENTICATED", None)]


async def test_logout_revokes_the_token(factory: Factory) -> None:
    admin = await factory.vendor_admin()

    assert data_of(await factory.gql("mutation { logout }", actor=admin)) == {"logout": True}
    response = await factory.post(ME, actor=admin)

    assert response.status_code == 401


async def test_anonymous_caller_gets_unauthenticated(factory: Factory) -> None:
    body = await factory.gql(ME)

    assert errors_of(body) == [("UNAUTHENTICATED", None)]


INVITE = """
mutation($org: ID!, $email: String!, $role: Role!) {
  inviteUser(organizationId: $org, email: $email, name: "New Person", role: $role) { token email role }
}"""
ACCEPT = """
mutation($token: String!, $password: String!) {
  acceptInvite(token: $token, password: $password) { email role active }
}"""


async def test_invitation_is_accepted_once_and_then_logs_in(factory: Factory) -> None:
    partner = await factory.partner()
    admin = await factory.vendor_admin()

    invited = data_of(
        await factory.gql(
            INVITE,
            {"org": partner.id, "email": "Pat@Partner.test", "role": "PARTNER_USER"},
            actor=admin,
        )
    )["inviteUser"]
    accepted = await factory.gql(
        ACCEPT, {"token": invited["token"], "password": "a long enough password"}
    )
    again = await factory.gql(
        ACCEPT, {"token": invited["token"], "password": "a long enough password"}
    )
    login = await factory.gql(
        LOGIN, {"email": "pat@partner.test", "password": "a long enough password"}
    )

    assert data_of(accepted)["acceptInvite"] == {
        "email": "pat@partner.test",
        "role": "PARTNER_USER",
        "active": True,
    }
    assert errors_of(again) == [("BAD_USER_INPUT", "token")]
    assert data_of(login)["login"]["user"]["role"] == "PARTNER_USER"


async def test_concurrent_acceptance_creates_one_user(factory: Factory) -> None:
    partner = await factory.partner()
    admin = await factory.vendor_admin()
    invited = data_of(
        await factory.gql(
            INVITE,
            {"org": partner.id, "email": "race@partner.test", "role": "PARTNER_USER"},
            actor=admin,
        )
    )["inviteUser"]

    bodies = await asyncio.gather(
        *(
            factory.gql(ACCEPT, {"token": invited["token"], "password": "a long enough password"})
            for _ in range(4)
        )
    )

    assert sorted(len(body.get("errors", [])) for body in bodies) == [0, 1, 1, 1]


async def test_partner_admin_invites_only_into_own_organization(factory: Factory) -> None:
    mine, other = await factory.partner(), await factory.partner()
    partner_admin = await factory.partner_admin(mine)

    own = await factory.gql(
        INVITE,
        {"org": mine.id, "email": "colleague@mine.test", "role": "PARTNER_USER"},
        actor=partner_admin,
    )
    foreign = await factory.gql(
        INVITE,
        {"org": other.id, "email": "spy@other.test", "role": "PARTNER_USER"},
        actor=partner_admin,
    )
    staff = await factory.gql(
        INVITE,
        {"org": mine.id, "email": "boss@mine.test", "role": "VENDOR_ADMIN"},
        actor=partner_admin,
    )

    assert data_of(own)["inviteUser"]["role"] == "PARTNER_USER"
    assert errors_of(foreign) == [("NOT_FOUND", "organizationId")]
    assert errors_of(staff) == [("BAD_USER_INPUT", "role")]


async def test_partner_user_cannot_invite(factory: Factory) -> None:
    partner = await factory.partner()
    user = await factory.user(partner.id, Role.PARTNER_USER)

    body = await factory.gql(
        INVITE, {"org": partner.id, "email": "x@mine.test", "role": "PARTNER_USER"}, actor=user
    )

    assert errors_of(body) == [("FORBIDDEN", None)]


async def test_duplicate_email_is_a_conflict(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    partner = await factory.partner()

    body = await factory.gql(
        INVITE,
        {"org": partner.id, "email": admin.user.email.upper(), "role": "PARTNER_USER"},
        actor=admin,
    )

    assert errors_of(body) == [("CONFLICT", "email")]


async def test_bad_email_and_short_password_name_their_field(factory: Factory) -> None:
    admin = await factory.vendor_admin()
    partner = await factory.partner()
    invited = data_of(
        await factory.gql(
            INVITE,
            {"org": partner.id, "email": "ok@partner.test", "role": "PARTNER_USER"},
            actor=admin,
        )
    )["inviteUser"]

    bad_email = await factory.gql(
        INVITE, {"org": partner.id, "email": "not-an-email", "role": "PARTNER_USER"}, actor=admin
    )
    short = await factory.gql(ACCEPT, {"token": invited["token"], "password": "short"})

    assert errors_of(bad_email) == [("BAD_USER_INPUT", "email")]
    assert errors_of(short) == [("BAD_USER_INPUT", "password")]


SET_ACTIVE = "mutation($id: ID!, $active: Boolean!) { setUserActive(userId: $id, active: $active) { active } }"


async def test_deactivation_invalidates_tokens_and_blocks_login(factory: Factory) -> None:
    partner = await factory.partner()
    partner_admin = await factory.partner_admin(partner)
    user = await factory.user(partner.id, Role.PARTNER_USER)

    body = await factory.gql(SET_ACTIVE, {"id": user.user.id, "active": False}, actor=partner_admin)
    refused = await factory.post(ME, actor=user)
    login = await factory.gql(LOGIN, {"email": user.user.email, "password": PASSWORD})

    assert data_of(body)["setUserActive"] == {"active": False}
    assert refused.status_code == 401
    assert errors_of(login) == [("UNAUTHENTICATED", None)]
    assert "deactivated" in login["errors"][0]["message"]


async def test_partner_admin_cannot_touch_another_partners_user(factory: Factory) -> None:
    mine, other = await factory.partner(), await factory.partner()
    partner_admin = await factory.partner_admin(mine)
    stranger = await factory.user(other.id, Role.PARTNER_USER)

    body = await factory.gql(
        SET_ACTIVE, {"id": stranger.user.id, "active": False}, actor=partner_admin
    )
    read = await factory.gql(
        "query($id: ID!) { user(id: $id) { email } }", {"id": stranger.user.id}, actor=partner_admin
    )

    assert errors_of(body) == [("NOT_FOUND", "userId")]
    assert errors_of(read) == [("NOT_FOUND", "id")]
    assert (await factory.post(ME, actor=stranger)).status_code == 200


async def test_users_list_is_scoped_to_the_organization(factory: Factory) -> None:
    mine, other = await factory.partner(), await factory.partner()
    partner_admin = await factory.partner_admin(mine)
    await factory.user(mine.id, Role.PARTNER_USER)
    await factory.user(other.id, Role.PARTNER_USER)
    admin = await factory.vendor_admin()

    scoped = data_of(
        await factory.gql(
            "{ users { totalCount edges { node { organization { id } } } } }", actor=partner_admin
        )
    )
    everyone = data_of(await factory.gql("{ users { totalCount } }", actor=admin))

    assert scoped["users"]["totalCount"] == 2
    assert {edge["node"]["organization"]["id"] for edge in scoped["users"]["edges"]} == {mine.id}
    assert everyone["users"]["totalCount"] == 4


CHANGE_PASSWORD = """
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { token user { email } }
}"""


async def test_password_change_ends_other_sessions_and_returns_a_new_token(
    factory: Factory,
) -> None:
    partner = await factory.partner()
    user = await factory.user(partner.id, Role.PARTNER_USER)

    wrong = await factory.gql(
        CHANGE_PASSWORD, {"current": "not it at all", "new": "a brand new password"}, actor=user
    )
    weak = await factory.gql(CHANGE_PASSWORD, {"current": PASSWORD, "new": "short"}, actor=user)
    changed = data_of(
        await factory.gql(
            CHANGE_PASSWORD, {"current": PASSWORD, "new": "a brand new password"}, actor=user
        )
    )
    old_token = await factory.post(ME, actor=user)
    new_token = await factory.client.post(
        "/graphql",
        json={"query": ME},
        headers={"authorization": f"Bearer {changed['changePassword']['token']}"},
    )
    old_login = await factory.gql(LOGIN, {"email": user.user.email, "password": PASSWORD})
    new_login = await factory.gql(
        LOGIN, {"email": user.user.email, "password": "a brand new password"}
    )

    assert errors_of(wrong) == [("BAD_USER_INPUT", "currentPassword")]
    assert errors_of(weak) == [("BAD_USER_INPUT", "newPassword")]
    assert old_token.status_code == 401
    assert new_token.json()["data"]["me"]["email"] == user.user.email
    assert errors_of(old_login) == [("UNAUTHENTICATED", None)]
    assert "errors" not in new_login


async def test_guessing_the_current_password_is_throttled(factory: Factory) -> None:
    partner = await factory.partner()
    user = await factory.user(partner.id, Role.PARTNER_USER)
    for _ in range(5):
        await factory.gql(
            CHANGE_PASSWORD,
            {"current": "guess guess guess", "new": "a brand new password"},
            actor=user,
        )

    body = await factory.gql(
        CHANGE_PASSWORD, {"current": PASSWORD, "new": "a brand new password"}, actor=user
    )

    assert errors_of(body) == [("RATE_LIMITED", None)]
