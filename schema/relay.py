"""Relay connections shared by every list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from hub.pagination import Page, PageRequest
from schema.context import Info

Selection = SelectedField | FragmentSpread | InlineFragment
Node = TypeVar("Node")
Item = TypeVar("Item")


@strawberry.type(
    description="Where a page of a list stands: pass `endCursor` as `after` for the next page."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="True when this page starts after the first item (an `after` was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item, to pass as `after`; null for an "
        "empty page."
    )


@strawberry.type(description="One item of a list page with its cursor.")
class Edge(Generic[Node]):
    node: Node = strawberry.field(description="The item at this place of the list.")
    cursors: strawberry.Private[Sequence[str]]
    at: strawberry.Private[int]

    @strawberry.field(description="Where this item is: pass it as `after` for the next items.")
    def cursor(self) -> str:
        return self.cursors[self.at]


@strawberry.type(
    description="A page of a list in its order, with the edges' cursors and whether more "
    "pages follow."
)
class Connection(Generic[Node]):
    edges: list[Edge[Node]] = strawberry.field(
        description="The items of this page, each with its cursor, in the list's order."
    )
    page_info: PageInfo = strawberry.field(
        description="Whether pages follow or precede this one, and the cursors at its ends."
    )
    total: strawberry.Private[int | None]

    @strawberry.field(description="Every item of the list under its filter, on all pages.")
    def total_count(self) -> int:
        if self.total is None:  # page_request counts whenever the selection names totalCount
            raise RuntimeError("totalCount was selected but not counted")
        return self.total

    @classmethod
    def of(cls, page: Page[Item], convert: Callable[[Item], Node]) -> Connection[Node]:
        """Build a connection from a hub page, converting each item to its GraphQL type."""
        cursors = page.cursors
        if len(cursors) != len(page.items):
            raise ValueError("a page has one cursor per item")
        edges = [
            Edge(node=convert(item), cursors=cursors, at=at) for at, item in enumerate(page.items)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total=page.total_count,
        )


def page_request(info: Info, first: int | None, after: str | None) -> PageRequest:
    """The page a connection field asks for, counting the total only when it is selected."""
    cap = info.context.hub.settings.max_page_size
    return PageRequest.of(first, after, cap=cap, count=selects(info, "totalCount"))


def selects(info: Info, *path: str) -> bool:
    """Whether the field being resolved selects `path` (e.g. "edges", "node", "partner"),
    directly or through fragments."""
    return _selects(info.selected_fields, path)


def _selects(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    for selection in selections:
        for child in selection.selections:
            if isinstance(child, SelectedField):
                if child.name == path[0] and (len(path) == 1 or _selects([child], path[1:])):
                    return True
            elif _selects([child], path):
                return True
    return False
