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
from schema.loading import LoaderSet, loader
from storage.models import Invitation as InvitationModel
from storage.models import Organization as OrganizationModel
from storage.models import Partner as PartnerModel
from storage.models import User as UserModel

if TYPE_CHECKING:
    from schema.partners import Partner

strawberry.enum(Role, name="Role", description="What a user may do.")
strawberry.enum(OrganizationKind, name="OrganizationKind")


@strawberry.type(description="The vendor or one partner company.")
class Organization:
    id: strawberry.ID
    kind: OrganizationKind
    name: str

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
class User:
    id: strawberry.ID
    email: str
    name: str
    role: Role
    active: bool
    organization_id: strawberry.Private[str]
    created_at: datetime
    last_login_at: datetime | None

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

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        model = await IdentityLoaders.of(info).organization_by_id.load(self.organization_id)
        assert model is not None, "a visible user's organization is visible"
        return Organization.from_model(model)


@strawberry.type(description="A signed access token to send as Authorization: Bearer.")
class LoginPayload:
    token: str = strawberry.field(description="The access token (Authorization: Bearer).")
    expires_at: datetime
    user: User
    refresh_token: str = strawberry.field(
        description="Spend it with refreshToken for a new access token (and the next refresh "
        "token); a spent one used again ends the whole session."
    )
    refresh_expires_at: datetime


@strawberry.type(description="An invitation; the token is shown once, to the inviter.")
class InvitationPayload:
    id: strawberry.ID
    email: str
    role: Role
    expires_at: datetime
    token: str

    @classmethod
    def from_model(cls, model: InvitationModel, token: str) -> InvitationPayload:
        return cls(
            id=strawberry.ID(model.id),
            email=model.email,
            role=Role(model.role),
            expires_at=model.expires_at,
            token=token,
        )


@strawberry.input
class UserFilter:
    organization_id: strawberry.ID | None = None
    roles: list[Role] | None = None
    active: bool | None = None
    search: str | None = None


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
