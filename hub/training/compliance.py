"""Tier requirements: certified users per product line a partner needs for a tier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from hub import product_lines, validation
from hub.db import upsert
from hub.errors import BadInput
from hub.partners.rules import Tier
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from hub.training import certifications
from storage.models import TierRequirement

TIERS = (Tier.REGISTERED, Tier.SILVER, Tier.GOLD, Tier.PLATINUM)
MAX_REQUIRED = 1000


@dataclass(frozen=True)
class RequirementStatus:
    product_line: str
    required: int
    current: int

    @property
    def met(self) -> bool:
        return self.current >= self.required

    @property
    def missing(self) -> int:
        return max(self.required - self.current, 0)


@dataclass(frozen=True)
class TierStatus:
    tier: Tier
    requirements: list[RequirementStatus]

    @property
    def met(self) -> bool:
        return all(requirement.met for requirement in self.requirements)


@dataclass(frozen=True)
class Compliance:
    current: TierStatus
    next: TierStatus | None


async def set_requirement(
    hub: Hub, *, principal: Principal, tier: Tier, product_line: str, certified_users: int
) -> list[TierRequirement]:
    """Require a number of certified users per product line for a tier; 0 removes it."""
    require_vendor_staff(principal)
    line = validation.product_line(product_line, field="productLine")
    if not 0 <= certified_users <= MAX_REQUIRED:
        raise BadInput(
            f"certifiedUsers must be between 0 and {MAX_REQUIRED}", field="certifiedUsers"
        )
    async with hub.write() as session:
        if certified_users == 0:
            await session.execute(
                delete(TierRequirement).where(
                    TierRequirement.tier == tier, TierRequirement.product_line == line
                )
            )
        else:
            await product_lines.require(session, [line], field="productLine")
            values = {"certified_users": certified_users, "updated_at": hub.clock.now()}
            await session.execute(
                upsert(session, TierRequirement)
                .values(tier=tier, product_line=line, **values)
                .on_conflict_do_update(index_elements=["tier", "product_line"], set_=values)
            )
    return await requirements(hub)


async def requirements(hub: Hub) -> list[TierRequirement]:
    """Every tier requirement, by tier rank then product line."""
    async with hub.read() as session:
        rows = list((await session.execute(select(TierRequirement))).scalars())
    return sorted(rows, key=lambda row: (TIERS.index(Tier(row.tier)), row.product_line))


async def compliance_by_partner(
    hub: Hub, *, principal: Principal, keys: Sequence[tuple[str, str]]
) -> list[Compliance | None]:
    """Each (partner, tier) against its tier and the next; None for callers outside it."""
    allowed = [
        partner
        for partner, _ in keys
        if principal.is_vendor or partner == principal.organization_id
    ]
    if not allowed:
        return [None] * len(keys)
    async with hub.read() as session:
        rows = list((await session.execute(select(TierRequirement))).scalars())
        counts = await certifications.certified_counts(session, allowed, hub.clock.now())
    by_tier: dict[str, list[TierRequirement]] = {}
    for row in sorted(rows, key=lambda row: row.product_line):
        by_tier.setdefault(row.tier, []).append(row)

    def status(partner: str, tier: Tier) -> TierStatus:
        return TierStatus(
            tier,
            [
                RequirementStatus(
                    row.product_line,
                    row.certified_users,
                    counts.get((partner, row.product_line), 0),
                )
                for row in by_tier.get(tier, [])
            ],
        )

    result: list[Compliance | None] = []
    for partner, tier_name in keys:
        if partner not in allowed:
            result.append(None)
            continue
        tier = Tier(tier_name)
        rank = TIERS.index(tier)
        upper = TIERS[rank + 1] if rank + 1 < len(TIERS) else None
        result.append(Compliance(status(partner, tier), status(partner, upper) if upper else None))
    return result
