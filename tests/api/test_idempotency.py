"""Idempotency-Key over HTTP, on PostgreSQL and the embedded SQLite: a retried request gets
the first answer without running again, also when the retries race; a key reused for another
request, or malformed, is refused; keys belong to their caller and last a day."""

from __future__ import annotations

import asyncio

from hub.roles import Role
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
    anonymous = await factory.post(
        'mutation { login(email: "a@b.c", password: "x") { token } }',
        headers={"idempotency-key": "k"},
    )
    assert anonymous.status_code == 401
    assert await _leads(factory) == 0
