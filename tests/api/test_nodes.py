"""Relay's `node(id)` and `nodes(ids)` over HTTP, on PostgreSQL and the embedded SQLite: any
object found again by its id through the field that reads it by type, so another
organization's id (or one a role may not read) is null, never data or an error; and the ids
normalised caches key on where a type had none."""

from __future__ import annotations

from typing import Any

from graphql import build_schema

from hub.partners import TerritoryInput
from hub.roles import Role
from resolvers.nodes import NODE_TYPES, READERS
from storage.models import Base
from tests.api.test_assets import PDF, upload
from tests.api.test_messaging import people, start, user  # noqa: F401 (people: the fixture)
from tests.api.test_order_api import place, shop  # noqa: F401 (shop: the fixture)
from tests.conftest import data_of
from tests.factories import Actor, Factory
from web.cli import SCHEMA_FILE

NODE = """query Node($id: ID!) {
  node(id: $id) { __typename id ... on Partner { name } ... on Lead { customerCompany } }
}"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
LEAD = """mutation($company: String!) { createLead(input: {customerCompany: $company,
  country: "US", productLine: "NETWORKING", region: "US-CA"}) { id partner { id } } }"""
CALIFORNIA = (TerritoryInput(name="CA", regions=("US-CA",)),)


async def node(factory: Factory, actor: Actor | None, node_id: str) -> Any:
    body = await factory.gql(NODE, {"id": node_id}, actor=actor)
    assert "errors" not in body, body["errors"]
    return body["data"]["node"]


async def test_every_kind_is_found_again_and_ids_are_kept_in_order(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    partner = await factory.partner("West", territories=CALIFORNIA)
    lead = data_of(await factory.gql(LEAD, {"company": "Globex"}, actor=vendor))["createLead"]

    found_partner = await node(factory, vendor, partner.id)
    found_lead = await node(factory, vendor, lead["id"])
    found_user = await node(factory, vendor, vendor.user.id)
    listed = data_of(
        await factory.gql(
            NODES, {"ids": [lead["id"], "0" * 32, partner.id, "x" * 500, lead["id"]]}, actor=vendor
        )
    )["nodes"]

    assert found_partner == {"__typename": "Partner", "id": partner.id, "name": "West"}
    assert found_lead == {"__typename": "Lead", "id": lead["id"], "customerCompany": "Globex"}
    assert found_user == {"__typename": "User", "id": vendor.user.id}
    assert listed == [
        {"__typename": "Lead", "id": lead["id"]},
        None,
        {"__typename": "Partner", "id": partner.id},
        None,
        {"__typename": "Lead", "id": lead["id"]},
    ]


async def test_another_organizations_ids_are_null(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    west = await factory.partner("West", territories=CALIFORNIA)
    east = await factory.partner(
        "East", territories=(TerritoryInput(name="NY", regions=("US-NY",)),)
    )
    west_user = await factory.user(west.id, Role.PARTNER_USER)
    east_admin = await factory.partner_admin(east)
    lead = data_of(await factory.gql(LEAD, {"company": "Globex"}, actor=vendor))["createLead"]
    assert lead["partner"]["id"] == west.id

    mine = await node(factory, west_user, lead["id"])
    theirs = [await node(factory, east_admin, some) for some in (lead["id"], west.id)]
    users = [await node(factory, east_admin, some) for some in (west_user.user.id, vendor.user.id)]
    own = await node(factory, east_admin, east.id)

    assert mine is not None and mine["__typename"] == "Lead"
    assert theirs == [None, None]
    assert users == [None, None]
    assert own == {"__typename": "Partner", "id": east.id, "name": "East"}


async def test_node_needs_a_caller_and_bounds_its_ids(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    anonymous = await factory.gql(NODE, {"id": vendor.user.id})
    too_many = await factory.gql(NODES, {"ids": ["a"] * 101}, actor=vendor)

    assert anonymous["data"] == {"node": None}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert too_many["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids"}


def test_every_node_type_has_a_table_and_a_reader_and_implements_node() -> None:
    sdl = build_schema(SCHEMA_FILE.read_text())
    node = sdl.get_type("Node")
    implementing = {
        name for name, kind in sdl.type_map.items() if node in getattr(kind, "interfaces", ())
    }

    assert implementing == set(NODE_TYPES)
    assert all(table in Base.metadata.tables for table, _, _ in NODE_TYPES.values())
    assert set(READERS) == set(NODE_TYPES) and all(callable(read) for read in READERS.values())


async def test_lines_versions_offers_and_participants_have_stable_ids(
    factory: Factory,
    shop: dict[str, Any],  # noqa: F811 (the fixture)
    people: dict[str, Any],  # noqa: F811 (the fixture)
) -> None:
    vendor = shop["vendor"]
    order = await place(factory, shop["buyer"])
    second = await place(factory, shop["buyer"])
    lines = "query($id: ID!) { order(id: $id) { lines { id lineNo } } }"
    partner = await factory.partner("West", territories=CALIFORNIA)
    lead = data_of(await factory.gql(LEAD, {"company": "Globex"}, actor=vendor))["createLead"]
    offers = "query($id: ID!) { lead(id: $id) { assignments { id partner { id } } } }"
    asset = data_of(
        (await upload(factory, vendor, PDF, "a.pdf", {"title": "A", "kind": "DATASHEET"})).json()
    )
    versions = "query($id: ID!) { asset(id: $id) { versions { id number } } }"
    started = data_of(await start(factory, vendor, userIds=[user(people["reseller"])]))
    talk = "query($id: ID!) { conversation(id: $id) { participants { id userId } } }"

    async def read(query: str, node_id: str, actor: Actor = vendor) -> Any:
        return data_of(await factory.gql(query, {"id": node_id}, actor=actor))

    order_lines = [(await read(lines, some["id"]))["order"]["lines"] for some in (order, second)]
    assignments = (await read(offers, lead["id"]))["lead"]["assignments"]
    asset_id = asset["uploadAsset"]["id"]
    asset_versions = (await read(versions, asset_id))["asset"]["versions"]
    conversation_id = started["startConversation"]["id"]
    participants = (await read(talk, conversation_id))["conversation"]["participants"]
    as_reseller = await read(talk, conversation_id, people["reseller"])

    assert [line["id"] for line in order_lines[0]] == [f"{order['id']}:1"]
    assert order_lines[0][0]["id"] != order_lines[1][0]["id"]
    assert assignments and partner.id  # routed to one of the channel's partners
    assert assignments[0]["id"].startswith(f"{lead['id']}:")
    assert assignments == (await read(offers, lead["id"]))["lead"]["assignments"]  # stable
    assert [version["id"] for version in asset_versions] == [
        version["id"] for version in (await read(versions, asset_id))["asset"]["versions"]
    ]
    ids = {participant["id"] for participant in participants}
    assert ids == {f"{conversation_id}:{participant['userId']}" for participant in participants}
    assert ids == {participant["id"] for participant in as_reseller["conversation"]["participants"]}
