"""Idempotency-Key over HTTP, on PostgreSQL and the embedded SQLite: a retried request gets
the first answer without running again, also when the retries race; a key reused for another
request, or malformed, is refused; keys belong to their caller and last a day."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from graphql import GraphQLObjectType
from sqlalchemy import func, select

from hub import idempotency
from hub.clock import ManualClock
from hub.roles import Role
from hub.settings import load_settings
from resolvers.root import build_schema
from schema.documents import SECRET_ANSWERS, secret_fields
from storage.models import IdempotentRequest
from tests.conftest import hub_env
from tests.factories import Factory

CREATE = """mutation($company: String!) { createLead(input: {customerCompany: $company,
  country: "US", productLine: "NETWORKING"}, route: false) { id customerCompany } }"""
COUNT = "{ leads(first: 1) { totalCount } }"


async def _leads(factory: Factory) -> int:
    vendor = factory.fresh(await factory.vendor_admin())
    body = await factory.gql(COUNT, actor=vendor)
    return int(body["data"]["leads"]["totalCount"])


async def test_a_retry_gets_the_first_answer_and_runs_nothing(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    key = {"idempotency-key": "import-2026-03-02-row-17"}
    first = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    again = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _leads(factory) == 1
    other = await factory.post(CREATE, {"company": "Initech"}, actor=vendor, headers=key)
    assert other.status_code == 400
    error = other.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "Idempotency-Key"}
    fresh = await factory.post(
        CREATE, {"company": "Globex"}, actor=vendor, headers={"idempotency-key": "row-18"}
    )
    assert fresh.status_code == 200 and fresh.content != first.content
    assert await _leads(factory) == 2


async def test_racing_retries_run_once(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    key = {"idempotency-key": "raced"}
    answers = await asyncio.gather(
        *(factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key) for _ in range(8))
    )
    ran = [answer for answer in answers if answer.status_code == 200]
    waited = [answer for answer in answers if answer.status_code == 409]
    assert len(ran) + len(waited) == 8 and ran
    assert len({answer.content for answer in ran}) == 1
    for answer in waited:
        assert answer.json()["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await _leads(factory) == 1


async def test_keys_belong_to_their_caller_and_last_a_day(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    manager = await factory.vendor_user(Role.CHANNEL_MANAGER)
    key = {"idempotency-key": "shared-name"}
    mine = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    theirs = await factory.post(CREATE, {"company": "Globex"}, actor=manager, headers=key)
    assert mine.content != theirs.content and await _leads(factory) == 2
    factory.hub.clock.advance(hours=25)  # type: ignore[attr-defined]
    vendor, manager = factory.fresh(vendor), factory.fresh(manager)
    later = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    assert later.status_code == 200 and "idempotent-replayed" not in later.headers
    assert await _leads(factory) == 3


async def test_bad_keys_and_anonymous_callers_are_refused(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    for bad in ("", " ", "x" * 201, "two words", "tab\there"):
        answer = await factory.post(
            CREATE, {"company": "Globex"}, actor=vendor, headers={"idempotency-key": bad}
        )
        assert answer.status_code == 400, bad
        assert answer.json()["errors"][0]["extensions"]["field"] == "Idempotency-Key"
    anonymous = await factory.post(CREATE, {"company": "Globex"}, headers={"idempotency-key": "k"})
    assert anonymous.status_code == 401
    login = await factory.post(
        'mutation { login(email: "a@b.c", password: "x") { token } }',
        headers={"idempotency-key": "k"},
    )
    assert login.status_code == 400
    assert login.json()["errors"][0]["extensions"]["field"] == "Idempotency-Key"
    assert await _leads(factory) == 0


async def test_answers_with_secrets_are_never_kept(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    integration = await factory.vendor_user(Role.INTEGRATION)
    create_key = """mutation($user: ID!) { createApiKey(userId: $user, name: "ERP",
      scopes: [READ]) { secret } }"""
    refused = await factory.post(
        create_key, {"user": integration.user.id}, actor=vendor, headers={"idempotency-key": "k1"}
    )
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "Idempotency-Key"}
    assert "createApiKey answers a secret" in error["message"]
    listed = await factory.gql("{ apiKeys(first: 5) { totalCount } }", actor=vendor)
    assert listed["data"]["apiKeys"]["totalCount"] == 0
    async with factory.hub.read() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0


async def test_a_first_request_that_died_gives_its_key_up_after_a_while(
    factory: Factory, clock: ManualClock
) -> None:
    vendor = await factory.vendor_admin()
    sent = SimpleNamespace(query=CREATE, variables={"company": "Globex"}, operation_name=None)
    # What a process that died mid-request leaves: the key claimed, no answer.
    fingerprint = idempotency.fingerprint_of(sent)
    claim = {"user_id": vendor.user.id, "key": "died", "fingerprint": fingerprint}
    assert await idempotency.begin(factory.hub, **claim) is None
    key = {"idempotency-key": "died"}
    waiting = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    assert waiting.status_code == 409
    clock.advance(minutes=11)
    vendor = factory.fresh(vendor)
    taken = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    again = await factory.post(CREATE, {"company": "Globex"}, actor=vendor, headers=key)
    assert taken.status_code == 200 and "idempotent-replayed" not in taken.headers
    assert again.content == taken.content and again.headers["idempotent-replayed"] == "true"
    assert await _leads(factory) == 1
    clock.advance(hours=25)
    assert await idempotency.purge(factory.hub) == 1
    async with factory.hub.read() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0


def test_every_answer_with_a_secret_is_known() -> None:
    """A new type answering a secret or token must join SECRET_ANSWERS, or its answers
    would be kept for replay."""
    schema = build_schema(load_settings(hub_env()))._schema
    holding = {
        name
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and kind is not schema.mutation_type
        and {"secret", "token", "refreshToken"} & set(kind.fields)
    }
    assert holding == set(SECRET_ANSWERS)
    assert {"createApiKey", "inviteUser", "login"} <= secret_fields(schema)
