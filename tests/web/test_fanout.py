"""Live subscription groups: who may share an execution, and how a slow member is cut off."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from hub.roles import Principal, Role
from hub.settings import Settings
from resolvers.root import build_schema
from schema.context import Context
from schema.fanout import (
    LiveSubscription,
    alike_for_every_recipient,
    group_key,
    shareable_subscription,
    user_scoped,
)
from schema.strawberry_internals import core_schema
from storage.db import DatabaseUnavailable
from web.fanout import Groups, Member

LIVE = "subscription { leadEvents { cursor } }"
WITH_CURSOR = "subscription($after: String) { leadEvents(after: $after) { cursor } }"


@pytest.mark.parametrize(
    ("query", "variables", "shared"),
    [
        (LIVE, {}, True),
        (WITH_CURSOR, {}, True),
        (WITH_CURSOR, {"after": None}, True),
        (WITH_CURSOR, {"after": "42"}, False),
        ('subscription { leadEvents(after: "42") { cursor } }', {}, False),
        ("subscription { leadEvents(after: null) { cursor } }", {}, True),
        ("{ me { email } }", {}, False),
        ("subscription { ...F } fragment F on Subscription { leadEvents { cursor } }", {}, False),
        ("subscription {", {}, False),
    ],
)
def test_only_live_subscriptions_share(
    query: str, variables: dict[str, object], shared: bool
) -> None:
    assert shareable_subscription(query, None, variables) is shared


def test_groups_are_per_audience_document_and_variables() -> None:
    vendor_a = Principal("a", "vendor-org", Role.VENDOR_ADMIN)
    vendor_b = Principal("b", "vendor-org", Role.CHANNEL_MANAGER)
    partner = Principal("c", "partner-1", Role.PARTNER_USER)
    colleague = Principal("d", "partner-1", Role.PARTNER_ADMIN)
    other = Principal("e", "partner-2", Role.PARTNER_USER)

    assert group_key(vendor_a, LIVE, None, {}) == group_key(vendor_b, LIVE, None, {})
    assert group_key(partner, LIVE, None, {}) == group_key(colleague, LIVE, None, {})
    assert group_key(partner, LIVE, None, {}) != group_key(other, LIVE, None, {})
    assert group_key(partner, LIVE, None, {}) != group_key(vendor_a, LIVE, None, {})
    assert group_key(partner, LIVE, None, {"x": 1}) != group_key(partner, LIVE, None, {"x": 2})


@pytest.mark.parametrize(
    ("query", "alike"),
    [
        ("subscription { messageEvents { type seq message { id body authorName } } }", True),
        (
            "subscription { messageEvents { ...E } } "
            "fragment E on MessageEvent { cursor message { ... on Message { bodyHtml } } }",
            True,
        ),
        # Attachments depend on each organization's asset entitlements.
        ("subscription { messageEvents { message { attachments { fileName } } } }", False),
        (
            "subscription { messageEvents { ...E } } "
            "fragment E on MessageEvent { message { attachments { id } } }",
            False,
        ),
        ("subscription { leadEvents { cursor } }", False),
        ("subscription { messageEvents { type } leadEvents { cursor } }", False),
        ("subscription {", False),
    ],
)
def test_only_selections_alike_for_every_organization_share_across_them(
    settings: Settings, query: str, alike: bool
) -> None:
    schema = core_schema(build_schema(settings))
    assert alike_for_every_recipient(schema, query) is alike


def test_user_scoped_groups_span_organizations_only_when_alike() -> None:
    partner = Principal("c", "partner-1", Role.PARTNER_USER)
    other = Principal("e", "partner-2", Role.PARTNER_USER)
    vendor = Principal("a", "vendor-org", Role.VENDOR_ADMIN)
    query = "subscription { messageEvents { type } }"

    keys = {
        group_key(p, query, None, {}, alike_for_every_recipient=True)
        for p in (partner, other, vendor)
    }
    assert len(keys) == 1
    assert group_key(partner, query, None, {}) != group_key(other, query, None, {})
    assert user_scoped(query, None)
    assert not user_scoped(LIVE, None)


def test_a_member_of_a_socket_whose_outbox_is_full_ends() -> None:
    sent: list[str] = []

    def put(text: str) -> bool:
        sent.append(text)
        return len(sent) < 2

    member = Member("op-1", put)
    for n in range(5):
        member.offer(json.dumps({"n": n}))

    assert len(sent) == 2
    assert member.ended.is_set()


def test_a_replaying_member_holds_then_sends_only_what_came_after_its_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    member = Member("op-1", lambda text: sent.append(text) is None)
    member.held = []
    for event_id in (4, 5, 6):
        member.offer(f'{{"n":{event_id}}}', event_id)

    member.catch_up(5)  # the replay read up to event 5
    member.offer('{"n":5}', 5)  # the group delivers 5 late: not twice
    member.offer('{"n":7}', 7)
    crowded = Member("op-2", lambda text: True)
    crowded.held = []
    monkeypatch.setattr("web.fanout.MAX_HELD", 1)
    crowded.offer("{}", 1)
    crowded.offer("{}", 2)

    assert [json.loads(text)["payload"]["n"] for text in sent] == [6, 7]
    assert crowded.behind and crowded.ended.is_set()


def test_a_member_frames_the_shared_payload_with_its_id() -> None:
    sent: list[str] = []

    def put(text: str) -> bool:
        sent.append(text)
        return True

    member = Member('op "7"', put)
    member.offer('{"data":{"x":1}}')

    assert [json.loads(text) for text in sent] == [
        {"id": 'op "7"', "type": "next", "payload": {"data": {"x": 1}}}
    ]
    assert not member.ended.is_set()


@pytest.mark.parametrize(
    ("failure", "extensions"),
    [
        (DatabaseUnavailable("cannot connect"), {"code": "UNAVAILABLE", "retryAfter": 2}),
        (RuntimeError("a bug"), {"code": "INTERNAL_SERVER_ERROR"}),
    ],
)
async def test_members_of_a_stream_that_fails_get_an_error_not_a_completion(
    failure: Exception, extensions: dict[str, object]
) -> None:
    class Failing(LiveSubscription):
        """A subscription whose stream fails when it opens."""

        def __init__(self) -> None:
            self.context = Context(hub=None, principal=Principal("u", "p", Role.PARTNER_USER))  # type: ignore[arg-type]
            self.key = ("a", LIVE, "", "{}")
            self.user_id, self.admit, self.for_recipients = "u", False, False
            self.live_variables, self.replay_variables, self.replayed_to = {}, None, 0

        async def _open(self, *_: object) -> AsyncIterator[object]:
            raise failure

    ending = await asyncio.wait_for(Groups().run(Failing(), Member("op-1", lambda text: True)), 5)

    assert ending is not None and ending[0] == "error"
    errors = json.loads(ending[1])
    # An unexpected failure has the same shape as on HTTP: INTERNAL_SERVER_ERROR with a request id.
    assert [
        {key: value for key, value in error["extensions"].items() if key != "requestId"}
        for error in errors
    ] == [extensions]
    if extensions["code"] == "INTERNAL_SERVER_ERROR":
        assert len(errors[0]["extensions"]["requestId"]) == 16
        assert errors[0]["message"].startswith("Internal server error; quote the request id")
