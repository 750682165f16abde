"""Free-text filters: capped at 200 characters on every list, naming the field; searches still find.

The fields come from the schema, so a filter field added later is checked too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.settings import load_settings
from hub.validation import FILTER_TEXT_MAX
from resolvers.root import build_schema
from tests.conftest import data_of
from tests.factories import Factory, errors_of
from tests.lists import World, seed


def free_text_filters() -> list[tuple[str, str, str]]:
    """(list field, argument or filter field, the field an error names) of every String filter."""
    settings = load_settings(
        {"CHANNELHUB_DATABASE_URL": "sqlite+aiosqlite://", "CHANNELHUB_JWT_SECRET": "x" * 32}
    )
    query = build_schema(settings)._schema.query_type
    assert query is not None
    found = []
    for name, field in query.fields.items():
        if "after" not in field.args:
            continue
        for arg_name, arg in field.args.items():
            kind = getattr(arg.type, "of_type", arg.type)
            # A required String (stockMovements' sku) names a record, it filters no text.
            if str(arg.type) == "String" and arg_name != "after":
                found.append((name, arg_name, arg_name))
            for inner, inner_field in getattr(kind, "fields", {}).items():
                if str(getattr(inner_field.type, "of_type", inner_field.type)) == "String":
                    found.append((name, f"{arg_name}.{inner}", f"{arg_name}.{inner}"))
    return found


FILTERS = free_text_filters()


# Arguments some lists require, given whenever they are not the one under test.
REQUIRED = {"partnerScorecards": {"period": "period: {trailingDays: 30}"}}


def document(name: str, path: str) -> str:
    """A page of a list with one String filter set from $v."""
    if "." in path:
        outer, inner = path.split(".")
        given = f"{outer}: {{{inner}: $v}}"
    else:
        outer, given = path, f"{path}: $v"
    others = [value for arg, value in REQUIRED.get(name, {}).items() if arg != outer]
    arguments = ", ".join(["first: 1", given, *others])
    return f"query($v: String) {{ {name}({arguments}) {{ totalCount }} }}"


@pytest.fixture
async def world(any_factory: Factory) -> World:
    return await seed(any_factory)


def test_every_list_with_free_text_is_checked() -> None:
    searched = {name for name, path, _ in FILTERS if path == "filter.search"}

    assert searched == {
        "users",
        "partners",
        "leads",
        "products",
        "assets",
        "articles",
        "bestPractices",
        "courses",
        "productLines",
    }
    assert {(name, path) for name, path, _ in FILTERS if "search" not in path} >= {
        ("articles", "filter.tag"),
        ("bestPractices", "filter.tag"),
        ("leads", "filter.country"),
        ("certificationDefinitions", "productLine"),
    }


@pytest.mark.parametrize("length", [FILTER_TEXT_MAX + 1, 50_000])
async def test_long_free_text_filters_are_bad_input_naming_the_field(
    world: World, length: int
) -> None:
    vendor = world.actors["vendor"]
    answers = {
        (name, path): errors_of(
            await world.factory.gql(document(name, path), {"v": "a" * length}, actor=vendor)
        )
        for name, path, _ in FILTERS
    }

    assert answers == {(name, path): [("BAD_USER_INPUT", field)] for name, path, field in FILTERS}


async def test_searches_that_no_database_can_store_are_bad_input(world: World) -> None:
    vendor = world.actors["vendor"]
    cases = [
        (name, path, text)
        for name, path, _ in FILTERS
        if path in ("filter.search", "filter.tag")
        for text in ("net\x00work", "net\ud800work")
    ]
    answers = {}
    for name, path, text in cases:
        # JSON escapes carry what UTF-8 cannot (an unpaired surrogate), as a hostile client may.
        response = await world.factory.client.post(
            "/graphql",
            content=json.dumps({"query": document(name, path), "variables": {"v": text}}),
            headers={"content-type": "application/json", "authorization": f"Bearer {vendor.token}"},
        )
        answers[(name, path, text)] = errors_of(response.json())

    # Refused before anything runs, naming the variable that carries the text.
    assert answers == {(name, path, text): [("BAD_USER_INPUT", "v")] for name, path, text in cases}


SEARCHES = {
    "users": ("vera", 1),
    "partners": ("ALPHA", 1),
    "leads": ("globex", 1),
    "products": ("router", 1),
    "assets": ("playbook", 1),
    "articles": ("routing", 1),
    "bestPractices": ("webinars", 1),
    "courses": ("firewalls", 1),
}


async def test_a_search_of_up_to_200_characters_still_finds(world: World) -> None:
    vendor = world.actors["vendor"]
    found: dict[str, Any] = {}
    for name, (term, _) in SEARCHES.items():
        body = await world.factory.gql(document(name, "filter.search"), {"v": term}, actor=vendor)
        longest = await world.factory.gql(
            document(name, "filter.search"), {"v": term.ljust(FILTER_TEXT_MAX)}, actor=vendor
        )
        found[name] = (data_of(body)[name]["totalCount"], data_of(longest)[name]["totalCount"])

    assert found == {name: (count, count) for name, (_, count) in SEARCHES.items()}
