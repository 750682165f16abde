"""GraphQL types of identity: organizations, users, logins and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from hub import partners as partner_service
from hub import users as user_service
from hub.knowledge import discussion
from hub.roles import OrganizationKind, Role
from schema.context import Info
from schema.enums import described_enum
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from storage.models import Invitation as InvitationModel
from storage.models import Organization as OrganizationModel
from storage.models import Partner as PartnerModel
from storage.models import User as UserModel

if TYPE_CHECKING:
    from schema.partners import Partner

described_enum(
    Role,
    name="Role",
    description="What a user may do.",
    values={
        "VENDOR_ADMIN": "Vendor staff with every right, including settings, users and programs.",
        "CHANNEL_MANAGER": "Vendor staff who manage partners, leads, funds and orders.",
        "PARTNER_ADMIN": "A partner's administrator: its profile, users and everything its users "
        "do.",
        "PARTNER_USER": "A partner's salesperson: its leads, orders, training and messages.",
        "INTEGRATION": "A machine account of the vendor's CRM or ERP, authenticating with API "
        "keys.",
    },
)
described_enum(
    OrganizationKind,
    name="OrganizationKind",
    description="Whether an organization is the vendor or one of its partners.",
    values={
        "VENDOR": "The vendor that runs the hub.",
        "PARTNER": "A partner company of the channel.",
    },
)


@strawberry.type(description="The vendor or one partner company.")
class Organization:
    id: strawberry.ID = strawberry.field(
        description="The organization's id; for a partner, also its partner id."
    )
    kind: OrganizationKind = strawberry.field(
        description="Whether this is the vendor or a partner."
    )
    name: str = strawberry.field(
        description="The organization's name as shown to its counterparts."
    )

    @classmethod
    def from_model(cls, model: OrganizationModel) -> Organization:
        return cls(id=strawberry.ID(model.id), kind=OrganizationKind(model.kind), name=model.name)

    @strawberry.field(description="The partner profile; null for the vendor.")
    async def partner(
        self, info: Info
    ) -> Annotated[Partner, strawberry.lazy("schema.partners")] | None:
        from schema.partners import Partner

        if self.kind is OrganizationKind.VENDOR:
            return None
        model = await IdentityLoaders.of(info).partner_by_id.load(self.id)
        return Partner.from_model(model) if model else None


@strawberry.type(description="A person who logs in, member of one organization.")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The user's id.")
    email: str = strawberry.field(
        description="The address the user logs in with and receives email at."
    )
    name: str = strawberry.field(
        description="The user's name as shown beside their records and messages."
    )
    role: Role = strawberry.field(description="What the user may do in their organization.")
    active: bool = strawberry.field(
        description="False once deactivated: the user can no longer log in."
    )
    organization_id: strawberry.Private[str]
    created_at: datetime = strawberry.field(
        description="When the account was created (RFC 3339, UTC)."
    )
    last_login_at: datetime | None = strawberry.field(
        description="When the user last logged in (RFC 3339, UTC); null if never."
    )

    @classmethod
    def from_model(cls, model: UserModel) -> User:
        return cls(
            id=strawberry.ID(model.id),
            email=model.email,
            name=model.name,
            role=Role(model.role),
            active=model.active,
            organization_id=model.organization_id,
            created_at=model.created_at,
            last_login_at=model.last_login_at,
        )

    @strawberry.field(description="The organization the user belongs to.")
    async def organization(self, info: Info) -> Organization:
        model = await IdentityLoaders.of(info).organization_by_id.load(self.organization_id)
        assert model is not None, "a visible user's organization is visible"
        return Organization.from_model(model)


@strawberry.type(description="A signed access token to send as Authorization: Bearer.")
class LoginPayload:
    token: str = strawberry.field(description="The access token (Authorization: Bearer).")
    expires_at: datetime = strawberry.field(
        description="When the access token expires (RFC 3339, UTC)."
    )
    user: User = strawberry.field(description="The user logged in.")
    refresh_token: str = strawberry.field(
        description="Spend it with refreshToken for a new access token (and the next refresh "
        "token); a spent one used again ends the whole session."
    )
    refresh_expires_at: datetime = strawberry.field(
        description="When the refresh token expires unspent (RFC 3339, UTC)."
    )


@strawberry.type(description="An invitation; the token is shown once, to the inviter.")
class InvitationPayload:
    id: strawberry.ID = strawberry.field(description="The invitation's id.")
    email: str = strawberry.field(description="The address the invitation was sent to.")
    role: Role = strawberry.field(description="The role the person gets on accepting.")
    expires_at: datetime = strawberry.field(
        description="When the invitation expires unaccepted (RFC 3339, UTC)."
    )
    token: str = strawberry.field(
        description="The one-time token to pass to acceptInvite; shown only in this answer."
    )

    @classmethod
    def from_model(cls, model: InvitationModel, token: str) -> InvitationPayload:
        return cls(
            id=strawberry.ID(model.id),
            email=model.email,
            role=Role(model.role),
            expires_at=model.expires_at,
            token=token,
        )


@strawberry.input(description="Which users to list; the conditions given must all hold.")
class UserFilter:
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only users of this organization."
    )
    roles: list[Role] | None = strawberry.field(
        default=None, description="Only users with one of these roles."
    )
    active: bool | None = strawberry.field(
        default=None, description="Only active (true) or only deactivated (false) users."
    )
    search: str | None = strawberry.field(
        default=None, description="Only users whose name or email contains this text, in any case."
    )


class IdentityLoaders(LoaderSet):
    """Users, organizations and partners by id, and the names shown beside records."""

    user_by_id = loader[str, UserModel | None](
        lambda hub, principal, ids: user_service.by_ids(hub, principal=principal, ids=ids)
    )
    organization_by_id = loader[str, OrganizationModel | None](
        lambda hub, principal, ids: user_service.organizations_by_ids(
            hub, principal=principal, ids=ids
        )
    )
    partner_by_id = loader[str, PartnerModel | None](
        lambda hub, principal, ids: partner_service.by_ids(hub, principal=principal, ids=ids)
    )
    user_name_by_id = loader[str, str | None](
        lambda hub, principal, ids: discussion.user_names(hub, ids)
    )
    organization_name_by_id = loader[str, str | None](
        lambda hub, principal, ids: discussion.organization_names(hub, ids)
    )
