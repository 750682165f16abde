"""Shared fan-out: a subscription event is executed once per audience, not once per socket.

Every subscriber of one audience (vendor staff, or one partner organization) that receives
an event sees the same thing: what an event shows depends only on the organization. So the
first subscriber of an audience to reach an event executes its selection; every other
subscriber with the same document and variables reuses that result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hub.roles import Principal

# Subscriptions whose events go to users, not organizations: a stream of them is shared only
# among one user's own sockets (web/fanout.py).
USER_SCOPED_FIELDS = frozenset({"messageEvents"})


def audience_key(principal: Principal, root_fields: frozenset[str]) -> str:
    """Who sees an event the same way: one user, vendor staff, or one partner organization."""
    if root_fields & USER_SCOPED_FIELDS:
        return f"user:{principal.user_id}"
    return "vendor" if principal.is_vendor else principal.organization_id


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
        # Per organization even for user-scoped subscriptions: each stream has already kept
        # only the events its own user may see, and what an event shows then depends on the
        # organization alone (asset entitlements of attachments, for one).
        audience = audience_key(principal, frozenset())
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
