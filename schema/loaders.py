"""Per-request DataLoaders: one batched query per relationship, whatever the page size."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from hub import partners as partner_service
from hub import users as user_service
from hub.roles import Principal
from hub.runtime import Hub
from storage.models import Organization, Partner, PartnerChange, Territory, User


class Loaders:
    """Loaders named <Thing>By<Key>, built for one principal and one operation."""

    def __init__(self, hub: Hub, principal: Principal) -> None:
        self.user_by_id: DataLoader[str, User | None] = DataLoader(
            lambda ids: user_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.organization_by_id: DataLoader[str, Organization | None] = DataLoader(
            lambda ids: user_service.organizations_by_ids(hub, principal=principal, ids=ids)
        )
        self.partner_by_id: DataLoader[str, Partner | None] = DataLoader(
            lambda ids: partner_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.partners_by_parent: DataLoader[str, list[Partner]] = DataLoader(
            lambda ids: partner_service.children_by_parent(hub, principal=principal, ids=ids)
        )
        self.specializations_by_partner: DataLoader[str, list[str]] = DataLoader(
            lambda ids: partner_service.specializations_by_partner(hub, ids)
        )
        self.territories_by_partner: DataLoader[str, list[Territory]] = DataLoader(
            lambda ids: partner_service.territories_by_partner(hub, ids)
        )
        self.changes_by_partner_field: DataLoader[tuple[str, str], list[PartnerChange]] = (
            DataLoader(lambda keys: partner_service.changes_by_partner(hub, keys))
        )
