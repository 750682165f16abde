"""GraphQL input objects to the hub's input dataclasses: one helper, by field name.

The hub's dataclasses are the truth of what an operation takes; a GraphQL input type names
the same fields (in camelCase on the wire) with the API's types (ID, MoneyInput, lists that
may be null). `to_hub` copies field by field, converting by the hub field's type: nested
inputs to nested dataclasses, lists to lists, ids to strings, enum values to the hub's enums;
an omitted or null value leaves the hub's default. Checking the values is the hub's work.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


def to_hub(value: Any, target: type[T], **given: Any) -> T:
    """The hub dataclass `target` made from a GraphQL input object with the same field names.

    `given` supplies fields the input does not carry (an id from an argument, say).
    """
    values: dict[str, Any] = {}
    for field, hint in _fields(typing.cast(type, target)):
        if field.name in given:
            values[field.name] = given[field.name]
            continue
        raw = getattr(value, field.name, strawberry.UNSET)
        if raw is strawberry.UNSET or (raw is None and _has_default(field)):
            continue
        values[field.name] = _converted(raw, hint)
    return target(**values)


def unknown_fields(source: type, target: type) -> list[str]:
    """Fields of a GraphQL input type that the hub dataclass has no field for (a test keeps
    this empty for every pair, so no input is silently dropped)."""
    known = {field.name for field, _ in _fields(target)}
    definition = source.__strawberry_definition__  # type: ignore[attr-defined]
    return [field.python_name for field in definition.fields if field.python_name not in known]


@functools.cache
def _fields(target: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    if not dataclasses.is_dataclass(target):
        raise TypeError(f"{target.__name__} is not a dataclass")
    hints = typing.get_type_hints(target)
    return tuple((field, hints[field.name]) for field in dataclasses.fields(target))


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _converted(raw: Any, hint: Any) -> Any:
    if raw is None:
        return None
    hint = _without_none(hint)
    origin = typing.get_origin(hint)
    if isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str:
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return [_converted(one, item) for one in raw]
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return to_hub(raw, hint)
        if issubclass(hint, enum.Enum):
            return raw if isinstance(raw, hint) else hint(getattr(raw, "value", raw))
        if hint is str:
            return str(raw)
    return raw


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint
