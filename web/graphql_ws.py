"""GraphQL over WebSocket (graphql-transport-ws): the token comes in connection_init."""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from hub import identity
from hub.errors import HubError
from hub.runtime import Hub
from schema.context import Context


class GraphQLWebSocket(GraphQL[Context, None]):
    """Strawberry's WebSocket transport with our context and authentication."""

    def __init__(self, schema: strawberry.Schema, hub: Hub) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=hub.settings.allowed_origins,
        )
        self.hub = hub

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        client = request.client.host if request.client else None
        return Context(hub=self.hub, client=client)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        token = _token(context.connection_params or {})
        if token is None:
            raise ConnectionRejectionError({"reason": "send the access token in connection_init"})
        try:
            principal = await identity.authenticate(self.hub, token)
        except HubError as error:
            raise ConnectionRejectionError({"reason": error.message}) from None
        context.authenticated(principal, token)
        return None


def _token(params: dict[str, Any]) -> str | None:
    value = params.get("authorization") or params.get("Authorization") or params.get("token")
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest.strip() else value.strip()
