"""Root fields of API keys (vendor admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from hub import api_keys
from hub.api_keys import Scope
from schema.api_keys import ApiKey, ApiKeySecret
from schema.arguments import After, First, Id
from schema.context import Info
from schema.relay import Connection, page_request


@strawberry.type
class ApiKeysQuery:
    @strawberry.field(description="API keys, newest first (vendor admins).")
    async def api_keys(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[ApiKey]:
        page = await api_keys.list_keys(
            info.context.hub,
            principal=info.context.require_principal(),
            page=page_request(info, first, after),
        )
        return Connection[ApiKey].of(page, ApiKey.from_model)


@strawberry.type
class ApiKeysMutation:
    @strawberry.mutation(
        description="Make an API key for an INTEGRATION account; its secret is shown once."
    )
    async def create_api_key(
        self,
        info: Info,
        user_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The INTEGRATION account the key authenticates as."),
        ],
        name: Annotated[
            str,
            strawberry.argument(description='A name to tell the key by, e.g. "ERP production".'),
        ],
        scopes: Annotated[list[Scope], strawberry.argument(description="What the key may do.")],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="When the key stops working (RFC 3339); never when left out."
            ),
        ] = None,
    ) -> ApiKeySecret:
        made = await api_keys.create(
            info.context.hub,
            principal=info.context.require_principal(),
            user_id=user_id,
            name=name,
            scopes=scopes,
            expires_at=expires_at,
        )
        return ApiKeySecret.of(made)

    @strawberry.mutation(description="Revoke an API key: it is refused from now on.")
    async def revoke_api_key(self, info: Info, id: Id) -> ApiKey:
        key = await api_keys.revoke(
            info.context.hub, principal=info.context.require_principal(), key_id=id
        )
        return ApiKey.from_model(key)
