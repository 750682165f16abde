"""Leads synced by the CRM over the API, on PostgreSQL and the embedded SQLite: upsertLeads by
externalId or customer identity (created, updated, unchanged; left-out fields kept), racing
upserts of one lead make one, a lead with a partner keeps its customer, LEAD_UPDATED reaches
the partner holding it, importLeads over a multipart request answers row by row and a file
imported twice changes nothing, and who may do it."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.partners import TerritoryInput
from hub.roles import Role
from tests.api.test_api_keys import make_key
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.wsclient import graphql_socket

UPSERT = """mutation($items: [LeadUpsertInput!]!, $route: Boolean! = false) {
  upsertLeads(items: $items, route: $route) { index externalId change error { code field message }
    lead { id externalId customerCompany contactName email status version
           estimatedValue { amountMinor currency } partner { name } } } }"""
IMPORT = """mutation($file: Upload!, $route: Boolean! = false) {
  importLeads(file: $file, route: $route) { created updated unchanged rejected offered unassignable
    rows { line change lead { id customerCompany externalId }
           error { code column message } } } }"""
COUNT = "{ leads(first: 1) { totalCount } }"
LEAD = """query($id: ID!) { lead(id: $id) { externalId status version partner { name }
  assignments { partner { name } } } }"""


def crm(external_id: str | None, company: str = "Globex", **fields: Any) -> dict[str, Any]:
    return {
        "customerCompany": company,
        "country": "US",
        "productLine": "NETWORKING",
        **({"externalId": external_id} if external_id is not None else {}),
        **fields,
    }


async def upsert(factory: Factory, actor: Actor, items: list[Any], **extra: Any) -> list[Any]:
    rows: list[Any] = data_of(await factory.gql(UPSERT, {"items": items, **extra}, actor=actor))[
        "upsertLeads"
    ]
    return rows


async def count(factory: Factory, actor: Actor) -> int:
    total: int = data_of(await factory.gql(COUNT, actor=actor))["leads"]["totalCount"]
    return total


async def test_leads_are_upserted_by_external_id_item_by_item(any_factory: Factory) -> None:
    factory = any_factory
    crm_key, _ = await make_key(factory, ["READ", "LEADS"])
    value = {"amountMinor": 500_000, "currency": "EUR"}
    first = await upsert(
        factory,
        crm_key,
        [
            crm("00Q-1", contactName="Ann", estimatedValue=value),
            crm("00Q-2", company="Initech", country="XX"),
            crm("00Q-3", company="Umbrella", email="buyer@umbrella.example"),
        ],
    )
    assert [(row["index"], row["change"]) for row in first] == [
        (0, "CREATED"),
        (1, None),
        (2, "CREATED"),
    ]
    assert first[1]["error"]["code"] == "BAD_USER_INPUT"
    assert first[1]["error"]["field"] == "items.1.country"
    assert first[1]["lead"] is None and first[1]["externalId"] == "00Q-2"
    assert first[0]["lead"]["externalId"] == "00Q-1"
    assert first[0]["lead"]["estimatedValue"] == value

    # The same again changes nothing: no new version, no new lead.
    again = await upsert(factory, crm_key, [crm("00Q-1", contactName="Ann", estimatedValue=value)])
    assert again[0]["change"] == "UNCHANGED"
    assert again[0]["lead"]["id"] == first[0]["lead"]["id"]
    assert again[0]["lead"]["version"] == 1

    # Left out keeps, null clears, a new name of the same customer is kept.
    changed = await upsert(
        factory,
        crm_key,
        [crm("00Q-1", company="GLOBEX Corp."), crm("00Q-3", company="Umbrella", email=None)],
    )
    assert [row["change"] for row in changed] == ["UPDATED", "UPDATED"]
    lead = changed[0]["lead"]
    assert (lead["customerCompany"], lead["contactName"], lead["estimatedValue"]) == (
        "GLOBEX Corp.",
        "Ann",
        value,
    )
    assert lead["version"] == 2
    assert changed[1]["lead"]["email"] is None
    assert await count(factory, crm_key) == 2


async def test_without_an_external_id_the_customer_identity_finds_the_lead(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    made = await upsert(factory, vendor, [crm(None, company="ACME, Inc.", phone="+1 555 0100")])
    same = await upsert(factory, vendor, [crm(None, company="Acme", phone="+1 555 0199")])
    other_line = await upsert(factory, vendor, [crm(None, company="Acme", productLine="SECURITY")])
    other_country = await upsert(factory, vendor, [crm(None, company="Acme", country="CA")])
    assert made[0]["change"] == "CREATED"
    assert (same[0]["change"], same[0]["lead"]["id"]) == ("UPDATED", made[0]["lead"]["id"])
    assert other_line[0]["change"] == "CREATED"
    assert other_country[0]["change"] == "CREATED"
    assert await count(factory, vendor) == 3


async def test_racing_upserts_of_one_lead_make_one(any_factory: Factory) -> None:
    factory = any_factory
    crm_key, _ = await make_key(factory, ["READ", "LEADS"])
    batch = [crm("RACE-1"), crm(None, company="Hooli"), crm("RACE-2", company="Pied Piper")]
    answers = await asyncio.gather(*(upsert(factory, crm_key, batch) for _ in range(6)))
    for index in range(len(batch)):
        rows = [answer[index] for answer in answers]
        assert all(row["error"] is None for row in rows), rows
        assert [row["change"] for row in rows].count("CREATED") == 1
        assert len({row["lead"]["id"] for row in rows}) == 1
    assert await count(factory, crm_key) == 3


async def test_a_lead_with_a_partner_keeps_its_customer_and_hears_of_changes(
    ws_url: str, factory: Factory
) -> None:
    west = await factory.partner(
        "West", territories=(TerritoryInput(name="CA", regions=("US-CA",)),)
    )
    seller = await factory.user(west.id, Role.PARTNER_USER)
    crm_key, _ = await make_key(factory, ["READ", "LEADS"])
    sent = crm("00Q-9", region="US-CA", email="it@globex.example")
    offered = (await upsert(factory, crm_key, [sent], route=True))[0]["lead"]
    assert (offered["status"], offered["partner"]["name"]) == ("OFFERED", "West")
    # Sent again with routing on: unchanged, not offered a second time.
    assert (await upsert(factory, crm_key, [sent], route=True))[0]["change"] == "UNCHANGED"
    lead = data_of(await factory.gql(LEAD, {"id": offered["id"]}, actor=crm_key))["lead"]
    assert [offer["partner"]["name"] for offer in lead["assignments"]] == ["West"]

    moved = await upsert(factory, crm_key, [{**sent, "customerCompany": "Initech"}])
    assert moved[0]["error"]["field"] == "items.0.customerCompany"
    assert "OFFERED" in moved[0]["error"]["message"]
    assert (
        data_of(await factory.gql(LEAD, {"id": offered["id"]}, actor=crm_key))["lead"]["version"]
        == lead["version"]
    )

    events = "subscription { leadEvents { type leadId lead { contactName externalId } } }"
    async with graphql_socket(ws_url, seller.token) as socket:
        await socket.subscribe(events)
        await asyncio.sleep(0.1)
        await upsert(factory, crm_key, [{**sent, "contactName": "Pat"}])
        event = (await socket.next())["data"]["leadEvents"]
    # The partner sees the change, never the CRM's id.
    assert event == {
        "type": "LEAD_UPDATED",
        "leadId": offered["id"],
        "lead": {"contactName": "Pat", "externalId": None},
    }
    seen = data_of(await factory.gql(LEAD, {"id": offered["id"]}, actor=seller))["lead"]
    assert seen["externalId"] is None


async def test_external_ids_are_checked_and_unique(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    bad = await upsert(factory, vendor, [crm("x" * 101), crm("line\nbreak"), crm("  ")])
    assert [row["error"] and row["error"]["field"] for row in bad] == [
        "items.0.externalId",
        "items.1.externalId",
        None,
    ]
    nul = await factory.gql(UPSERT, {"items": [crm("a\x00b")]}, actor=vendor)
    assert errors_of(nul) == [("BAD_USER_INPUT", "items[0].externalId")]
    create = """mutation($input: LeadInput!) { createLead(input: $input, route: false) {
      id externalId } }"""
    made = data_of(await factory.gql(create, {"input": crm("CRM-7")}, actor=vendor))["createLead"]
    assert made["externalId"] == "CRM-7"
    taken = await factory.gql(create, {"input": crm("CRM-7", company="Other")}, actor=vendor)
    assert errors_of(taken) == [("CONFLICT", "input.externalId")]
    assert await count(factory, vendor) == 2


async def test_a_lead_file_imported_twice_changes_nothing(any_factory: Factory) -> None:
    factory = any_factory
    crm_key, _ = await make_key(factory, ["READ", "LEADS"])
    csv = (
        b"customer_company,country,product_line,email,external_id,value_minor,currency\n"
        b"Globex,US,NETWORKING,it@globex.example,F-1,1000,USD\n"
        b"Initech,US,NETWORKING,,,2000,USD\n"
        b"Umbrella,ZZ,NETWORKING,,F-3,,\n"
        b"Initech Inc,US,NETWORKING,,,2000,USD\n"
        b"Hooli,US,NETWORKING,,,12x,USD\n"
    )
    first = data_of(
        await factory.multipart(IMPORT, {}, {"file": ("leads.csv", csv)}, actor=crm_key)
    )["importLeads"]
    assert (first["created"], first["updated"], first["unchanged"], first["rejected"]) == (
        2,
        0,
        1,
        2,
    )
    assert [(row["line"], row["change"]) for row in first["rows"]] == [
        (2, "CREATED"),
        (3, "CREATED"),
        (4, None),
        (5, "UNCHANGED"),
        (6, None),
    ]
    assert first["rows"][2]["error"]["column"] == "country"
    assert first["rows"][4]["error"]["column"] == "value_minor"
    assert first["rows"][0]["lead"]["externalId"] == "F-1"
    assert first["rows"][3]["lead"]["id"] == first["rows"][1]["lead"]["id"]

    again = data_of(
        await factory.multipart(IMPORT, {}, {"file": ("leads.csv", csv)}, actor=crm_key)
    )["importLeads"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert await count(factory, crm_key) == 2


async def test_a_file_refused_whole_leaves_nothing(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    for content, needle in (
        (b"customer_company,country\nGlobex,US\n", "product_line"),
        (b"customer_company,country,product_line,colour\nGlobex,US,NETWORKING,red\n", "colour"),
        (b"", "first line"),
    ):
        answer = await factory.multipart(IMPORT, {}, {"file": ("x.csv", content)}, actor=vendor)
        assert errors_of(answer) == [("BAD_USER_INPUT", "file")], answer
        assert needle in answer["errors"][0]["message"]
    header = b"customer_company,country,product_line\n"
    rows = b"".join(b"Co %d,US,NETWORKING\n" % n for n in range(10_001))
    answer = await factory.multipart(IMPORT, {}, {"file": ("x.csv", header + rows)}, actor=vendor)
    assert errors_of(answer) == [("BAD_USER_INPUT", "file")]
    assert "10000 rows" in answer["errors"][0]["message"]
    assert await count(factory, vendor) == 0


async def test_who_may_sync_leads(factory: Factory) -> None:
    reader, _ = await make_key(factory, ["READ", "CATALOG"])
    assert errors_of(await factory.gql(UPSERT, {"items": [crm("A")]}, actor=reader)) == [
        ("FORBIDDEN", "upsertLeads")
    ]
    answer = await factory.multipart(IMPORT, {}, {"file": ("x.csv", b"a\n")}, actor=reader)
    assert errors_of(answer) == [("FORBIDDEN", "importLeads")]
    partner = await factory.partner()
    seller = await factory.user(partner.id, Role.PARTNER_ADMIN)
    refused = await factory.gql(UPSERT, {"items": [crm("A")]}, actor=seller)
    assert [code for code, _ in errors_of(refused)] == ["FORBIDDEN"]
    csv = b"customer_company,country,product_line\nGlobex,US,NETWORKING\n"
    answer = await factory.multipart(IMPORT, {}, {"file": ("x.csv", csv)}, actor=seller)
    assert [code for code, _ in errors_of(answer)] == ["FORBIDDEN"]
    vendor = await factory.vendor_admin()
    assert await count(factory, vendor) == 0
    too_many = await factory.gql(
        UPSERT, {"items": [crm(f"E-{n}") for n in range(501)]}, actor=vendor
    )
    assert errors_of(too_many) == [("BAD_USER_INPUT", "items")]
