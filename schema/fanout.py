"""Shared fan-out: a subscription event is executed once per audience, not once per socket.

Every subscriber of one audience (vendor staff, or one partner organization) sees the same
thing: visibility in the hub depends only on the organization. So the first subscriber of
an audience to reach an event executes its selection; every other subscriber with the
same document and variables reuses that result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hub.roles import Principal


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = _shared_cache(self.root_value)
        principal = getattr(self.context_value, "principal", None)
        if (
            shared is None
            or not isinstance(principal, Principal)
            or self.operation.operation is not OperationType.SUBSCRIPTION
        ):
            return super().execute_operation(serially)
        key = self._share_key(principal)
        future: asyncio.Future[Any] | None = shared.get(key)
        if future is None:
            result = super().execute_operation(serially)
            if not self.is_awaitable(result):
                return result
            future = shared[key] = asyncio.ensure_future(result)
        return _shielded(future)

    def _share_key(self, principal: Principal) -> tuple[str, ...]:
        audience = "vendor" if principal.is_vendor else principal.organization_id
        source = self.operation.loc.source.body if self.operation.loc else str(id(self.operation))
        variables = json.dumps(self.variable_values.coerced, sort_keys=True, default=str)
        name = self.operation.name.value if self.operation.name else ""
        return ("execution", audience, source, name, variables)


def _shared_cache(root: Any) -> dict[Any, Any] | None:
    event = getattr(root, "event", None)
    shared = getattr(event, "shared", None)
    return shared if isinstance(shared, dict) else None


async def _shielded(future: Awaitable[ExecutionResult]) -> ExecutionResult:
    # Shielded: a subscriber that goes away must not cancel the work others wait for.
    return await asyncio.shield(future)
