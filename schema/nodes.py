"""The Relay Node interface: objects that `node(id)` and `nodes(ids)` find again by id."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object that `node(id)` and `nodes(ids)` find again by its id, for Relay "
    "refetches and normalised caches; null when the caller may not see it."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="The object's id: unique across every type, the same for its whole life."
    )
