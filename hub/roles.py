"""Roles, organization kinds and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.errors import Forbidden


class OrganizationKind(StrEnum):
    VENDOR = "VENDOR"
    PARTNER = "PARTNER"


class Role(StrEnum):
    VENDOR_ADMIN = "VENDOR_ADMIN"
    CHANNEL_MANAGER = "CHANNEL_MANAGER"
    PARTNER_ADMIN = "PARTNER_ADMIN"
    PARTNER_USER = "PARTNER_USER"
    INTEGRATION = "INTEGRATION"


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.INTEGRATION})
VENDOR_STAFF = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request or WebSocket connection."""

    user_id: str
    organization_id: str
    role: Role
    token_id: str = ""
    # What an API key may do (hub.api_keys.Scope values); None for a login, bound by role only.
    scopes: frozenset[str] | None = None

    @property
    def is_vendor(self) -> bool:
        """Vendor-side accounts (staff and integrations) see every organization."""
        return self.role in VENDOR_ROLES

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in VENDOR_STAFF

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES


def require_vendor_staff(principal: Principal) -> None:
    """Refuse anyone but vendor admins and channel managers."""
    if not principal.is_vendor_staff:
        raise Forbidden("only vendor staff may do this")


def require_vendor_side(principal: Principal) -> None:
    """Refuse anyone but vendor staff and INTEGRATION accounts (the vendor's CRM and ERP)."""
    if not principal.is_vendor:
        raise Forbidden("only vendor staff and integration accounts may do this")


def require_vendor_admin(principal: Principal) -> None:
    """Refuse anyone but vendor admins."""
    if principal.role is not Role.VENDOR_ADMIN:
        raise Forbidden("only vendor admins may do this")
