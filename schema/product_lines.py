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
    name: str = strawberry.field(description="The product line's name as shown to partners.")
    description: str | None = strawberry.field(description="What the line covers.")
    active: bool = strawberry.field(
        description="A retired line stays on the records that have it; new ones may not use it."
    )
    created_at: datetime = strawberry.field(
        description="When the line was created (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the line last changed (RFC 3339, UTC)."
    )

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


@strawberry.input(description="A new product line.")
class ProductLineInput:
    code: str = strawberry.field(description='Normalised: "network security" is NETWORK_SECURITY.')
    name: str = strawberry.field(description="The line's name as shown to partners.")
    description: str | None = strawberry.field(default=None, description="What the line covers.")


@strawberry.input(description="Fields of a product line to change; omitted ones stay as they are.")
class ProductLineUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="The new name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new description; null clears it."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false retires the line, true reactivates it."
    )


@strawberry.input(description="Which product lines to list.")
class ProductLineFilter:
    include_retired: bool = strawberry.field(
        default=False, description="True to list retired lines too."
    )
    search: str | None = strawberry.field(
        default=None, description="Only lines whose code or name contains this text, in any case."
    )
