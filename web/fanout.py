"""Groups of live subscriptions that share one execution stream.

Live subscriptions of one audience with the same document and variables see exactly the
same events the same way, so one stream per group executes each event once and every member
only frames and sends the shared JSON. A subscription with a replay cursor (given in a
variable) replays alone, its history being its own, then joins the group of its document
without the cursor: it holds what the group delivers meanwhile and, once its replay read up
to the newest event, gets what it held after that one (Groups.run).

Events of user-scoped fields (schema.fanout.USER_SCOPED_FIELDS) go to users: the group's
stream takes the events of all its members' users, and each result goes only to the
members whose user the event is for. A socket joins such a group only once the field's own
checks passed for its user (an admission stream that runs them, then waits).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import ExecutionResult as GraphQLResult
from graphql import (
    FieldNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_operation_ast,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from hub.errors import HubError
from hub.events import SubscriberTooSlow
from hub.roles import Principal
from schema.errors import as_error, hub_error, internal_error, new_request_id
from schema.fanout import RECIPIENTS, USER_SCOPED_FIELDS, SharedStream, audience_key, parsed

GroupKey = tuple[str, str, str, str]
Stream = AsyncIterator[Any]
OpenStream = Callable[[SharedStream], Awaitable[Stream]]
# A member's own replay: its results, and (once they ended) the id of the last event read.
Replayed = tuple[Stream, Callable[[], int]]
# How a member's subscription ends early: a graphql-transport-ws message type and payload.
Ending = tuple[Literal["next", "error"], str]
logger = logging.getLogger("channelhub.ws")
# Results a member may hold while it replays before it is cut off to resubscribe.
MAX_HELD = 1000
BEHIND = "the subscriber fell too far behind the live events; resubscribe with `after`"
Result = ExecutionResult | GraphQLResult


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


def joining_variables(
    query: str, operation_name: str | None, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """For a subscription that could share a group but for the replay cursor it was given in
    a variable: its variables without the cursor (the group it joins once it caught up)."""
    document = parsed(query)
    operation = get_operation_ast(document, operation_name) if document else None
    if not isinstance(operation, OperationDefinitionNode):
        return None
    cursors = {
        argument.value.name.value
        for selection in operation.selection_set.selections
        if isinstance(selection, FieldNode)
        for argument in selection.arguments or ()
        if argument.name.value == "after" and isinstance(argument.value, VariableNode)
    }
    if not any(variables.get(name) is not None for name in cursors):
        return None
    live = {**variables, **dict.fromkeys(cursors)}
    return live if shareable_subscription(query, operation_name, live) else None


def root_fields(query: str, operation_name: str | None) -> frozenset[str]:
    document = parsed(query)
    operation = get_operation_ast(document, operation_name) if document else None
    return frozenset(
        selection.name.value
        for selection in (operation.selection_set.selections if operation else ())
        if isinstance(selection, FieldNode)
    )


def user_scoped(query: str, operation_name: str | None) -> bool:
    """Whether the subscription's events go to users (and each socket needs admission)."""
    return bool(root_fields(query, operation_name) & USER_SCOPED_FIELDS)


def group_key(
    principal: Principal,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any],
    *,
    alike_for_every_recipient: bool = False,
) -> GroupKey:
    """Sockets that may share a stream: one audience (or every recipient alike), one
    document, the same variables."""
    audience = RECIPIENTS if alike_for_every_recipient else audience_key(principal)
    return audience, query, operation_name or "", json.dumps(variables, sort_keys=True, default=str)


@dataclass(eq=False)
class Member:
    """One socket's subscription in a group: frames go straight into the socket's outbox."""

    operation_id: str
    # Queue a frame on the socket; False once its outbox is full (the socket is then cut off).
    put: Callable[[str], bool]
    user_id: str = ""
    # Queue a frame at the pace the client reads (a replay: results the member has alone).
    put_paced: Callable[[str], Awaitable[None]] | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    # Cut off for holding too much while it replayed.
    behind: bool = False
    # While the member replays alone: the group's results it will be sent once it caught up,
    # with the id of the event behind each.
    held: list[tuple[int, str]] | None = None
    # The last event the member replayed alone: the group may deliver it (and ones before)
    # after the replay read it from the log, and it is not sent twice.
    replayed_to: int = 0

    def __post_init__(self) -> None:
        self.prefix = f'{{"id":{json.dumps(self.operation_id)},"type":"next","payload":'

    def offer(self, payload: str, event_id: int = 0) -> None:
        if event_id and event_id <= self.replayed_to:
            return
        if self.held is None:
            self.send(payload)
        elif len(self.held) < MAX_HELD:
            self.held.append((event_id, payload))
        else:  # the replay takes too long: the client resubscribes from its cursor
            self.held = None
            self.behind = True
            self.ended.set()

    def send(self, payload: str) -> None:
        if not self.ended.is_set() and not self.put(f"{self.prefix}{payload}}}"):
            self.ended.set()

    async def send_paced(self, payload: str) -> None:
        frame = f"{self.prefix}{payload}}}"
        if self.put_paced is None:
            self.send(payload)
        elif not self.ended.is_set():
            await self.put_paced(frame)

    def catch_up(self, last_replayed: int) -> None:
        """Send what the group delivered during the replay, after its last event; go live."""
        held, self.held = self.held or [], None
        self.replayed_to = last_replayed
        for event_id, payload in held:
            if not event_id or event_id > last_replayed:
                self.send(payload)

    def finish(self) -> None:
        self.ended.set()


@dataclass(eq=False)
class Group:
    key: GroupKey
    members: set[Member] = field(default_factory=set)
    users: Counter[str] = field(default_factory=Counter)
    shared: SharedStream = field(default_factory=SharedStream)
    task: asyncio.Task[None] | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        self.shared.users = self.users.keys()

    def join(self, member: Member) -> None:
        self.members.add(member)
        self.users[member.user_id] += 1

    def leave(self, member: Member) -> None:
        if member in self.members:
            self.members.discard(member)
            self.users[member.user_id] -= 1
            if self.users[member.user_id] <= 0:
                del self.users[member.user_id]


class SerialisedResults:
    """JSON of recent results, so a result shared by many sockets is serialised once.

    Bounded in characters as well as in results: a few large results must not keep
    hundreds of megabytes alive long after every socket was sent them.
    """

    def __init__(self, size: int = 256, max_chars: int = 8 << 20) -> None:
        self.size = size
        self.max_chars = max_chars
        self._items: OrderedDict[int, tuple[Result, str]] = OrderedDict()
        self._chars = 0

    def json(self, result: Result) -> str:
        cached = self._items.get(id(result))
        if cached is not None and cached[0] is result:
            return cached[1]
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        self._forget(id(result))
        self._items[id(result)] = (result, text)
        self._chars += len(text)
        while len(self._items) > 1 and (
            len(self._items) > self.size or self._chars > self.max_chars
        ):
            self._forget(next(iter(self._items)))
        return text

    def _forget(self, key: int) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._chars -= len(item[1])


class Groups:
    """Live subscription groups of one hub process."""

    def __init__(self, serialise: Callable[[Any], str]) -> None:
        self.serialise = serialise
        self._groups: dict[GroupKey, Group] = {}

    def sizes(self) -> dict[GroupKey, int]:
        """Members per live group (diagnostics and tests)."""
        return {key: len(group.members) for key, group in self._groups.items()}

    async def run(
        self,
        key: GroupKey,
        member: Member,
        open_stream: OpenStream,
        *,
        admit: bool = False,
        replay: Callable[[], Awaitable[Replayed]] | None = None,
    ) -> Ending | None:
        """Serve a member until its group ends or it leaves; how it ended early, if it did.

        With `admit`, the member first runs the field's checks as its own user. With
        `replay`, it joins the group holding what the group delivers, replays alone from its
        cursor once the group reads live events, then gets what it held after the last
        event it replayed, and goes on live: nothing lost, nothing twice.
        """
        admission: asyncio.Task[Ending] | None = None
        if admit and replay is None:
            admission, refusal = await self._admit(open_stream)
            if refusal is not None:
                return refusal
        group = self._groups.get(key)
        if group is None or group.task is None or group.task.done():
            group = self._groups[key] = Group(key)
            group.task = asyncio.create_task(self._lead(group, open_stream))
        if replay is not None:
            member.held = []
        group.join(member)
        try:
            if replay is not None:
                ending, finished = await self._replay(group, member, replay)
                if finished:
                    return ending
            await member.ended.wait()
            if member.behind:
                return "error", _hub_error(SubscriberTooSlow(BEHIND))
            return ("error", group.error) if group.error else None
        finally:
            if admission is not None:
                admission.cancel()
            group.leave(member)
            if not group.members and self._groups.get(key) is group:
                del self._groups[key]
                if group.task is not None:
                    group.task.cancel()

    async def _replay(
        self, group: Group, member: Member, replay: Callable[[], Awaitable[Replayed]]
    ) -> tuple[Ending | None, bool]:
        """Replay a joining member alone: (how it ended, whether it ended)."""
        assert group.task is not None
        live = asyncio.create_task(group.shared.subscribed.wait())
        try:
            await asyncio.wait({live, group.task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            live.cancel()
        # A group that ended before reading live events (its arguments were refused, say):
        # the replay still runs, alone, so the member gets its own answer to them.
        joined = group.shared.subscribed.is_set()
        if not joined:
            member.ended.clear()  # the group finished it; its own replay still answers
        try:
            results, last_replayed = await replay()
            async for result in results:
                if isinstance(result, PreExecutionError):
                    return ("error", json.dumps([e.formatted for e in result.errors or ()])), True
                await member.send_paced(self.serialise(result))
                if result.data is None and result.errors:  # the field refused: it ended
                    return None, True
        except HubError as error:
            return ("next", json.dumps({"data": None, "errors": [hub_error(error)]})), True
        except Exception as error:
            return ("error", _unexpected(error, "a subscription replay failed")), True
        if not joined:
            return (("error", group.error) if group.error else None), True
        member.catch_up(last_replayed())
        return None, False

    async def _admit(
        self, open_stream: OpenStream
    ) -> tuple[asyncio.Task[Ending] | None, Ending | None]:
        """Run the field's checks for a joining socket: (its waiting stream, or the refusal)."""
        admitted = asyncio.Event()
        checks = asyncio.create_task(self._refusal(open_stream(SharedStream(admitted=admitted))))
        waiter = asyncio.create_task(admitted.wait())
        try:
            await asyncio.wait({checks, waiter}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            checks.cancel()
            raise
        finally:
            waiter.cancel()
        if admitted.is_set() and not checks.done():
            return checks, None
        try:
            return None, await checks
        except Exception as error:
            return None, ("error", _unexpected(error, "a subscription admission failed"))

    async def _refusal(self, opening: Awaitable[Stream]) -> Ending:
        """An admission stream yields only to refuse the socket: that refusal."""
        try:
            async for result in await opening:
                if isinstance(result, PreExecutionError):
                    return "error", json.dumps([error.formatted for error in result.errors or ()])
                if getattr(result, "errors", None):
                    return "next", self.serialise(result)
                return "error", _internal("an admission stream yielded instead of waiting")
        except HubError as error:
            return "error", _hub_error(error)
        return "error", _internal("an admission stream ended without refusing")

    async def _lead(self, group: Group, open_stream: OpenStream) -> None:
        try:
            stream = await open_stream(group.shared)
            async for result in stream:
                if isinstance(result, PreExecutionError):
                    group.error = json.dumps([error.formatted for error in result.errors or ()])
                    return
                payload = self.serialise(result)
                recipients = group.shared.recipients
                if not recipients and group.key[0] == RECIPIENTS:
                    # A group across organizations hands out recipient events only.
                    logger.error("an event without recipients reached a recipients group")
                    continue
                event_id = group.shared.event_id
                for member in list(group.members):
                    if not recipients or member.user_id in recipients:
                        member.offer(payload, event_id)
        except HubError as error:
            group.error = _hub_error(error)
        except Exception as error:  # members get an error, not a silent `complete`
            group.error = _unexpected(error, "a shared subscription stream failed")
        finally:
            for member in list(group.members):
                member.finish()


def _hub_error(error: HubError) -> str:
    return json.dumps([hub_error(error)])


def _unexpected(error: Exception, what: str) -> str:
    """The errors of a stream that failed: UNAVAILABLE in a database outage, else logged."""
    return json.dumps([as_error(error, request_id=new_request_id(), what=what)])


def _internal(what: str) -> str:
    """Log a failure that raised nothing under a new request id and give its masked error."""
    request_id = new_request_id()
    logger.error("%s (request %s)", what, request_id)
    return json.dumps([internal_error(request_id)])
