"""Product lines: the vendor-managed list of codes the rest of the channel uses."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub import product_lines
from schema.arguments import After, First
from schema.context import Info
from schema.inputs import to_hub
from schema.product_lines import (
    ProductLine,
    ProductLineFilter,
    ProductLineInput,
    ProductLineUpdateInput,
)
from schema.relay import Connection, page_request


@strawberry.type
class ProductLinesQuery:
    @strawberry.field(
        description="The vendor's product lines by code; retired ones only when asked for."
    )
    async def product_lines(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            ProductLineFilter | None,
            strawberry.argument(
                description="Which product lines to list; active ones when left out."
            ),
        ] = None,
    ) -> Connection[ProductLine]:
        info.context.require_principal()
        hub = info.context.hub
        wanted = filter or ProductLineFilter()
        page = await product_lines.list_lines(
            hub,
            include_retired=wanted.include_retired,
            search=wanted.search,
            page=page_request(info, first, after),
        )
        return Connection[ProductLine].of(page, ProductLine.from_model)

    @strawberry.field(description="One product line by code, retired or not.")
    async def product_line(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The product line's code, e.g. NETWORK_SECURITY.")
        ],
    ) -> ProductLine:
        info.context.require_principal()
        return ProductLine.from_model(await product_lines.get(info.context.hub, code))


@strawberry.type
class ProductLinesMutation:
    @strawberry.mutation(description="Add a product line to the vendor's list (vendor staff).")
    async def create_product_line(
        self,
        info: Info,
        input: Annotated[
            ProductLineInput, strawberry.argument(description="The new product line.")
        ],
    ) -> ProductLine:
        model = await product_lines.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, product_lines.ProductLineInput),
        )
        return ProductLine.from_model(model)

    @strawberry.mutation(
        description=(
            "Rename, describe, retire or reactivate a product line (vendor staff); "
            "the code never changes."
        )
    )
    async def update_product_line(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The code of the product line to change.")
        ],
        input: Annotated[
            ProductLineUpdateInput,
            strawberry.argument(description="The fields to change; omitted ones stay as they are."),
        ],
    ) -> ProductLine:
        given = {key for key, value in vars(input).items() if value is not strawberry.UNSET}
        changes = product_lines.ProductLineChanges(
            name=input.name if "name" in given else None,
            description=input.description if "description" in given else None,
            active=input.active if "active" in given else None,
            given=frozenset(given),
        )
        model = await product_lines.update(
            info.context.hub,
            principal=info.context.require_principal(),
            code=code,
            changes=changes,
        )
        return ProductLine.from_model(model)
