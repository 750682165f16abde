"""Domain enums registered with GraphQL, each value with a description."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from schema.strawberry_internals import enum_values

E = TypeVar("E", bound=type[Enum])


def described_enum(
    enum: E, *, description: str, values: Mapping[str, str], name: str | None = None
) -> E:
    """Register a hub enum as a GraphQL enum, describing it and every one of its values."""
    registered = strawberry.enum(enum, name=name, description=description)
    members = enum_values(registered)
    if unknown := set(values) - {member.name for member in members}:
        raise ValueError(f"{registered.__name__} has no values {sorted(unknown)}")
    for member in members:
        member.description = values.get(member.name, member.description)
    return registered
