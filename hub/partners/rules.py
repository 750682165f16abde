"""Partner enums, lifecycle transitions and input checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from hub import validation
from hub.errors import BadInput


class PartnerType(StrEnum):
    RESELLER = "RESELLER"
    DISTRIBUTOR = "DISTRIBUTOR"
    VAR = "VAR"
    MSP = "MSP"
    REFERRAL = "REFERRAL"
    SYSTEM_INTEGRATOR = "SYSTEM_INTEGRATOR"


class Tier(StrEnum):
    REGISTERED = "REGISTERED"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


class PartnerStatus(StrEnum):
    APPLICANT = "APPLICANT"
    ONBOARDING = "ONBOARDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


TRANSITIONS: dict[PartnerStatus, frozenset[PartnerStatus]] = {
    PartnerStatus.APPLICANT: frozenset({PartnerStatus.ONBOARDING, PartnerStatus.TERMINATED}),
    PartnerStatus.ONBOARDING: frozenset({PartnerStatus.ACTIVE, PartnerStatus.TERMINATED}),
    PartnerStatus.ACTIVE: frozenset({PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED}),
    PartnerStatus.SUSPENDED: frozenset({PartnerStatus.ACTIVE, PartnerStatus.TERMINATED}),
    PartnerStatus.TERMINATED: frozenset(),
}
NEEDS_REASON = frozenset({PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED})

# Fields a partner admin may change on their own profile; the rest is the vendor's call.
SELF_SERVICE_FIELDS = frozenset(
    {
        "street",
        "city",
        "region",
        "postal_code",
        "latitude",
        "longitude",
        "website",
        "description",
        "language",
    }
)
PROFILE_FIELDS = SELF_SERVICE_FIELDS | frozenset(
    {
        "name",
        "legal_name",
        "type",
        "country",
        "parent_id",
        "lead_capacity",
        "specializations",
        "territories",
    }
)
MAX_TERRITORIES = 50
MAX_TERRITORY_ENTRIES = 500
MAX_SPECIALIZATIONS = 50


@dataclass(frozen=True)
class TerritoryInput:
    name: str
    countries: Sequence[str] = ()
    regions: Sequence[str] = ()
    postal_prefixes: Sequence[str] = ()


@dataclass(frozen=True)
class CheckedTerritory:
    name: str
    countries: list[str]
    regions: list[str]
    postal_prefixes: list[str]


@dataclass(frozen=True)
class ContactInput:
    name: str
    email: str
    password: str


@dataclass(frozen=True)
class PartnerInput:
    name: str
    type: PartnerType
    country: str
    tier: Tier = Tier.REGISTERED
    status: PartnerStatus = PartnerStatus.ONBOARDING
    legal_name: str | None = None
    parent_id: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    lead_capacity: int = 10
    website: str | None = None
    description: str | None = None
    specializations: Sequence[str] = ()
    territories: Sequence[TerritoryInput] = field(default_factory=tuple)


def check_transition(current: PartnerStatus, target: PartnerStatus, reason: str | None) -> None:
    """Refuse a status change the lifecycle does not allow."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final)"
        raise BadInput(
            f"a {current} partner cannot become {target}; allowed: {allowed}",
            field="status",
        )
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise BadInput(f"a reason is required to make a partner {target}", field="reason")


def check_specializations(values: Sequence[str]) -> list[str]:
    """Normalise product lines, dropping duplicates and keeping order."""
    if len(values) > MAX_SPECIALIZATIONS:
        raise BadInput(f"at most {MAX_SPECIALIZATIONS} specializations", field="specializations")
    codes = [validation.product_line(value, field="specializations") for value in values]
    return list(dict.fromkeys(codes))


def check_territories(values: Sequence[TerritoryInput]) -> list[CheckedTerritory]:
    """Validate territories: unique names, ISO countries and regions, postal prefixes."""
    if len(values) > MAX_TERRITORIES:
        raise BadInput(f"at most {MAX_TERRITORIES} territories", field="territories")
    checked = [_check_territory(index, value) for index, value in enumerate(values)]
    names = [territory.name.lower() for territory in checked]
    if len(set(names)) != len(names):
        raise BadInput("territory names must be unique", field="territories.name")
    return checked


def _check_territory(index: int, value: TerritoryInput) -> CheckedTerritory:
    prefix = f"territories.{index}"
    name = validation.text(value.name, field=f"{prefix}.name", max_length=120)
    entries = len(value.countries) + len(value.regions) + len(value.postal_prefixes)
    if entries == 0:
        raise BadInput(
            "a territory needs at least one country, region or postal prefix",
            field=prefix,
        )
    if entries > MAX_TERRITORY_ENTRIES:
        raise BadInput(f"a territory holds at most {MAX_TERRITORY_ENTRIES} entries", field=prefix)
    countries = [validation.country(code, field=f"{prefix}.countries") for code in value.countries]
    regions = [validation.subdivision(code, field=f"{prefix}.regions") for code in value.regions]
    postal = [
        validation.postal_prefix(code, field=f"{prefix}.postalPrefixes")
        for code in value.postal_prefixes
    ]
    return CheckedTerritory(
        name=name,
        countries=list(dict.fromkeys(countries)),
        regions=list(dict.fromkeys(regions)),
        postal_prefixes=list(dict.fromkeys(postal)),
    )


def check_lead_capacity(value: int) -> int:
    """Check the number of open leads a partner can take."""
    if not 0 <= value <= 10_000:
        raise BadInput("leadCapacity must be between 0 and 10000", field="leadCapacity")
    return value
