"""Per-request loaders: each slice declares its own; a request builds only those it reads."""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace
from typing import cast

from strawberry.dataloader import DataLoader

import schema
from hub.roles import Principal, Role
from hub.runtime import Hub
from schema.context import Context, Info
from schema.identity import IdentityLoaders
from schema.leads import LeadLoaders
from schema.loading import LoaderSet, loader
from tests.factories import Factory


def _slices() -> list[type[LoaderSet]]:
    """Every slice's loader set, found the way a request finds them: by its own module."""
    for module in pkgutil.iter_modules(schema.__path__):
        importlib.import_module(f"{schema.__name__}.{module.name}")
    return LoaderSet.__subclasses__()


async def test_a_loader_is_built_on_first_read_and_kept_for_the_request(
    hub: Hub, factory: Factory
) -> None:
    partner = await factory.partner("Loaded Ltd")
    principal = Principal("nobody", "vendor", Role.VENDOR_ADMIN)
    loaders = IdentityLoaders(hub, principal)
    built_before = [value for value in vars(loaders).values() if isinstance(value, DataLoader)]

    first = loaders.partner_by_id
    [found] = await first.load_many([partner.id])

    assert built_before == []
    assert loaders.partner_by_id is first
    assert IdentityLoaders(hub, principal).partner_by_id is not first
    assert found is not None and found.name == "Loaded Ltd"


def test_a_slice_set_is_made_on_first_use_per_context_and_dropped_on_reset(hub: Hub) -> None:
    context = Context(hub, principal=Principal("nobody", "vendor", Role.VENDOR_ADMIN))
    info = cast(Info, SimpleNamespace(context=context))

    first = IdentityLoaders.of(info)
    kept = context.loaders_of(IdentityLoaders)
    other = LeadLoaders.of(info)
    context.reset_loaders()

    assert kept is first
    assert isinstance(other, LeadLoaders) and other.principal is context.principal
    assert IdentityLoaders.of(info) is not first


def test_every_slice_loader_is_named_thing_by_key() -> None:
    declared = [
        name
        for kind in _slices()
        if issubclass(kind, LoaderSet)
        for name, value in vars(kind).items()
        if isinstance(value, loader)
    ]

    assert len(declared) == len(set(declared)) >= 40
    assert all("_by_" in name for name in declared)
