"""Factories: vendor staff, partners and their users, and a GraphQL caller."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hub import identity
from hub import partners as partner_service
from hub import users as user_service
from hub.partners import PartnerInput, PartnerStatus, PartnerType, TerritoryInput, Tier
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import Partner, ProductLine, User
from storage.models.base import table_of

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
# The vendor's product lines every test starts with (any other code is refused).
PRODUCT_LINES = ("CLOUD", "NET", "NETWORKING", "NETWORK_SECURITY", "SECURITY", "STORAGE", "X")


async def seed_product_lines(connection: AsyncConnection) -> None:
    """Put the tests' product lines on the vendor's list."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    await connection.execute(
        insert(table_of(ProductLine)),
        [
            {
                "code": code,
                "name": code.replace("_", " ").capitalize(),
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code in PRODUCT_LINES
        ],
    )


@dataclass(frozen=True)
class Actor:
    user: User
    token: str

    @property
    def principal(self) -> Principal:
        return identity.principal_of(self.user)


class Factory:
    def __init__(self, hub: Hub, client: httpx.AsyncClient, app: Any = None) -> None:
        self.hub = hub
        self.client = client
        # The app behind the client, when a test serves it itself (an SQLite hub).
        self.app = app
        self._vendor: Actor | None = None

    async def vendor_admin(self) -> Actor:
        """The first vendor admin, created once per test."""
        if self._vendor is None:
            user = await user_service.create_admin(
                self.hub,
                email=f"admin{next(_sequence)}@vendor.test",
                password=PASSWORD,
                name="Vera Admin",
            )
            self._vendor = self._actor(user)
        return self._vendor

    async def user(self, organization_id: str, role: Role, *, email: str | None = None) -> Actor:
        """Invite and accept a user into an organization."""
        vendor = await self.vendor_admin()
        issued = await user_service.invite(
            self.hub,
            principal=vendor.principal,
            organization_id=organization_id,
            email=email or f"user{next(_sequence)}@example.test",
            name=f"{role.title()} {next(_sequence)}",
            role=role,
        )
        user = await user_service.accept_invite(
            self.hub, token=issued.token, password=PASSWORD, name=None
        )
        return self._actor(user)

    async def vendor_user(self, role: Role) -> Actor:
        vendor = await self.vendor_admin()
        return await self.user(vendor.user.organization_id, role)

    async def partner(self, name: str | None = None, **fields: Any) -> Partner:
        """Create an ACTIVE partner; keyword fields override the defaults."""
        vendor = await self.vendor_admin()
        data = PartnerInput(
            name=name or f"Partner {next(_sequence)}",
            type=PartnerType.RESELLER,
            tier=Tier.SILVER,
            status=PartnerStatus.ACTIVE,
            country="US",
            specializations=("NETWORKING",),
            territories=(TerritoryInput(name="Home", countries=("US",)),),
        )
        return await partner_service.create(
            self.hub, principal=vendor.principal, data=replace(data, **fields)
        )

    async def partner_admin(self, partner: Partner) -> Actor:
        return await self.user(partner.id, Role.PARTNER_ADMIN)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """POST a GraphQL request and return the JSON body.

        The status must be 200, or 400 for a request refused before any field ran (then
        the body has errors and no data, as GraphQL over HTTP says).
        """
        response = await self.post(query, variables, actor=actor)
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        if response.status_code == 400:
            assert "data" not in body and body.get("errors"), response.text
        return body

    async def multipart(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes]],
        *,
        actor: Actor,
    ) -> dict[str, Any]:
        """A GraphQL multipart request: each of `files` (variable name: (file name, bytes))
        sent as that variable; the JSON body."""
        operations = {"query": query, "variables": {**variables, **dict.fromkeys(files)}}
        mapped = {str(n): [f"variables.{name}"] for n, name in enumerate(files)}
        response = await self.client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps(mapped)},
            files=[
                (str(n), (file_name, data, "application/octet-stream"))
                for n, (file_name, data) in enumerate(files.values())
            ],
            headers={"authorization": f"Bearer {actor.token}", "apollo-require-preflight": "1"},
        )
        body: dict[str, Any] = response.json()
        return body

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: Actor | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"accept": "application/graphql-response+json"}
        if actor is not None:
            sent["authorization"] = f"Bearer {actor.token}"
        sent.update(headers or {})
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )

    def fresh(self, actor: Actor) -> Actor:
        """The same user with a token issued now (after the clock moved)."""
        return self._actor(actor.user)

    def _actor(self, user: User) -> Actor:
        token, _ = identity.issue_token(self.hub, user)
        return Actor(user=user, token=token)


def errors_of(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Return (code, field) of each error in a response."""
    return [
        (error["extensions"]["code"], error["extensions"].get("field"))
        for error in body.get("errors", [])
    ]
