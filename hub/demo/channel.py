"""The demo channel: the vendor, partners across several countries, and their people."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

from hub import partners as partner_service
from hub import product_lines
from hub import users as user_service
from hub.demo import world
from hub.errors import Conflict
from hub.partners import PartnerInput, PartnerStatus, PartnerType, TerritoryInput, Tier
from hub.roles import Principal, Role
from hub.runtime import Hub

DEMO_PASSWORD = "channelhub-demo"
VENDOR_ADMIN = ("admin@vendor.example", "Vera Vendor")
# The vendor's product lines: every lead, product, partner and piece of content uses these.
PRODUCT_LINES = (
    ("NETWORKING", "Networking", "Switches, routers and the software that runs them."),
    ("SECURITY", "Security", "Firewalls, secure access and threat detection."),
    ("CLOUD", "Cloud", "Hosted networking and management services."),
    ("STORAGE", "Storage", "Arrays, backup appliances and data protection."),
)
# (organization: None for the vendor, email, name, role) of every other demo user.
PEOPLE: tuple[tuple[str | None, str, str, Role], ...] = (
    (None, "manager@vendor.example", "Carl Channel", Role.CHANNEL_MANAGER),
    ("Northwind Distribution", "admin@northwind.example", "Nadia Brooks", Role.PARTNER_ADMIN),
    ("Lakeside Resellers", "admin@lakeside.example", "Liam Carter", Role.PARTNER_ADMIN),
    ("Golden Gate Systems", "admin@goldengate.example", "Grace Kim", Role.PARTNER_ADMIN),
    ("Prairie IT", "admin@prairie.example", "Priya Shah", Role.PARTNER_ADMIN),
    ("Maple Managed Services", "admin@maple.example", "Marc Tremblay", Role.PARTNER_ADMIN),
    ("Thames Technology", "admin@thames.example", "Tom Ellis", Role.PARTNER_ADMIN),
    ("Highland Referrals", "admin@highland.example", "Hamish Reid", Role.PARTNER_ADMIN),
    ("Rhein Netzwerke", "admin@rhein.example", "Rita Becker", Role.PARTNER_ADMIN),
    ("Bayern Cloud Partner", "admin@bayern.example", "Bastian Huber", Role.PARTNER_ADMIN),
    ("Seine Intégration", "admin@seine.example", "Sophie Martin", Role.PARTNER_ADMIN),
    ("Sakura Solutions", "admin@sakura.example", "Sakura Ito", Role.PARTNER_ADMIN),
    ("Northwind Distribution", "sales@northwind.example", "Noah Price", Role.PARTNER_USER),
    ("Golden Gate Systems", "sales@goldengate.example", "Gabriel Ortiz", Role.PARTNER_USER),
)
Login = tuple[str, str, str]
# (email, password, role) of every demo user.
LOGINS: tuple[Login, ...] = (
    (VENDOR_ADMIN[0], DEMO_PASSWORD, Role.VENDOR_ADMIN.value),
    *((email, DEMO_PASSWORD, role.value) for _, email, _, role in PEOPLE),
)


@dataclass(frozen=True)
class DemoPartner:
    name: str
    type: PartnerType
    tier: Tier
    status: PartnerStatus
    country: str
    city: str
    latitude: float
    longitude: float
    specializations: tuple[str, ...]
    territory: TerritoryInput
    parent: str | None = None


def _p(
    name: str,
    kind: PartnerType,
    tier: Tier,
    country: str,
    city: str,
    lat: float,
    lon: float,
    lines: tuple[str, ...],
    territory: TerritoryInput,
    *,
    status: PartnerStatus = PartnerStatus.ACTIVE,
    parent: str | None = None,
) -> DemoPartner:
    return DemoPartner(name, kind, tier, status, country, city, lat, lon, lines, territory, parent)


def _t(
    name: str,
    countries: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    postal: tuple[str, ...] = (),
) -> TerritoryInput:
    return TerritoryInput(name=name, countries=countries, regions=regions, postal_prefixes=postal)


T, P = Tier, PartnerType
DEMO_PARTNERS = (
    _p(
        "Northwind Distribution",
        P.DISTRIBUTOR,
        T.PLATINUM,
        "US",
        "Chicago",
        41.8781,
        -87.6298,
        ("NETWORKING", "SECURITY", "STORAGE"),
        _t("North America", ("US", "CA")),
    ),
    _p(
        "Lakeside Resellers",
        P.RESELLER,
        T.SILVER,
        "US",
        "Milwaukee",
        43.0389,
        -87.9065,
        ("NETWORKING",),
        _t("Wisconsin", regions=("US-WI",)),
        parent="Northwind Distribution",
    ),
    _p(
        "Prairie IT",
        P.VAR,
        T.GOLD,
        "US",
        "Madison",
        43.0731,
        -89.4012,
        ("SECURITY", "STORAGE"),
        _t("Madison metro", postal=("537",)),
        parent="Northwind Distribution",
    ),
    _p(
        "Golden Gate Systems",
        P.SYSTEM_INTEGRATOR,
        T.PLATINUM,
        "US",
        "San Francisco",
        37.7749,
        -122.4194,
        ("CLOUD", "SECURITY"),
        _t("California", regions=("US-CA",)),
    ),
    _p(
        "Maple Managed Services",
        P.MSP,
        T.GOLD,
        "CA",
        "Toronto",
        43.6532,
        -79.3832,
        ("CLOUD", "NETWORKING"),
        _t("Ontario", regions=("CA-ON",)),
    ),
    _p(
        "Thames Technology",
        P.VAR,
        T.GOLD,
        "GB",
        "London",
        51.5074,
        -0.1278,
        ("STORAGE", "CLOUD"),
        _t("Greater London", postal=("E", "EC", "N", "NW", "SE", "SW", "W", "WC")),
    ),
    _p(
        "Highland Referrals",
        P.REFERRAL,
        T.REGISTERED,
        "GB",
        "Edinburgh",
        55.9533,
        -3.1883,
        ("NETWORKING",),
        _t("Scotland", regions=("GB-SCT",)),
    ),
    _p(
        "Rhein Netzwerke",
        P.RESELLER,
        T.SILVER,
        "DE",
        "Cologne",
        50.9375,
        6.9603,
        ("NETWORKING",),
        _t("NRW", regions=("DE-NW",)),
    ),
    _p(
        "Bayern Cloud Partner",
        P.MSP,
        T.PLATINUM,
        "DE",
        "Munich",
        48.1351,
        11.5820,
        ("CLOUD", "SECURITY"),
        _t("Bavaria", regions=("DE-BY",)),
    ),
    _p(
        "Seine Intégration",
        P.SYSTEM_INTEGRATOR,
        T.SILVER,
        "FR",
        "Paris",
        48.8566,
        2.3522,
        ("CLOUD", "STORAGE"),
        _t("France", ("FR",)),
    ),
    _p(
        "Sakura Solutions",
        P.VAR,
        T.GOLD,
        "JP",
        "Tokyo",
        35.6762,
        139.6503,
        ("SECURITY",),
        _t("Japan", ("JP",)),
    ),
    _p(
        "Harbour Networks",
        P.RESELLER,
        T.REGISTERED,
        "AU",
        "Sydney",
        -33.8688,
        151.2093,
        ("NETWORKING",),
        _t("New South Wales", regions=("AU-NSW",)),
        status=PartnerStatus.ONBOARDING,
    ),
    _p(
        "Outback Security",
        P.MSP,
        T.SILVER,
        "AU",
        "Perth",
        -31.9505,
        115.8605,
        ("SECURITY",),
        _t("Western Australia", regions=("AU-WA",)),
        status=PartnerStatus.SUSPENDED,
    ),
    _p(
        "Andes Digital",
        P.RESELLER,
        T.REGISTERED,
        "BR",
        "São Paulo",
        -23.5505,
        -46.6333,
        ("CLOUD",),
        _t("São Paulo", regions=("BR-SP",)),
        status=PartnerStatus.APPLICANT,
    ),
)


async def found(hub: Hub, end: datetime) -> world.Demo:
    """Create the vendor, its staff, the partners and their users at the start of history."""
    past, clock = world.in_the_past(hub, end)
    email, name = VENDOR_ADMIN
    admin = await user_service.create_admin(past, email=email, password=DEMO_PASSWORD, name=name)
    vendor = Principal(
        user_id=admin.id, organization_id=admin.organization_id, role=Role.VENDOR_ADMIN
    )
    for code, title, about in PRODUCT_LINES:
        # A line already on the vendor's list is kept as it is.
        with contextlib.suppress(Conflict):
            await product_lines.create(
                past, principal=vendor, data=product_lines.ProductLineInput(code, title, about)
            )
    partners: dict[str, str] = {}
    for partner in DEMO_PARTNERS:
        created = await partner_service.create(
            past, principal=vendor, data=_input(partner, partners)
        )
        partners[partner.name] = created.id
    # Passwords are hashed in threads: side by side, the slow part of seeding takes a fraction.
    people = await asyncio.gather(
        *(
            _user(past, vendor, partners[org] if org else admin.organization_id, mail, who, role)
            for org, mail, who, role in PEOPLE
        )
    )
    return world.Demo(
        hub=past,
        clock=clock,
        end=end,
        vendor=vendor,
        manager=people[0],
        partners=partners,
        people={
            email: vendor,
            **{mail: person for (_, mail, _, _), person in zip(PEOPLE, people, strict=True)},
        },
    )


def _input(demo: DemoPartner, ids: dict[str, str]) -> PartnerInput:
    return PartnerInput(
        name=demo.name,
        type=demo.type,
        tier=demo.tier,
        status=demo.status,
        country=demo.country,
        city=demo.city,
        latitude=demo.latitude,
        longitude=demo.longitude,
        parent_id=ids[demo.parent] if demo.parent else None,
        specializations=demo.specializations,
        territories=(demo.territory,),
        website=f"https://{demo.name.split()[0].lower()}.example",
    )


async def _user(
    hub: Hub, vendor: Principal, organization_id: str, email: str, name: str, role: Role
) -> Principal:
    issued = await user_service.invite(
        hub, principal=vendor, organization_id=organization_id, email=email, name=name, role=role
    )
    user = await user_service.accept_invite(
        hub, token=issued.token, password=DEMO_PASSWORD, name=None
    )
    return Principal(user_id=user.id, organization_id=organization_id, role=role)
