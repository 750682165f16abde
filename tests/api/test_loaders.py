"""Per-request loaders: each slice declares its own; a request builds only those it reads."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from hub.roles import Principal, Role
from hub.runtime import Hub
from schema.loaders import Loaders
from schema.loading import LoaderSet, loader
from tests.factories import Factory


async def test_a_loader_is_built_on_first_read_and_kept_for_the_request(
    hub: Hub, factory: Factory
) -> None:
    partner = await factory.partner("Loaded Ltd")
    principal = Principal("nobody", "vendor", Role.VENDOR_ADMIN)
    loaders = Loaders(hub, principal)
    built_before = [value for value in vars(loaders).values() if isinstance(value, DataLoader)]

    first = loaders.partner_by_id
    [found] = await first.load_many([partner.id])

    assert built_before == []
    assert loaders.partner_by_id is first
    assert Loaders(hub, principal).partner_by_id is not first
    assert found is not None and found.name == "Loaded Ltd"


def test_every_slice_loader_is_named_thing_by_key() -> None:
    declared = [
        name
        for kind in Loaders.__mro__
        if issubclass(kind, LoaderSet)
        for name, value in vars(kind).items()
        if isinstance(value, loader)
    ]

    assert len(declared) == len(set(declared)) >= 40
    assert all("_by_" in name for name in declared)
