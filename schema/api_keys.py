"""GraphQL types of API keys (never their secret, shown once when made)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.api_keys import NewKey, Scope
from schema.enums import described_enum
from storage.models import ApiKey as KeyModel

described_enum(
    Scope,
    name="ApiKeyScope",
    description="READ: queries and subscriptions; ORDERS: order status; CATALOG: products, "
    "product lines and tier discounts; STOCK: stock levels, receipts and warehouses; LEADS: "
    "leads; PAYMENTS: fund claim and incentive payouts, exchange rates.",
    values={
        "READ": "Queries and subscriptions.",
        "ORDERS": "Order status changes.",
        "CATALOG": "Products, product lines and tier discounts.",
        "STOCK": "Stock levels, inbound receipts and warehouses.",
        "LEADS": "Leads: create, upsert and import.",
        "PAYMENTS": "Fund claim and incentive payouts, exchange rates.",
    },
)


@strawberry.type(description="A key an INTEGRATION account authenticates with.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key's id.")
    name: str = strawberry.field(description="The name it is told by.")
    prefix: str = strawberry.field(description="Its first characters, to tell keys apart.")
    user_id: strawberry.ID = strawberry.field(
        description="The INTEGRATION account it authenticates as."
    )
    scopes: list[Scope] = strawberry.field(description="What it may do.")
    created_at: datetime = strawberry.field(description="When it was made (RFC 3339, UTC).")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (RFC 3339, UTC); null: never."
    )
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (RFC 3339, UTC), to the minute."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (RFC 3339, UTC)."
    )

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
    api_key: ApiKey = strawberry.field(description="The key made; its secret is not shown again.")
    secret: str = strawberry.field(description="Send it as Authorization: Bearer <secret>.")

    @classmethod
    def of(cls, made: NewKey) -> ApiKeySecret:
        return cls(api_key=ApiKey.from_model(made.key), secret=made.secret)
