"""GraphQL types of API keys (never their secret, shown once when made)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.api_keys import NewKey, Scope
from storage.models import ApiKey as KeyModel

strawberry.enum(
    Scope,
    name="ApiKeyScope",
    description="READ: queries and subscriptions; ORDERS: order status; CATALOG: products, "
    "product lines and tier discounts; STOCK: stock levels, receipts and warehouses; LEADS: "
    "leads; PAYMENTS: fund claim and incentive payouts, exchange rates.",
)


@strawberry.type(description="A key an INTEGRATION account authenticates with.")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="Its first characters, to tell keys apart.")
    user_id: strawberry.ID
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="To the minute.")
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, model: KeyModel) -> ApiKey:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            prefix=model.prefix,
            user_id=strawberry.ID(model.user_id),
            scopes=[Scope(scope) for scope in model.scopes],
            created_at=model.created_at,
            expires_at=model.expires_at,
            last_used_at=model.last_used_at,
            revoked_at=model.revoked_at,
        )


@strawberry.type(description="A new API key and its secret, shown this once.")
class ApiKeySecret:
    api_key: ApiKey
    secret: str = strawberry.field(description="Send it as Authorization: Bearer <secret>.")

    @classmethod
    def of(cls, made: NewKey) -> ApiKeySecret:
        return cls(api_key=ApiKey.from_model(made.key), secret=made.secret)
