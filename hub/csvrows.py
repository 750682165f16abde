"""CSV files for the importers: each record comes back with its line, or why it is unreadable.

The file is read as bytes, one physical line at a time, so a line that is not UTF-8 or is
too long spoils only the record it belongs to: that record is reported by line number and
every other one is still read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from hub.errors import HubError

MAX_LINE_BYTES = 1_048_576
BOM = b"\xef\xbb\xbf"
_CHUNK = 65_536


class FormatError(Exception):
    """The file cannot be imported at all (no usable header line)."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True)
class Fault:
    """A row not imported: its line, why (naming the CSV column), the error code, the column."""

    line: int
    message: str
    code: str = "BAD_USER_INPUT"
    column: str | None = None


@dataclass
class Report:
    """What an import did so far; `stopped_at` is the first line left undone by a failure."""

    faults: list[Fault] = field(default_factory=list)
    stopped_at: int | None = None
    on_rejected: Callable[[int, str], None] | None = field(default=None, repr=False)
    # The CSV column of an API field where the names differ beyond casing (see column_of).
    columns: dict[str, str] = field(default_factory=dict, repr=False)

    def _in_columns(self, error: HubError) -> str:
        """The error's message with the API field names it uses turned into CSV columns."""
        if not error.field:
            return error.message
        at = column_of(error.field, self.columns)
        message = error.message.replace(error.field, at)
        head = re.split(r"[.\[]", error.field, maxsplit=1)[0]
        word = re.compile(r"\b" + re.escape(head) + r"\b")
        return f"{at}: {word.sub(at, message)}"

    @property
    def rejected(self) -> list[tuple[int, str]]:
        return [(fault.line, fault.message) for fault in self.faults]

    def reject(self, line: int, reason: str | HubError | ValueError) -> None:
        """Record a row that was not imported, with the column at fault when known."""
        if isinstance(reason, HubError):
            column = column_of(reason.field, self.columns) if reason.field else None
            fault = Fault(line, self._in_columns(reason), reason.code, column)
        elif isinstance(reason, ValueError):
            # The parsers' messages start with the column: "latitude: 'x' is not a number".
            message = str(reason)
            head = message.split(":", 1)[0]
            fault = Fault(line, message, column=head if head.isidentifier() else None)
        else:
            fault = Fault(line, reason)
        self.faults.append(fault)
        if self.on_rejected is not None:
            self.on_rejected(line, fault.message)


def column_of(api_field: str, columns: dict[str, str]) -> str:
    """The CSV column an API field name stands for: customerCompany is customer_company.

    The domain's checks name the API's fields; a person fixing a CSV file needs its columns.
    """
    for prefix in sorted(columns, key=len, reverse=True):
        if api_field == prefix or api_field.startswith((f"{prefix}.", f"{prefix}[")):
            return columns[prefix]
    head = re.split(r"[.\[]", api_field, maxsplit=1)[0]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", head).lower()


def read(
    handle: IO[bytes], *, progress: Callable[[int], None] | None = None
) -> tuple[list[str], Iterator[Row]]:
    """Read the header line now; return its column names and the records after it."""
    lines = _Lines(handle, progress)
    reader = csv.reader(lines)
    # The csv module's limit is global; a record may be as long as the longest line.
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise FormatError(f"the header line is not valid CSV: {error}") from None
    if lines.problems:
        raise FormatError(f"the header line is {lines.problems[1]}")
    if not header:
        raise FormatError("the first line is empty: it must name the columns")
    return [name.strip() for name in header], _records(reader, lines, header)


def _records(reader: Iterator[list[str]], lines: _Lines, header: list[str]) -> Iterator[Row]:
    while True:
        start = lines.count + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield _spoilt(lines) or Row(start, problem=f"not valid CSV: {error}")
            continue
        spoilt = _spoilt(lines)
        if spoilt is not None:
            yield spoilt
        elif any(value.strip() for value in values[len(header) :]):
            yield Row(start, problem=f"{len(values)} values, but the header names {len(header)}")
        elif values:
            yield Row(start, dict(zip((name.strip() for name in header), values, strict=False)))


def _spoilt(lines: _Lines) -> Row | None:
    """The first problem among the physical lines of the record just read, at its own line."""
    if not lines.problems:
        return None
    first = min(lines.problems)
    row = Row(first, problem=lines.problems[first])
    lines.problems.clear()
    return row


class _Lines:
    """Physical lines decoded one by one; undecodable or oversized ones are noted by number."""

    def __init__(self, handle: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self.handle = handle
        self.progress = progress
        self.count = 0
        self.problems: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.count += 1
        self._read(len(raw))
        if self.count == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            self._skip_rest()
            self.problems[self.count] = f"longer than {MAX_LINE_BYTES} bytes"
            return "\n"
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self.problems[self.count] = (
                f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at byte {error.start + 1} "
                "of the line)"
            )
            # Replacing keeps the commas, quotes and line ends, so the next record starts right.
            return raw.decode("utf-8", errors="replace")

    def _skip_rest(self) -> None:
        while chunk := self.handle.readline(_CHUNK):
            self._read(len(chunk))
            if chunk.endswith(b"\n"):
                return

    def _read(self, size: int) -> None:
        if self.progress is not None:
            self.progress(size)
