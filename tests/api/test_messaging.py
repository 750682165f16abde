"""Messaging over GraphQL, with attachments in the real SeaweedFS S3: the policy matrix,
participant-only visibility, idempotent sends, receipts and unread counts, edits and
tombstones, mentions, and live message events over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from hub import files
from hub.clock import ManualClock
from hub.partners import PartnerStatus, PartnerType
from hub.partners import service as partner_service
from hub.roles import Role
from hub.settings import Settings, load_settings
from storage.models import Event, EventRecipient
from tests.api.test_query_count import counted
from tests.conftest import data_of, hub_env, until
from tests.factories import Actor, Factory, errors_of
from tests.services import service_env
from tests.wsclient import graphql_socket

START = """mutation($input: ConversationInput!) {
  startConversation(input: $input) { id subject participants { userId name organizationName } }
}"""
SEND = """mutation($c: ID!, $body: String!, $cid: String) {
  sendMessage(conversationId: $c, body: $body, clientMessageId: $cid) { id seq body mentions }
}"""
CONVERSATION = """query($id: ID!) { conversation(id: $id) {
  subject unreadCount messages { totalCount edges { node { seq kind body authorName deletedAt } } }
} }"""
EVENTS = """subscription($c: ID, $after: String) {
  messageEvents(conversationId: $c, after: $after) {
    cursor type conversationId userId seq message { body } } }"""
PDF = b"%PDF-1.7\n" + b"co-selling plan " * 400


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Attachments go to the SeaweedFS S3 server started by the test services."""
    return load_settings(
        hub_env(
            var_dir=str(tmp_path / "var"),
            s3_bucket="messaging-test",
            s3_endpoint_url=service_env("S3_ENDPOINT"),
            s3_access_key=service_env("S3_ACCESS_KEY"),
            s3_secret_key=service_env("S3_SECRET_KEY"),
        )
    )


@pytest.fixture
async def people(factory: Factory) -> dict[str, Any]:
    distributor = await factory.partner("Dist Co", type=PartnerType.DISTRIBUTOR)
    reseller = await factory.partner("Resell Co", parent_id=distributor.id)
    other = await factory.partner("Other Co")
    dormant = await factory.partner("Dormant Co")
    vendor = await factory.vendor_admin()
    dormant_user = await factory.user(dormant.id, Role.PARTNER_USER)
    await partner_service.change_status(
        factory.hub,
        principal=vendor.principal,
        partner_id=dormant.id,
        status=PartnerStatus.SUSPENDED,
        reason="overdue",
    )
    return {
        "vendor": vendor,
        "colleague_of_vendor": await factory.vendor_user(Role.CHANNEL_MANAGER),
        "distributor": await factory.user(distributor.id, Role.PARTNER_USER),
        "reseller": await factory.user(reseller.id, Role.PARTNER_USER),
        "reseller_colleague": await factory.user(reseller.id, Role.PARTNER_USER),
        "other": await factory.user(other.id, Role.PARTNER_USER),
        "other_org": other.id,
        "dormant": dormant_user,
    }


async def start(factory: Factory, actor: Actor, **input: Any) -> dict[str, Any]:
    body = await factory.gql(START, {"input": {"subject": "Q3 plan", **input}}, actor=actor)
    return body


def user(actor: Actor) -> str:
    return actor.principal.user_id


async def test_who_may_talk_to_whom(factory: Factory, people: dict[str, Any]) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    cases = {
        "vendor -> any partner": await start(factory, vendor, userIds=[user(people["other"])]),
        "partner -> vendor": await start(factory, reseller, userIds=[user(vendor)]),
        "partner -> its distributor": await start(
            factory, reseller, userIds=[user(people["distributor"])]
        ),
        "distributor -> its reseller": await start(
            factory, people["distributor"], userIds=[user(reseller)]
        ),
        "partner -> colleague": await start(
            factory, reseller, userIds=[user(people["reseller_colleague"])]
        ),
        "partner -> unrelated partner": await start(
            factory, reseller, userIds=[user(people["other"])]
        ),
        "partner -> unrelated organization": await start(
            factory, reseller, organizationIds=[people["other_org"]]
        ),
        "vendor -> suspended partner": await start(
            factory, vendor, userIds=[user(people["dormant"])]
        ),
    }
    allowed = data_of(
        await factory.gql(
            "mutation { updateMessagingSettings(partnerToPartner: true) { partnerToPartner } }",
            actor=vendor,
        )
    )
    after_policy = await start(factory, reseller, userIds=[user(people["other"])])
    by_partner = await factory.gql(
        "mutation { updateMessagingSettings(partnerToPartner: false) { partnerToPartner } }",
        actor=reseller,
    )

    outcome = {name: errors_of(body) or "ok" for name, body in cases.items()}
    assert outcome == {
        "vendor -> any partner": "ok",
        "partner -> vendor": "ok",
        "partner -> its distributor": "ok",
        "distributor -> its reseller": "ok",
        "partner -> colleague": "ok",
        "partner -> unrelated partner": [("NOT_FOUND", "input.userIds[0]")],
        "partner -> unrelated organization": [("NOT_FOUND", "input.organizationIds[0]")],
        "vendor -> suspended partner": [("NOT_FOUND", "input.userIds[0]")],
    }
    assert allowed["updateMessagingSettings"]["partnerToPartner"] is True
    assert errors_of(after_policy) == []
    assert errors_of(by_partner) == [("FORBIDDEN", None)]


async def test_only_participants_see_a_conversation(
    factory: Factory, people: dict[str, Any]
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, vendor, userIds=[user(reseller)]))["startConversation"]
    data_of(await factory.gql(SEND, {"c": started["id"], "body": "Hello"}, actor=vendor))
    listing = "{ conversations { totalCount edges { node { subject unreadCount } } } }"

    seen = {
        name: await factory.gql(CONVERSATION, {"id": started["id"]}, actor=people[name])
        for name in ("reseller", "reseller_colleague", "colleague_of_vendor", "other")
    }
    listed = {
        name: data_of(await factory.gql(listing, actor=people[name]))["conversations"]
        for name in ("reseller", "reseller_colleague", "colleague_of_vendor")
    }
    send_as_outsider = await factory.gql(
        SEND, {"c": started["id"], "body": "let me in"}, actor=people["reseller_colleague"]
    )

    assert sorted(p["name"] for p in started["participants"]) == sorted(
        [vendor.user.name, reseller.user.name]
    )
    assert data_of(seen["reseller"])["conversation"]["messages"]["totalCount"] == 1
    for name in ("reseller_colleague", "colleague_of_vendor", "other"):
        assert errors_of(seen[name]) == [("NOT_FOUND", "id")], name
    assert listed["reseller"]["edges"] == [{"node": {"subject": "Q3 plan", "unreadCount": 1}}]
    assert listed["reseller_colleague"]["totalCount"] == 0
    assert listed["colleague_of_vendor"]["totalCount"] == 0
    assert errors_of(send_as_outsider) == [("NOT_FOUND", "conversationId")]


async def test_a_retried_send_never_makes_a_second_message(
    factory: Factory, people: dict[str, Any]
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, reseller, userIds=[user(vendor)]))["startConversation"]
    variables = {"c": started["id"], "body": "Order 42 is late", "cid": "phone-7f3a"}

    concurrent = await asyncio.gather(
        *(factory.gql(SEND, variables, actor=reseller) for _ in range(8))
    )
    retried = data_of(await factory.gql(SEND, variables, actor=reseller))["sendMessage"]
    other_key = data_of(
        await factory.gql(SEND, {**variables, "cid": "phone-7f3b"}, actor=reseller)
    )["sendMessage"]
    same_key_other_author = data_of(await factory.gql(SEND, variables, actor=vendor))
    bad_key = await factory.gql(SEND, {**variables, "cid": " "}, actor=reseller)
    history = data_of(await factory.gql(CONVERSATION, {"id": started["id"]}, actor=vendor))

    ids = {data_of(body)["sendMessage"]["id"] for body in concurrent}
    assert len(ids) == 1 and retried["id"] in ids
    assert other_key["seq"] == 2
    assert same_key_other_author["sendMessage"]["seq"] == 3
    assert errors_of(bad_key) == [("BAD_USER_INPUT", "clientMessageId")]
    assert history["conversation"]["messages"]["totalCount"] == 3


async def test_a_plain_send_holds_the_conversation_for_one_statement_on_postgresql(
    app: Starlette, factory: Factory, people: dict[str, Any]
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, reseller, userIds=[user(vendor)]))["startConversation"]

    with counted(app) as statements:
        sent = data_of(
            await factory.gql(SEND, {"c": started["id"], "body": "hi", "cid": "a"}, actor=reseller)
        )["sendMessage"]
    async with factory.hub.db() as session:
        logged = (
            await session.execute(
                select(Event.payload, EventRecipient.user_id)
                .join(EventRecipient, EventRecipient.event_id == Event.id)
                .where(Event.type == "MESSAGE_SENT", Event.payload["seq"].as_integer() == 1)
            )
        ).all()
    mentioned = data_of(
        await factory.gql(
            SEND,
            {"c": started["id"], "body": f"<@{user(vendor)}> look", "cid": "b"},
            actor=reseller,
        )
    )["sendMessage"]

    writes = [sql for sql in statements if "UPDATE conversations" in sql]
    # Numbering, the message, the read mark and the event: one statement, no transaction.
    assert len(writes) == 1 and "INSERT INTO events" in writes[0]
    assert not [sql for sql in statements if sql not in writes and "INSERT" in sql]
    assert sent["seq"] == 1
    assert sorted(recipient for _, recipient in logged) == sorted([user(vendor), user(reseller)])
    assert logged[0][0] == {
        "conversationId": started["id"],
        "messageId": sent["id"],
        "userId": user(reseller),
        "seq": 1,
    }
    assert (mentioned["seq"], mentioned["mentions"]) == (2, [user(vendor)])


async def test_receipts_unread_counts_edits_tombstones_and_mentions(
    factory: Factory, people: dict[str, Any], clock: ManualClock
) -> None:
    vendor, reseller, distributor = people["vendor"], people["reseller"], people["distributor"]
    started = data_of(await start(factory, reseller, userIds=[user(vendor)]))["startConversation"]
    conversation = started["id"]
    sent = [
        data_of(await factory.gql(SEND, {"c": conversation, "body": f"m{n}"}, actor=reseller))[
            "sendMessage"
        ]
        for n in range(3)
    ]
    unread = "query($id: ID!) { conversation(id: $id) { unreadCount } }"
    read = """mutation($c: ID!, $m: ID!) { markRead(conversationId: $c, upToMessageId: $m) {
      readSeq } }"""

    before = data_of(await factory.gql(unread, {"id": conversation}, actor=vendor))
    up_to_second = data_of(
        await factory.gql(read, {"c": conversation, "m": sent[1]["id"]}, actor=vendor)
    )
    backwards = data_of(
        await factory.gql(read, {"c": conversation, "m": sent[0]["id"]}, actor=vendor)
    )
    after = data_of(await factory.gql(unread, {"id": conversation}, actor=vendor))
    own = data_of(await factory.gql(unread, {"id": conversation}, actor=reseller))
    edit = (
        "mutation($m: ID!, $b: String!) { editMessage(messageId: $m, body: $b) { body editedAt } }"
    )
    edited = data_of(
        await factory.gql(edit, {"m": sent[2]["id"], "b": "m2, fixed"}, actor=reseller)
    )
    not_author = await factory.gql(edit, {"m": sent[2]["id"], "b": "mine now"}, actor=vendor)
    clock.advance(minutes=16)
    reseller, vendor = factory.fresh(reseller), factory.fresh(vendor)
    too_late = await factory.gql(edit, {"m": sent[2]["id"], "b": "again"}, actor=reseller)
    deleted = data_of(
        await factory.gql(
            "mutation($m: ID!) { deleteMessage(messageId: $m) { body deletedAt } }",
            {"m": sent[0]["id"]},
            actor=reseller,
        )
    )
    add = """mutation($c: ID!, $u: [ID!]) { addConversationParticipants(conversationId: $c,
      userIds: $u) { userId } }"""
    not_starter = await factory.gql(
        add, {"c": conversation, "u": [user(distributor)]}, actor=vendor
    )
    added = data_of(
        await factory.gql(add, {"c": conversation, "u": [user(distributor)]}, actor=reseller)
    )
    mention = data_of(
        await factory.gql(
            SEND,
            {"c": conversation, "body": f"<@{user(distributor)}> can you ship? <@{'0' * 32}>"},
            actor=reseller,
        )
    )["sendMessage"]
    history = data_of(await factory.gql(CONVERSATION, {"id": conversation}, actor=distributor))

    assert before["conversation"]["unreadCount"] == 3
    assert up_to_second["markRead"]["readSeq"] == 2
    assert backwards["markRead"]["readSeq"] == 2
    assert after["conversation"]["unreadCount"] == 1
    assert own["conversation"]["unreadCount"] == 0
    assert edited["editMessage"]["body"] == "m2, fixed" and edited["editMessage"]["editedAt"]
    assert errors_of(not_author) == [("FORBIDDEN", None)]
    assert errors_of(too_late) == [("BAD_USER_INPUT", "messageId")]
    assert deleted["deleteMessage"]["body"] is None and deleted["deleteMessage"]["deletedAt"]
    # Vendor staff may add people too: the vendor here is a participant.
    assert errors_of(not_starter) == []
    assert len(added["addConversationParticipants"]) == 3
    assert mention["mentions"] == [user(distributor)]
    nodes = [edge["node"] for edge in history["conversation"]["messages"]["edges"]]
    assert [(node["seq"], node["kind"]) for node in nodes] == [
        (5, "USER"),
        (4, "SYSTEM"),
        (3, "USER"),
        (2, "USER"),
        (1, "USER"),
    ]
    assert nodes[1]["body"] == f"added {distributor.user.name}"
    assert nodes[4]["body"] is None and nodes[4]["deletedAt"]
    seen = {
        name: [
            event.type
            async for event in factory.hub.events.history(actor.principal, {"message"}, after=0)
        ]
        for name, actor in (("distributor", distributor), ("vendor", vendor))
    }
    assert seen["distributor"] == ["PARTICIPANT_ADDED", "MESSAGE_SENT", "MENTIONED"]
    assert "MENTIONED" not in seen["vendor"]


async def send_plan(factory: Factory, sender: Actor, conversation_id: str) -> dict[str, Any]:
    """Send plan.pdf as a multipart upload; the attachment as sendMessage answers it."""
    operations = {
        "query": """mutation($c: ID!, $files: [Upload!]) {
          sendMessage(conversationId: $c, body: "Deck attached", attachments: $files) {
            attachments { id fileName contentType size downloadUrl } } }""",
        "variables": {"c": conversation_id, "files": [None]},
    }
    response = await factory.client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.files.0"]}),
        },
        files={"0": ("plan.pdf", PDF, "application/octet-stream")},
        headers={"authorization": f"Bearer {sender.token}", "apollo-require-preflight": "1"},
    )
    [attachment] = data_of(response.json())["sendMessage"]["attachments"]
    return attachment  # type: ignore[no-any-return]


async def test_attachments_go_to_s3_and_only_participants_download_them(
    factory: Factory, people: dict[str, Any]
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, vendor, userIds=[user(reseller)]))["startConversation"]
    attachment = await send_plan(factory, vendor, started["id"])
    url_query = """query($id: ID!) { conversation(id: $id) { messages { edges { node {
      attachments { downloadUrl } } } } } }"""
    as_reseller = data_of(await factory.gql(url_query, {"id": started["id"]}, actor=reseller))
    as_outsider = await factory.gql(url_query, {"id": started["id"]}, actor=people["other"])
    [[reseller_url]] = [
        [a["downloadUrl"] for a in edge["node"]["attachments"]]
        for edge in as_reseller["conversation"]["messages"]["edges"]
    ]
    async with httpx.AsyncClient() as http:
        fetched = await http.get(reseller_url)

    assert (attachment["fileName"], attachment["contentType"], attachment["size"]) == (
        "plan.pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment["downloadUrl"].startswith(service_env("S3_ENDPOINT"))
    assert fetched.status_code == 200 and fetched.content == PDF
    assert errors_of(as_outsider) == [("NOT_FOUND", "id")]


async def test_a_sent_attachment_outlives_garbage_collection(
    factory: Factory, people: dict[str, Any], clock: ManualClock
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, vendor, userIds=[user(reseller)]))["startConversation"]
    await send_plan(factory, vendor, started["id"])
    url_query = """query($id: ID!) { conversation(id: $id) { messages { edges { node {
      attachments { downloadUrl } } } } } }"""
    answer = data_of(await factory.gql(url_query, {"id": started["id"]}, actor=reseller))
    [edge] = answer["conversation"]["messages"]["edges"]
    clock.advance(days=3650)  # past the object's real modification time

    collected = await files.collect_garbage(factory.hub, grace=timedelta(hours=24))
    async with httpx.AsyncClient() as http:
        fetched = await http.get(edge["node"]["attachments"][0]["downloadUrl"])

    assert collected.incomplete == 0
    assert fetched.status_code == 200 and fetched.content == PDF


async def test_live_events_reach_every_socket_of_a_participant_and_no_one_else(
    factory: Factory, people: dict[str, Any], ws_url: str
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = data_of(await start(factory, vendor, userIds=[user(reseller)]))["startConversation"]
    conversation = started["id"]

    async with (
        graphql_socket(ws_url, reseller.token) as tab_one,
        graphql_socket(ws_url, reseller.token) as tab_two,
        graphql_socket(ws_url, reseller.token) as phone,
        graphql_socket(ws_url, people["reseller_colleague"].token) as colleague,
        graphql_socket(ws_url, people["colleague_of_vendor"].token) as vendor_colleague,
    ):
        for socket in (tab_one, tab_two, phone, colleague, vendor_colleague):
            await socket.subscribe(EVENTS)
        await phone.subscribe(EVENTS, {"c": conversation}, id="2")
        await asyncio.sleep(0.3)
        await factory.gql(
            "mutation($c: ID!) { typing(conversationId: $c) }", {"c": conversation}, actor=vendor
        )
        sent = data_of(
            await factory.gql(SEND, {"c": conversation, "body": "Shipping today"}, actor=vendor)
        )["sendMessage"]

        received = {
            name: [(await socket.next())["data"]["messageEvents"] for _ in range(2)]
            for name, socket in (("one", tab_one), ("two", tab_two))
        }
        on_phone: dict[str, list[dict[str, Any]]] = {"1": [], "2": []}
        for _ in range(4):
            message = json.loads(await asyncio.wait_for(phone.ws.recv(), 5))
            on_phone[message["id"]].append(message["payload"]["data"]["messageEvents"])
        received["phone"] = on_phone["1"]
        on_phone_filtered = on_phone["2"]
        assert await colleague.silent()
        assert await vendor_colleague.silent()

    for events in received.values():
        assert [(event["type"], event["cursor"] is None) for event in events] == [
            ("TYPING", True),
            ("MESSAGE_SENT", False),
        ]
        assert events[1]["message"] == {"body": "Shipping today"}
        assert events[1]["seq"] == sent["seq"]
    assert [event["type"] for event in on_phone_filtered] == ["TYPING", "MESSAGE_SENT"]
    # Replay from the start: what was stored, in order, but no typing.
    async with graphql_socket(ws_url, reseller.token) as again:
        await again.subscribe(EVENTS, {"after": "0"})
        replayed = [(await again.next())["data"]["messageEvents"] for _ in range(2)]
        assert await again.silent()
    assert [event["type"] for event in replayed] == ["PARTICIPANT_ADDED", "MESSAGE_SENT"]
    async with graphql_socket(ws_url, people["reseller_colleague"].token) as outsider:
        await outsider.subscribe(EVENTS, {"after": "0"})
        assert await outsider.silent()
        await outsider.subscribe(EVENTS, {"c": conversation}, id="9")
        refused = await outsider.next()
    assert refused["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "conversationId"}


async def test_conversation_list_statements_do_not_grow_with_page_size(
    factory: Factory, people: dict[str, Any], app: Starlette, clock: ManualClock
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    for index in range(12):
        clock.advance(minutes=1)
        started = data_of(
            await start(factory, vendor, subject=f"Topic {index}", userIds=[user(reseller)])
        )["startConversation"]
        await factory.gql(
            SEND, {"c": started["id"], "body": f"<@{user(reseller)}> note {index}"}, actor=vendor
        )
    page = """query($first: Int!) { conversations(first: $first) { totalCount edges { node {
      subject unreadCount participants { name organizationName }
      lastMessage { body authorName mentions attachments { fileName } } } } } }"""

    with counted(app) as small:
        small_page = data_of(await factory.gql(page, {"first": 2}, actor=reseller))
    with counted(app) as large:
        large_page = data_of(await factory.gql(page, {"first": 12}, actor=reseller))

    nodes = [edge["node"] for edge in large_page["conversations"]["edges"]]
    assert len(small_page["conversations"]["edges"]) == 2 and len(nodes) == 12
    assert nodes[0]["subject"] == "Topic 11" and nodes[0]["unreadCount"] == 1
    assert nodes[0]["lastMessage"]["mentions"] == [user(reseller)]
    # Names are loaded at two depths (participants, authors), so they batch in one or two
    # rounds; either way the count stays flat where a per-conversation query would add 10.
    assert len(large) <= len(small) + 1 and len(large) <= 14, large


async def test_conversations_about_a_record_and_unread_filter(
    factory: Factory, people: dict[str, Any]
) -> None:
    vendor, reseller, other = people["vendor"], people["reseller"], people["other"]
    from hub.knowledge import practices
    from hub.knowledge.rules import PracticeInput

    practice = await practices.submit(
        factory.hub,
        principal=reseller.principal,
        data=PracticeInput(title="Bundles", problem="p", approach="a", outcome="o"),
    )
    about = {"contextType": "BEST_PRACTICE", "contextId": practice.id}
    on_record = data_of(await start(factory, reseller, userIds=[user(vendor)], **about))
    unseen_record = await start(factory, other, userIds=[user(vendor)], **about)
    half_context = await start(factory, reseller, userIds=[user(vendor)], contextId=practice.id)
    quiet = data_of(await start(factory, vendor, subject="Quiet", userIds=[user(reseller)]))
    data_of(
        await factory.gql(
            SEND,
            {"c": on_record["startConversation"]["id"], "body": "Can we feature this?"},
            actor=vendor,
        )
    )
    filtered = """query($f: ConversationFilter) { conversations(filter: $f) {
      edges { node { subject contextType contextId } } } }"""

    by_record = data_of(
        await factory.gql(
            filtered,
            {"f": {"contextType": "BEST_PRACTICE", "contextId": practice.id}},
            actor=reseller,
        )
    )
    unread_only = data_of(await factory.gql(filtered, {"f": {"unreadOnly": True}}, actor=reseller))
    typing_outsider = await factory.gql(
        "mutation($c: ID!) { typing(conversationId: $c) }",
        {"c": quiet["startConversation"]["id"]},
        actor=other,
    )

    assert errors_of(unseen_record) == [("NOT_FOUND", "input.contextId")]
    assert errors_of(half_context) == [("BAD_USER_INPUT", "input.contextId")]
    assert [edge["node"] for edge in by_record["conversations"]["edges"]] == [
        {"subject": "Q3 plan", "contextType": "BEST_PRACTICE", "contextId": practice.id}
    ]
    assert [edge["node"]["subject"] for edge in unread_only["conversations"]["edges"]] == [
        "Q3 plan"
    ]
    assert errors_of(typing_outsider) == [("NOT_FOUND", "conversationId")]


WITH_ATTACHMENTS = """subscription($c: ID) { messageEvents(conversationId: $c) {
  type message { body attachments { fileName } } } }"""


async def test_one_stream_serves_every_organization_and_hands_each_event_to_its_recipients(
    factory: Factory, people: dict[str, Any], app: Starlette, ws_url: str
) -> None:
    vendor, reseller, distributor = people["vendor"], people["reseller"], people["distributor"]
    started = await start(factory, vendor, userIds=[user(reseller), user(distributor)])
    conversation = data_of(started)["startConversation"]["id"]
    groups = app.websocket_endpoint.groups  # type: ignore[attr-defined]

    async with (
        graphql_socket(ws_url, vendor.token) as at_vendor,
        graphql_socket(ws_url, reseller.token) as at_reseller,
        graphql_socket(ws_url, distributor.token) as at_distributor,
        graphql_socket(ws_url, people["reseller_colleague"].token) as colleague,
        graphql_socket(ws_url, people["other"].token) as outsider,
    ):
        for socket in (at_vendor, at_reseller, at_distributor):
            await socket.subscribe(EVENTS, {"c": conversation})
        await at_reseller.subscribe(WITH_ATTACHMENTS, {"c": conversation}, id="files")
        await at_distributor.subscribe(WITH_ATTACHMENTS, {"c": conversation}, id="files")
        await colleague.subscribe(EVENTS, {})
        await until(lambda: sum(groups.sizes().values()) == 6)  # every socket admitted
        # Joining a live group runs the field's own checks as the joining user.
        await outsider.subscribe(EVENTS, {"c": conversation})
        refused = await outsider.next()
        assert errors_of(refused) == [("NOT_FOUND", "conversationId")]
        assert json.loads(await outsider.ws.recv()) == {"id": "1", "type": "complete"}
        sizes = groups.sizes()
        # Three organizations, one stream for the selection that shows them all the same;
        # the selection with attachments (entitlements differ) runs once per organization.
        assert sorted(size for key, size in sizes.items() if key[0] == "recipients") == [1, 3]
        assert sorted(size for key, size in sizes.items() if key[0] != "recipients") == [1, 1]

        body = f"<@{user(distributor)}> can you confirm the ship date?"
        await factory.gql(SEND, {"c": conversation, "body": body}, actor=reseller)

        assert [(await at_vendor.next())["data"]["messageEvents"]["type"]] == ["MESSAGE_SENT"]
        assert await at_vendor.silent()
        frames: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for name, socket, count in (
            ("reseller", at_reseller, 2),
            ("distributor", at_distributor, 4),
        ):
            for _ in range(count):
                message = json.loads(await asyncio.wait_for(socket.ws.recv(), 5))
                frames.setdefault(name, []).append(
                    (message["id"], message["payload"]["data"]["messageEvents"])
                )
            assert await socket.silent()
        assert await colleague.silent()
        assert await outsider.silent()

    assert sorted((op, event["type"]) for op, event in frames["reseller"]) == [
        ("1", "MESSAGE_SENT"),
        ("files", "MESSAGE_SENT"),
    ]
    # The mention goes to the mentioned user alone, through the same shared stream.
    assert sorted((op, event["type"]) for op, event in frames["distributor"]) == [
        ("1", "MENTIONED"),
        ("1", "MESSAGE_SENT"),
        ("files", "MENTIONED"),
        ("files", "MESSAGE_SENT"),
    ]
    for _, event in frames["distributor"]:
        assert event["message"]["body"] == body


async def test_sends_number_dedupe_and_mark_read_on_both_databases(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    partner = await factory.partner("Both Co")
    reseller = await factory.user(partner.id, Role.PARTNER_USER)
    started = await start(factory, vendor, userIds=[user(reseller)])
    conversation = data_of(started)["startConversation"]["id"]

    def send(body: str, cid: str) -> Any:
        variables = {"c": conversation, "body": body, "cid": cid}
        return factory.gql(SEND, variables, actor=vendor)

    first = data_of(await send(f"<@{user(reseller)}> hello", "one"))["sendMessage"]
    retried = data_of(await send("a retry", "one"))["sendMessage"]
    second = data_of(await send("and more", "two"))["sendMessage"]

    assert retried == first
    assert (first["seq"], second["seq"], first["mentions"]) == (1, 2, [user(reseller)])
    seen = {
        name: data_of(await factory.gql(CONVERSATION, {"id": conversation}, actor=actor))
        for name, actor in (("vendor", vendor), ("reseller", reseller))
    }
    assert seen["vendor"]["conversation"]["unreadCount"] == 0  # sending marks read
    assert seen["reseller"]["conversation"]["unreadCount"] == 2
    bodies = [
        edge["node"]["body"]
        for edge in seen["reseller"]["conversation"]["messages"]["edges"]
        if edge["node"]["kind"] == "USER"
    ]
    assert bodies == ["and more", f"<@{user(reseller)}> hello"]


async def test_a_shared_stream_outlives_the_socket_that_opened_it(
    factory: Factory, people: dict[str, Any], app: Starlette, ws_url: str
) -> None:
    vendor, reseller = people["vendor"], people["reseller"]
    started = await start(factory, vendor, userIds=[user(reseller)])
    conversation = data_of(started)["startConversation"]["id"]
    groups = app.websocket_endpoint.groups  # type: ignore[attr-defined]

    async with graphql_socket(ws_url, reseller.token) as staying:
        async with graphql_socket(ws_url, vendor.token) as opener:
            await opener.subscribe(EVENTS, {"c": conversation})
            await until(lambda: list(groups.sizes().values()) == [1])
            await staying.subscribe(EVENTS, {"c": conversation})
            await until(lambda: list(groups.sizes().values()) == [2])
        await until(lambda: list(groups.sizes().values()) == [1])
        await factory.gql(SEND, {"c": conversation, "body": "still here?"}, actor=vendor)
        event = (await staying.next())["data"]["messageEvents"]
        assert (event["type"], event["message"]) == ("MESSAGE_SENT", {"body": "still here?"})
    await asyncio.sleep(0.2)
    assert groups.sizes() == {}
