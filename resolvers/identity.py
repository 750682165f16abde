"""Root fields of identity: login, the caller, users and invitations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub import identity, password_resets, refresh_tokens
from hub import users as user_service
from hub.roles import Role
from schema.arguments import After, First, Id
from schema.context import Info
from schema.identity import InvitationPayload, LoginPayload, User, UserFilter
from schema.inputs import to_hub
from schema.relay import Connection, page_request


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The user the request's token or API key authenticates.")
    async def me(self, info: Info) -> User:
        principal = info.context.require_principal()
        return User.from_model(
            await user_service.get(info.context.hub, principal=principal, user_id=principal.user_id)
        )

    @strawberry.field(description="One user the caller may see.")
    async def user(self, info: Info, id: Id) -> User:
        principal = info.context.require_principal()
        return User.from_model(
            await user_service.get(info.context.hub, principal=principal, user_id=id)
        )

    @strawberry.field(description="Users the caller may see, by name.")
    async def users(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            UserFilter | None,
            strawberry.argument(
                description="Which users to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[User]:
        principal = info.context.require_principal()
        hub = info.context.hub
        page = page_request(info, first, after)
        wanted = filter or UserFilter()
        result = await user_service.list_users(
            hub,
            principal=principal,
            filter=to_hub(wanted, user_service.UserFilter),
            page=page,
        )
        return Connection[User].of(result, User.from_model)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Exchange an email and password for an access token.")
    async def login(
        self,
        info: Info,
        email: Annotated[
            str, strawberry.argument(description="The account's email address, in any case.")
        ],
        password: Annotated[
            str,
            strawberry.argument(description="The account's password."),
        ],
    ) -> LoginPayload:
        result = await refresh_tokens.login(
            info.context.hub, email=email, password=password, client=info.context.client
        )
        info.context.authenticated(identity.principal_of(result.access.user), result.access.token)
        return _payload(result)

    @strawberry.mutation(
        description="Spend a refresh token for a new access token and the next refresh token."
    )
    async def refresh_token(
        self,
        info: Info,
        refresh_token: Annotated[
            str,
            strawberry.argument(
                description="The refresh token of the last login or refresh; it is spent by this "
                "call."
            ),
        ],
    ) -> LoginPayload:
        result = await refresh_tokens.refresh(info.context.hub, token=refresh_token)
        info.context.authenticated(identity.principal_of(result.access.user), result.access.token)
        return _payload(result)

    @strawberry.mutation(
        description="Email a link to reset the password, if the address has an account. The "
        "answer is true either way: it never tells whether the address is known."
    )
    async def request_password_reset(
        self,
        info: Info,
        email: Annotated[
            str,
            strawberry.argument(
                description="The email address of the account whose password to reset."
            ),
        ],
    ) -> bool:
        await password_resets.request(info.context.hub, email=email, client=info.context.client)
        return True

    @strawberry.mutation(
        description="Set a new password with the emailed token (once, before it expires); "
        "every session of the account ends."
    )
    async def reset_password(
        self,
        info: Info,
        token: Annotated[
            str,
            strawberry.argument(
                description="The token of the reset link emailed by requestPasswordReset."
            ),
        ],
        password: Annotated[
            str, strawberry.argument(description="The new password to log in with.")
        ],
    ) -> bool:
        await password_resets.reset(info.context.hub, token=token, password=password)
        return True

    @strawberry.mutation(
        description="Change your password; other sessions end and a new token is returned."
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[
            str, strawberry.argument(description="The password the caller logs in with now.")
        ],
        new_password: Annotated[
            str, strawberry.argument(description="The password to log in with from now on.")
        ],
    ) -> LoginPayload:
        hub = info.context.hub
        user = await user_service.change_password(
            hub,
            principal=info.context.require_principal(),
            current_password=current_password,
            new_password=new_password,
        )
        token, expires_at = identity.issue_token(hub, user)
        info.context.authenticated(identity.principal_of(user), token)
        refresh = await refresh_tokens.issue(hub, user.id)
        return _payload(
            refresh_tokens.Refreshed(identity.LoginResult(token, expires_at, user), refresh)
        )

    @strawberry.mutation(
        description="Revoke the access token of this request (and, given, the session of a "
        "refresh token)."
    )
    async def logout(
        self,
        info: Info,
        refresh_token: Annotated[
            str | None,
            strawberry.argument(
                description="The refresh token of the session to end too; only the access token is "
                "revoked when left out."
            ),
        ] = None,
    ) -> bool:
        principal, hub = info.context.require_principal(), info.context.hub
        await identity.logout(hub, principal=principal, token=info.context.token or "")
        if refresh_token is not None:
            await refresh_tokens.revoke(hub, token=refresh_token, user_id=principal.user_id)
        return True

    @strawberry.mutation(
        description="Invite a person into an organization; returns a one-time token."
    )
    async def invite_user(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The organization the person joins: the vendor, or a partner "
                "organization."
            ),
        ],
        email: Annotated[
            str,
            strawberry.argument(
                description="Where the invitation goes, and the address the person logs in with."
            ),
        ],
        name: Annotated[
            str,
            strawberry.argument(
                description="The person's name as shown to others; they may change it on accepting."
            ),
        ],
        role: Annotated[
            Role,
            strawberry.argument(
                description="The role the person gets; partner roles for a partner organization, "
                "vendor roles for the vendor."
            ),
        ],
    ) -> InvitationPayload:
        issued = await user_service.invite(
            info.context.hub,
            principal=info.context.require_principal(),
            organization_id=organization_id,
            email=email,
            name=name,
            role=Role(role),
        )
        return InvitationPayload.from_model(issued.invitation, issued.token)

    @strawberry.mutation(description="Accept an invitation, choosing a password; then log in.")
    async def accept_invite(
        self,
        info: Info,
        token: Annotated[
            str, strawberry.argument(description="The one-time token of the invitation.")
        ],
        password: Annotated[str, strawberry.argument(description="The password to log in with.")],
        name: Annotated[
            str | None,
            strawberry.argument(
                description="The name to show, instead of the one the inviter gave."
            ),
        ] = None,
    ) -> User:
        user = await user_service.accept_invite(
            info.context.hub, token=token, password=password, name=name
        )
        return User.from_model(user)

    @strawberry.mutation(
        description="Activate or deactivate a user; deactivation revokes their tokens."
    )
    async def set_user_active(
        self,
        info: Info,
        user_id: Annotated[
            strawberry.ID, strawberry.argument(description="The user to activate or deactivate.")
        ],
        active: Annotated[
            bool,
            strawberry.argument(
                description="True to let the user log in, false to deactivate them."
            ),
        ],
    ) -> User:
        user = await user_service.set_active(
            info.context.hub,
            principal=info.context.require_principal(),
            user_id=user_id,
            active=active,
        )
        return User.from_model(user)


def _payload(result: refresh_tokens.Refreshed) -> LoginPayload:
    access = result.access
    return LoginPayload(
        token=access.token,
        expires_at=access.expires_at,
        user=User.from_model(access.user),
        refresh_token=result.refresh.token,
        refresh_expires_at=result.refresh.expires_at,
    )
