"""Persisted queries: documents sent once and afterwards by their SHA-256 (Apollo's automatic
persisted queries, APQ), or imported from a vendor's manifest and, in `allow-list` mode, the
only documents that run.

A document is registered only after it passed validation, at most PERSISTED_QUERY_MAX_BYTES
long, and at most PERSISTED_QUERIES_PER_CLIENT per caller (user, or address when anonymous) a
day, and forgotten after 30 days: APQ cannot be used to fill the database. Documents are kept
in the database, so every process finds what any of them stored; each process keeps the ones
it used in memory (a document never changes under its hash, so the cache needs no
invalidation).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from hub.db import LockSpace, flush_unique, upsert
from hub.errors import BadInput
from hub.runtime import Hub
from storage.models.persisted_queries import PersistedQuery

MODES = ("automatic", "allow-list", "off")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_ID = 200
WINDOW = timedelta(days=1)
KEPT = timedelta(days=30)
CACHED = 2048
CLIENTS = LockSpace(0x5051)


@dataclass(frozen=True)
class Stored:
    sha256: str
    document: str
    listed: bool


@dataclass(frozen=True)
class Entry:
    """One document of a manifest."""

    document: str
    document_id: str | None
    operation_name: str | None


NOT_IN_LIST = (
    "this hub runs only the documents of its imported persisted query manifests; this one "
    "is not among them"
)


async def listed(hub: Hub, document: str) -> bool:
    """Whether a document is on the imported allow-list."""
    found = await find(hub, sha256=sha256_of(document))
    return found is not None and found.listed


def caller_key(user_id: str | None, address: str | None) -> str:
    """Whose share a registration counts against: the user, or an anonymous caller's address
    (an IPv6 caller's /64 network: one host has a whole one to pick addresses from)."""
    if user_id is not None:
        return f"user:{user_id}"
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"ip:{(address or '-')[:60]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"ip:{ip}"


async def purge(hub: Hub) -> int:
    """Forget documents clients registered over KEPT ago (a background job): storage stays
    bounded by the daily shares; a client still using one registers it again on its next
    PERSISTED_QUERY_NOT_FOUND. Imported (listed) documents stay."""
    async with hub.write() as session:
        gone = await session.execute(
            delete(PersistedQuery).where(
                PersistedQuery.listed.is_(False), PersistedQuery.created_at < hub.clock.now() - KEPT
            )
        )
    hub.caches.pop("persisted_queries", None)
    return int(getattr(gone, "rowcount", 0) or 0)


def sha256_of(document: str) -> str:
    """The hex SHA-256 of a document's UTF-8 text, as clients compute it."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


async def find(
    hub: Hub, *, sha256: str | None = None, document_id: str | None = None
) -> Stored | None:
    """The stored document of a hash (or of a manifest's id), or None."""
    key = f"sha256:{sha256}" if sha256 is not None else f"id:{document_id}"
    cache: OrderedDict[str, Stored] = hub.caches.setdefault("persisted_queries", OrderedDict())
    hit = cache.get(key)
    if hit is not None and (hit.listed or hub.settings.persisted_queries != "allow-list"):
        cache.move_to_end(key)
        return hit
    where = (
        PersistedQuery.sha256 == sha256
        if sha256 is not None
        else (PersistedQuery.document_id == document_id)
    )
    async with hub.read() as session:
        row = (
            await session.execute(
                select(PersistedQuery.sha256, PersistedQuery.document, PersistedQuery.listed).where(
                    where
                )
            )
        ).first()
    if row is None:
        return None
    stored = Stored(row.sha256, row.document, row.listed)
    cache[key] = stored
    while len(cache) > CACHED:
        cache.popitem(last=False)
    return stored


async def register(
    hub: Hub, document: str, *, client: str, operation_name: str | None = None
) -> bool:
    """Keep a validated document a client sent with its hash; False when it is too long or
    the client registered its day's share already (the request itself still ran)."""
    settings = hub.settings
    if len(document.encode("utf-8", "surrogatepass")) > settings.persisted_query_max_bytes:
        return False
    sha256, now = sha256_of(document), hub.clock.now()
    async with hub.write() as session:
        await CLIENTS.take(session, [client])  # the count and the insert, one client at a time
        known = await session.scalar(
            select(PersistedQuery.sha256).where(PersistedQuery.sha256 == sha256)
        )
        if known is not None:
            return True
        recent = await session.scalar(
            select(func.count())
            .select_from(PersistedQuery)
            .where(PersistedQuery.registered_by == client, PersistedQuery.created_at > now - WINDOW)
        )
        if (recent or 0) >= settings.persisted_queries_per_client:
            return False
        await session.execute(
            upsert(session, PersistedQuery)
            .values(
                sha256=sha256,
                document=document,
                operation_name=(operation_name or "")[:200] or None,
                listed=False,
                registered_by=client[:100],
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
    return True


def read_manifest(path: Path) -> list[Entry]:
    """The documents of an Apollo persisted query manifest
    (`{"format": "apollo-persisted-query-manifest", "operations": [{id, name, body}]}`) or of
    a Relay one (`{"<id>": "<document>"}`). An Apollo id must be the document's SHA-256."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInput(f"cannot read the manifest {path}: {error}", field="manifest") from None
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        return [_apollo_entry(operation, at) for at, operation in enumerate(_operations(data))]
    if isinstance(data, dict) and data and all(isinstance(v, str) for v in data.values()):
        return [_relay_entry(key, document) for key, document in data.items()]
    raise BadInput(
        "the manifest is neither Apollo's (format apollo-persisted-query-manifest) nor Relay's "
        "(an object of id: document)",
        field="manifest",
    )


def _operations(data: dict[str, Any]) -> list[Any]:
    if data.get("version") != 1 or not isinstance(data.get("operations"), list):
        raise BadInput(
            "an Apollo manifest has version 1 and a list of operations", field="manifest"
        )
    return list(data["operations"])


def _apollo_entry(operation: Any, at: int) -> Entry:
    where = f"operations[{at}]"
    if not isinstance(operation, dict) or not isinstance(operation.get("body"), str):
        raise BadInput(f"{where} needs a body (the document)", field="manifest")
    document, given = operation["body"], operation.get("id")
    if given != sha256_of(document):
        raise BadInput(f"{where}: id is not the SHA-256 of its body", field="manifest")
    name = operation.get("name")
    return Entry(_checked(document, where), None, name if isinstance(name, str) else None)


def _relay_entry(key: str, document: str) -> Entry:
    if not key or len(key) > MAX_ID or not key.isprintable():
        raise BadInput(
            f"the id {key[:40]!r} must be 1 to {MAX_ID} printable characters", field="manifest"
        )
    document_id = None if key == sha256_of(document) else key
    return Entry(_checked(document, repr(key[:40])), document_id, None)


def _checked(document: str, where: str) -> str:
    if not document.strip() or "\x00" in document:
        raise BadInput(f"{where}: the document is empty or holds a NUL character", field="manifest")
    return document


async def import_entries(hub: Hub, entries: list[Entry]) -> tuple[int, int]:
    """Put a manifest's documents on the allow-list, in one transaction: (new, already kept)."""
    now, added = hub.clock.now(), 0
    unique = {sha256_of(entry.document): entry for entry in entries}
    async with hub.write() as session:
        for sha256, entry in unique.items():
            row = await session.get(PersistedQuery, sha256)
            if row is None:
                session.add(
                    PersistedQuery(
                        sha256=sha256,
                        document=entry.document,
                        document_id=entry.document_id,
                        operation_name=entry.operation_name,
                        listed=True,
                        registered_by=None,
                        created_at=now,
                    )
                )
                added += 1
            else:
                row.listed = True
                row.document_id = row.document_id or entry.document_id
                row.operation_name = row.operation_name or entry.operation_name
        await flush_unique(
            session, "an id of the manifest names another document already", "manifest"
        )
    return added, len(unique) - added
