"""JSON from clients, decoded within bounds: nesting, number length, no NaN or Infinity.

The standard decoder recurses once per nesting level, so a few kilobytes of brackets raise
RecursionError (in the decoder, or later in whatever walks the value); and int() refuses
numbers over 4,300 digits with ValueError. The nesting is measured first, without
recursion, so every refusal is a JSONRefused with a message a person can act on.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_LENGTH = 100

# A JSON string, escapes included.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_DELTA = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JSONRefused(ValueError):
    """Well-formed or not, JSON this server does not decode; the message says why."""


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode client JSON; raise ValueError (JSONRefused when over a bound) instead."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if depth(raw) > max_depth:
        raise JSONRefused(f"JSON nested deeper than {max_depth} levels")
    return json.loads(data, parse_int=_integer, parse_float=_float, parse_constant=_constant)


def depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects, strings skipped, in linear time."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _integer(text: str) -> int:
    _check_length(text)
    return int(text)


def _float(text: str) -> float:
    _check_length(text)
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"JSON number {text} is too large")
    return value


def _check_length(text: str) -> None:
    if len(text) > MAX_NUMBER_LENGTH:
        raise JSONRefused(f"JSON number longer than {MAX_NUMBER_LENGTH} characters")


def _constant(text: str) -> Any:
    raise JSONRefused(f"{text} is not a JSON value")
