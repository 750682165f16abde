"""Per-request DataLoaders, declared by each domain slice and built on first use.

A slice declares its relationships on a `LoaderSet` subclass:

    class LeadLoaders(LoaderSet):
        notes_by_lead = loader(
            lambda hub, principal, ids: activity.notes_by_lead(hub, principal=principal, ids=ids)
        )

A resolver reaches a slice's set as `LeadLoaders.of(info)`, another slice's set the same way
(`IdentityLoaders.of(info).user_name_by_id`): each set is made on first use per operation and
kept on the request's context, so a new slice plugs in without a central list, and a request
builds only the sets and loaders it reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from strawberry.dataloader import DataLoader

from hub.roles import Principal
from hub.runtime import Hub

if TYPE_CHECKING:
    from schema.context import Info

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")
Shown = TypeVar("Shown")
Slice = TypeVar("Slice", bound="LoaderSet")

Batch = Callable[[Hub, Principal, Sequence[Key]], Awaitable[Sequence[Value]]]


class LoaderSet:
    """Loaders named <thing>_by_<key>, for one principal and one operation."""

    def __init__(self, hub: Hub, principal: Principal) -> None:
        self.hub = hub
        self.principal = principal

    @classmethod
    def of(cls, info: Info) -> Self:
        """Return this slice's loaders for the operation of `info`, made on first use."""
        return info.context.loaders_of(cls)


class loader(Generic[Key, Value]):
    """A relationship of a LoaderSet: its DataLoader is made the first time a request reads
    it and kept on that request's set (later reads are plain attribute reads)."""

    def __init__(self, batch: Batch[Key, Value]) -> None:
        self.batch = batch
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, owner: None, kind: type) -> loader[Key, Value]: ...

    @overload
    def __get__(self, owner: LoaderSet, kind: type) -> DataLoader[Key, Value]: ...

    def __get__(self, owner: LoaderSet | None, kind: type) -> Any:
        if owner is None:
            return self
        built: DataLoader[Key, Value] = DataLoader(partial(self.batch, owner.hub, owner.principal))
        owner.__dict__[self.name] = built
        return built


async def prefetch(loader: DataLoader[Key, Value], keys: Iterable[Key | None]) -> None:
    """Load the keys of a page's items now, in one batch, so that each item's field answers
    from `at_once` without awaiting (an awaited field costs graphql-core a task per item).

    A batch that fails is left for each field to raise again, on its own path, as it would
    have without the prefetch.
    """
    wanted = list(dict.fromkeys(key for key in keys if key is not None))
    if not wanted:
        return
    with contextlib.suppress(Exception):  # each field reading a key raises it again
        await loader.load_many(wanted)


def at_once(
    loader: DataLoader[Key, Value], key: Key, convert: Callable[[Value], Shown]
) -> Shown | Awaitable[Shown]:
    """The converted value when the loader already holds it (see `prefetch`), else an
    awaitable of it: a resolver that returns this stays synchronous for prefetched pages."""
    future = loader.cache_map.get(key) if loader.cache else None
    if future is not None and future.done() and not future.cancelled() and not future.exception():
        return convert(future.result())
    return _converted(loader.load(key), convert)


async def _converted(pending: Awaitable[Value], convert: Callable[[Value], Shown]) -> Shown:
    return convert(await pending)
