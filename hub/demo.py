"""Demo data: a vendor, a channel across several countries, and logins to try."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from hub import partners as partner_service
from hub import users as user_service
from hub.orders import catalog, stock
from hub.partners import PartnerInput, PartnerStatus, PartnerType, TerritoryInput, Tier
from hub.roles import Principal, Role
from hub.runtime import Hub
from storage.models import User

DEMO_PASSWORD = "channelhub-demo"


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
    admin_email: str | None = None


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
    admin: str | None = None,
) -> DemoPartner:
    return DemoPartner(
        name, kind, tier, status, country, city, lat, lon, lines, territory, parent, admin
    )


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
        admin="admin@northwind.example",
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
        admin="admin@lakeside.example",
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
        admin="admin@goldengate.example",
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


async def seeded(hub: Hub) -> bool:
    """Tell whether the database already holds users."""
    async with hub.db() as session:
        return bool(await session.scalar(select(func.count()).select_from(User)))


async def seed(hub: Hub) -> list[tuple[str, str, str]]:
    """Create the demo channel; return (email, password, role) of the demo logins."""
    admin = await user_service.create_admin(
        hub, email="admin@vendor.example", password=DEMO_PASSWORD, name="Vera Vendor"
    )
    vendor = Principal(
        user_id=admin.id, organization_id=admin.organization_id, role=Role.VENDOR_ADMIN
    )
    logins = [(admin.email, DEMO_PASSWORD, Role.VENDOR_ADMIN.value)]
    logins.append(
        await _user(
            hub,
            vendor,
            admin.organization_id,
            "manager@vendor.example",
            "Carl Channel",
            Role.CHANNEL_MANAGER,
        )
    )
    ids: dict[str, str] = {}
    for demo in DEMO_PARTNERS:
        partner = await partner_service.create(hub, principal=vendor, data=_input(demo, ids))
        ids[demo.name] = partner.id
        if demo.admin_email:
            logins.append(
                await _user(
                    hub,
                    vendor,
                    partner.id,
                    demo.admin_email,
                    f"{demo.name} Admin",
                    Role.PARTNER_ADMIN,
                )
            )
    await _catalog(hub, vendor)
    return logins


DEMO_PRODUCTS = (
    ("SW-24", "Switch 24-port", "NETWORKING", 129_900),
    ("SW-48", "Switch 48-port", "NETWORKING", 219_900),
    ("FW-100", "Firewall 100", "SECURITY", 349_900),
    ("NAS-8", "Storage array 8-bay", "STORAGE", 499_900),
)


async def _catalog(hub: Hub, vendor: Principal) -> None:
    """A small catalog with tier discounts and stock in two warehouses."""
    for sku, name, line, usd in DEMO_PRODUCTS:
        prices = {"USD": usd, "EUR": usd * 92 // 100}
        await catalog.create(
            hub, principal=vendor, data=catalog.ProductInput(sku, name, line, prices)
        )
    for tier, basis_points in ((Tier.SILVER, 500), (Tier.GOLD, 1000), (Tier.PLATINUM, 1500)):
        await catalog.set_tier_discount(
            hub, principal=vendor, tier=tier, basis_points=basis_points, sku=None
        )
    await stock.create_warehouse(hub, principal=vendor, code="RNO", name="Reno", country="US")
    await stock.create_warehouse(hub, principal=vendor, code="AMS", name="Amsterdam", country="NL")
    for sku, _, _, _ in DEMO_PRODUCTS:
        await stock.set_stock(hub, principal=vendor, sku=sku, warehouse="RNO", on_hand=40)
        await stock.set_stock(hub, principal=vendor, sku=sku, warehouse="AMS", on_hand=25)


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
) -> tuple[str, str, str]:
    issued = await user_service.invite(
        hub, principal=vendor, organization_id=organization_id, email=email, name=name, role=role
    )
    await user_service.accept_invite(hub, token=issued.token, password=DEMO_PASSWORD, name=None)
    return email, DEMO_PASSWORD, role.value
