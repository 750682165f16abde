"""GraphQL types of the vendor's product lines."""

from __future__ import annotations

from datetime import datetime

import strawberry

from storage.models import ProductLine as ProductLineModel


@strawberry.type(
    description=(
        "A product line of the vendor's. Leads, deals, products, partner specializations, "
        "courses, certifications, collateral and articles may use only the codes on this list."
    )
)
class ProductLine:
    code: str = strawberry.field(description="Upper case letters, digits and underscores.")
    name: str
    description: str | None
    active: bool = strawberry.field(
        description="A retired line stays on the records that have it; new ones may not use it."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, model: ProductLineModel) -> ProductLine:
        return cls(
            code=model.code,
            name=model.name,
            description=model.description,
            active=model.active,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


@strawberry.input
class ProductLineInput:
    code: str = strawberry.field(description='Normalised: "network security" is NETWORK_SECURITY.')
    name: str
    description: str | None = None


@strawberry.input
class ProductLineUpdateInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false retires the line, true reactivates it."
    )


@strawberry.input
class ProductLineFilter:
    include_retired: bool = False
    search: str | None = None
