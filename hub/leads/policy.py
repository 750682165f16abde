"""The vendor's routing and deal-registration settings, one row with sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines, validation
from hub.errors import BadInput
from hub.partners.rules import Tier
from hub.roles import Principal, require_vendor_staff
from hub.routing import Policy, Strategy, Weights
from hub.runtime import Hub
from storage.models import RoutingSettings

SETTINGS_ROW = 1
MAX_WEIGHT = 100


class ConflictPolicy:
    REJECT = "REJECT"
    REVIEW = "REVIEW"


@dataclass(frozen=True)
class LeadSettings:
    strategy: Strategy = Strategy.BEST_SCORE
    weights: Weights = field(default_factory=Weights)
    radius_km: float = 100.0
    acceptance_hours: int = 48
    protection_days: int = 90
    auto_approve_tiers: frozenset[Tier] = frozenset({Tier.GOLD, Tier.PLATINUM})
    conflict_policy: str = ConflictPolicy.REVIEW
    required_certifications: frozenset[str] = frozenset()

    def policy(self) -> Policy:
        return Policy(
            strategy=self.strategy,
            weights=self.weights,
            radius_km=self.radius_km,
            required_certifications=self.required_certifications,
        )


async def load(session: AsyncSession) -> LeadSettings:
    """Return the vendor's settings, or the defaults before anything was saved."""
    row = await session.get(RoutingSettings, SETTINGS_ROW)
    if row is None:
        return LeadSettings()
    return LeadSettings(
        strategy=Strategy(row.strategy),
        weights=Weights(**row.weights),
        radius_km=row.radius_km,
        acceptance_hours=row.acceptance_hours,
        protection_days=row.protection_days,
        auto_approve_tiers=frozenset(Tier(tier) for tier in row.auto_approve_tiers),
        conflict_policy=row.conflict_policy,
        required_certifications=frozenset(row.required_certifications or ()),
    )


async def get(hub: Hub, *, principal: Principal) -> LeadSettings:
    """Read the settings (vendor staff)."""
    require_vendor_staff(principal)
    async with hub.read() as session:
        return await load(session)


async def update(hub: Hub, *, principal: Principal, changes: dict[str, Any]) -> LeadSettings:
    """Change some settings (vendor staff); the rest keep their values."""
    require_vendor_staff(principal)
    async with hub.write() as session:
        current = await load(session)
        updated = _checked(replace(current, **changes))
        await product_lines.require(
            session,
            updated.required_certifications,
            field="requiredCertifications",
            kept=current.required_certifications,
        )
        row = await session.get(RoutingSettings, SETTINGS_ROW, with_for_update=True)
        if row is None:
            row = RoutingSettings(id=SETTINGS_ROW, round_robin={})
            session.add(row)
        row.strategy = updated.strategy
        row.weights = vars(updated.weights)
        row.radius_km = updated.radius_km
        row.acceptance_hours = updated.acceptance_hours
        row.protection_days = updated.protection_days
        row.auto_approve_tiers = sorted(updated.auto_approve_tiers)
        row.conflict_policy = updated.conflict_policy
        row.required_certifications = sorted(updated.required_certifications)
        row.updated_at = hub.clock.now()
    return updated


def _checked(settings: LeadSettings) -> LeadSettings:
    weights = vars(settings.weights)
    # Weights are relative; huge ones would make the score total infinite and every score NaN.
    if (
        not all(0 <= value <= MAX_WEIGHT for value in weights.values())
        or sum(weights.values()) <= 0
    ):
        raise BadInput(
            f"each weight must be between 0 and {MAX_WEIGHT}, and not all zero", field="weights"
        )
    if not 0 < settings.radius_km <= 2000:
        raise BadInput("radiusKm must be between 0 and 2000", field="radiusKm")
    if not 1 <= settings.acceptance_hours <= 24 * 30:
        raise BadInput("acceptanceHours must be between 1 and 720", field="acceptanceHours")
    if not 1 <= settings.protection_days <= 730:
        raise BadInput("protectionDays must be between 1 and 730", field="protectionDays")
    if not all(isinstance(tier, Tier) for tier in settings.auto_approve_tiers):
        raise BadInput("autoApproveTiers must be tiers", field="autoApproveTiers")
    if settings.conflict_policy not in (ConflictPolicy.REJECT, ConflictPolicy.REVIEW):
        raise BadInput("conflictPolicy must be REJECT or REVIEW", field="conflictPolicy")
    lines = validation.product_lines(
        list(settings.required_certifications), field="requiredCertifications"
    )
    return replace(settings, required_certifications=frozenset(lines))
