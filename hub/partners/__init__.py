"""Partner directory: profiles, lifecycle, tiers, multi-tier channels and the locator."""

from hub.partners.directory import (
    Located,
    Near,
    PartnerFilter,
    by_ids,
    changes_by_partner,
    children_by_parent,
    get,
    list_partners,
    specializations_by_partner,
    territories_by_partner,
    visible,
)
from hub.partners.rules import (
    ContactInput,
    PartnerInput,
    PartnerStatus,
    PartnerType,
    TerritoryInput,
    Tier,
)
from hub.partners.service import (
    apply,
    approve_application,
    change_status,
    change_tier,
    create,
    reject_application,
    update_profile,
)

__all__ = [
    "ContactInput",
    "Located",
    "Near",
    "PartnerFilter",
    "PartnerInput",
    "PartnerStatus",
    "PartnerType",
    "TerritoryInput",
    "Tier",
    "apply",
    "approve_application",
    "by_ids",
    "change_status",
    "change_tier",
    "changes_by_partner",
    "children_by_parent",
    "create",
    "get",
    "list_partners",
    "reject_application",
    "specializations_by_partner",
    "territories_by_partner",
    "update_profile",
    "visible",
]
