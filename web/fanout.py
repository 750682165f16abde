"""Groups of live subscriptions that share one execution stream.

Live-only subscriptions (no `after` cursor) of one audience with the same document and
variables see exactly the same events the same way, so one stream per group executes each
event once and every member only frames and sends the shared JSON. A subscription that
replays from a cursor runs on its own stream, since its history is its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_operation_ast,
    parse,
)
from strawberry.types.execution import PreExecutionError

from hub.errors import HubError
from hub.roles import Principal
from schema.fanout import audience_key

OUTBOX_SIZE = 256
GroupKey = tuple[str, str, str, str]
Stream = AsyncIterator[Any]


@lru_cache(maxsize=512)
def parsed(query: str) -> DocumentNode | None:
    """Parse a document once per distinct query text; None when it does not parse."""
    try:
        return parse(query)
    except GraphQLError:
        return None


def shareable_subscription(
    query: str, operation_name: str | None, variables: dict[str, Any]
) -> bool:
    """A subscription without a replay cursor on any root field can share a group."""
    document = parsed(query)
    operation = get_operation_ast(document, operation_name) if document else None
    if (
        not isinstance(operation, OperationDefinitionNode)
        or operation.operation is not OperationType.SUBSCRIPTION
    ):
        return False
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return False
        for argument in selection.arguments or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                if variables.get(value.name.value) is not None:
                    return False
            elif not isinstance(value, NullValueNode):
                return False
    return True


def group_key(
    principal: Principal, query: str, operation_name: str | None, variables: dict[str, Any]
) -> GroupKey:
    document = parsed(query)
    operation = get_operation_ast(document, operation_name) if document else None
    fields = frozenset(
        selection.name.value
        for selection in (operation.selection_set.selections if operation else ())
        if isinstance(selection, FieldNode)
    )
    audience = audience_key(principal, fields)
    return audience, query, operation_name or "", json.dumps(variables, sort_keys=True, default=str)


@dataclass(eq=False)
class Member:
    """One socket's subscription in a group: a bounded outbox drained by its own writer."""

    operation_id: str
    send_text: Callable[[str], Awaitable[None]]
    outbox: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(OUTBOX_SIZE))
    overflowed: bool = False

    def __post_init__(self) -> None:
        self.prefix = f'{{"id":{json.dumps(self.operation_id)},"type":"next","payload":'

    def offer(self, payload: str) -> None:
        if self.overflowed:
            return
        try:
            self.outbox.put_nowait(f"{self.prefix}{payload}}}")
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self.outbox.put_nowait(None)

    def finish(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.outbox.put_nowait(None)

    async def drain(self) -> bool:
        """Send until the group ends; False when this member fell too far behind."""
        while (frame := await self.outbox.get()) is not None:
            await self.send_text(frame)
        return not self.overflowed


@dataclass(eq=False)
class Group:
    key: GroupKey
    members: set[Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    error: str | None = None


class Groups:
    """Live subscription groups of one hub process."""

    def __init__(self, serialise: Callable[[Any], str]) -> None:
        self.serialise = serialise
        self._groups: dict[GroupKey, Group] = {}

    async def run(
        self, key: GroupKey, member: Member, open_stream: Callable[[], Awaitable[Stream]]
    ) -> str | None:
        """Serve a member until its group ends or it leaves; return an error payload, if any."""
        group = self._groups.get(key)
        if group is None or group.task is None or group.task.done():
            group = self._groups[key] = Group(key)
            group.task = asyncio.create_task(self._lead(group, open_stream))
        group.members.add(member)
        try:
            if not await member.drain():
                return (
                    "the subscriber fell too far behind the live events; resubscribe with `after`"
                )
            return group.error
        finally:
            group.members.discard(member)
            if not group.members and self._groups.get(key) is group:
                del self._groups[key]
                if group.task is not None:
                    group.task.cancel()

    async def _lead(self, group: Group, open_stream: Callable[[], Awaitable[Stream]]) -> None:
        try:
            stream = await open_stream()
            async for result in stream:
                if isinstance(result, PreExecutionError):
                    group.error = json.dumps([error.formatted for error in result.errors or ()])
                    return
                payload = self.serialise(result)
                for member in list(group.members):
                    member.offer(payload)
        except HubError as error:
            extensions = {"code": error.code, **({"field": error.field} if error.field else {})}
            group.error = json.dumps([{"message": error.message, "extensions": extensions}])
        finally:
            for member in list(group.members):
                member.finish()
