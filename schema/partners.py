"""GraphQL types of the partner directory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub import files
from hub import partners as partner_service
from hub.partners import PartnerStatus, PartnerType, Tier, logos
from hub.programs import onboarding
from schema.arguments import ExpiresInSeconds
from schema.context import Info
from schema.enums import described_enum
from schema.identity import IdentityLoaders, Organization, User
from schema.inputs import to_hub
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from storage.models import Partner as PartnerModel
from storage.models import PartnerChange as PartnerChangeModel
from storage.models import Territory as TerritoryModel
from storage.models.partners import PartnerLogo as LogoModel

if TYPE_CHECKING:
    from schema.training import TierCompliance

described_enum(
    PartnerType,
    name="PartnerType",
    description="How a partner sells the vendor's products.",
    values={
        "RESELLER": "Resells the products to end customers.",
        "DISTRIBUTOR": "Buys in bulk and supplies sub-resellers (a multi-tier channel).",
        "VAR": "A value-added reseller: resells with services or products of its own.",
        "MSP": "A managed service provider: runs the products for its customers.",
        "REFERRAL": "Refers customers to the vendor without reselling.",
        "SYSTEM_INTEGRATOR": "Implements and integrates the products for customers.",
    },
)
described_enum(
    Tier,
    name="Tier",
    description="The partner program's tiers, lowest first.",
    values={
        "REGISTERED": "The entry tier of every new partner.",
        "SILVER": "The second tier, above REGISTERED; see tierRequirements for what it takes.",
        "GOLD": "The third tier; with PLATINUM, the partners that bring most revenue.",
        "PLATINUM": "The top tier, for the channel's strongest partners.",
    },
)
described_enum(
    PartnerStatus,
    name="PartnerStatus",
    description="A partner's lifecycle: APPLICANT, ONBOARDING, ACTIVE, SUSPENDED, TERMINATED.",
    values={
        "APPLICANT": "Applied to join; awaits approval or rejection.",
        "ONBOARDING": "Approved; becomes ACTIVE once its onboarding checklist is complete.",
        "ACTIVE": "A full partner: gets leads and may order.",
        "SUSPENDED": "Temporarily barred from leads and orders; may become ACTIVE again.",
        "TERMINATED": "Left the channel for good; no further change.",
    },
)


@strawberry.type(description="A named set of countries, regions and postal-code prefixes.")
class Territory:
    name: str = strawberry.field(description='The territory\'s name, e.g. "DACH".')
    countries: list[str] = strawberry.field(description="Countries it covers, ISO 3166-1 alpha-2.")
    regions: list[str] = strawberry.field(
        description="Regions it covers, ISO 3166-2 codes such as US-CA."
    )
    postal_prefixes: list[str] = strawberry.field(
        description='Postal-code prefixes it covers, e.g. "80" for 80000-80999.'
    )

    @classmethod
    def from_model(cls, model: TerritoryModel) -> Territory:
        return cls(
            name=model.name,
            countries=list(model.countries),
            regions=list(model.regions),
            postal_prefixes=list(model.postal_prefixes),
        )


@strawberry.type(description="One tier or status change.")
class PartnerChange:
    from_value: str | None = strawberry.field(
        description="The tier or status before the change; null for the first one."
    )
    to_value: str = strawberry.field(description="The tier or status after the change.")
    reason: str | None = strawberry.field(description="Why the change was made, as given.")
    changed_at: datetime = strawberry.field(description="When the change was made (RFC 3339, UTC).")
    changed_by_id: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, model: PartnerChangeModel) -> PartnerChange:
        return cls(
            from_value=model.from_value,
            to_value=model.to_value,
            reason=model.reason,
            changed_at=model.changed_at,
            changed_by_id=model.changed_by_id,
        )

    @strawberry.field(description="Who made the change; null when unknown or not visible.")
    async def changed_by(self, info: Info) -> User | None:
        if self.changed_by_id is None:
            return None
        model = await IdentityLoaders.of(info).user_by_id.load(self.changed_by_id)
        return User.from_model(model) if model else None


described_enum(
    onboarding.ItemKey,
    name="OnboardingItemKey",
    description="AGREEMENTS_ACCEPTED: the current version of every required agreement of the "
    "published programs; USER_CERTIFIED: a user holds a valid certification; "
    "PROFILE_COMPLETE: legal name, street, city, postal code, website and description.",
    values={
        "AGREEMENTS_ACCEPTED": "The current version of every required agreement of the published "
        "programs is accepted.",
        "USER_CERTIFIED": "At least one of the partner's users holds a valid certification.",
        "PROFILE_COMPLETE": "Legal name, street, city, postal code, website and description are "
        "filled in.",
    },
)


@strawberry.type(description="One step of onboarding.")
class OnboardingItem:
    key: onboarding.ItemKey = strawberry.field(description="Which step this is.")
    done: bool = strawberry.field(description="True when the step is done.")
    detail: str = strawberry.field(description="What is done, or what is left to do.")


@strawberry.type(description="What an ONBOARDING partner must do; once complete it becomes ACTIVE.")
class OnboardingChecklist:
    complete: bool = strawberry.field(description="True when every item is done.")
    items: list[OnboardingItem] = strawberry.field(
        description="The checklist's steps, in a fixed order."
    )

    @classmethod
    def of(cls, found: onboarding.Checklist) -> OnboardingChecklist:
        return cls(
            complete=found.complete,
            items=[OnboardingItem(key=i.key, done=i.done, detail=i.detail) for i in found.items],
        )


@strawberry.type(description="A partner company: profile, tier, lifecycle and channel position.")
class Partner(Node):
    id: strawberry.ID = strawberry.field(
        description="The partner's id, also the id of its organization."
    )
    name: str = strawberry.field(description="The partner's display name, as shown in the locator.")
    legal_name: str | None = strawberry.field(
        description="The registered company name, when it differs from the display name."
    )
    type: PartnerType = strawberry.field(
        description="How the partner sells: reseller, distributor, VAR, MSP, referral or "
        "integrator."
    )
    tier: Tier = strawberry.field(
        description="The partner's program tier, which gates leads, collateral and funds."
    )
    status: PartnerStatus = strawberry.field(description="Where the partner is in its lifecycle.")
    status_reason: str | None = strawberry.field(
        description="Why the partner has its current status (e.g. why it was suspended)."
    )
    street: str | None = strawberry.field(description="Street and number of the partner's address.")
    city: str | None = strawberry.field(description="City of the partner's address.")
    region: str | None = strawberry.field(
        description="Region of the address as ISO 3166-2 subdivision code, e.g. US-CA."
    )
    postal_code: str | None = strawberry.field(description="Postal code of the partner's address.")
    country: str = strawberry.field(
        description="Country of the partner's address, ISO 3166-1 alpha-2."
    )
    latitude: float | None = strawberry.field(
        description="Latitude of the partner's location in decimal degrees (WGS 84), for the "
        "locator."
    )
    longitude: float | None = strawberry.field(
        description="Longitude of the partner's location in decimal degrees (WGS 84), for the "
        "locator."
    )
    lead_capacity: int = strawberry.field(
        description="How many open leads routing gives the partner at once."
    )
    website: str | None = strawberry.field(description="The partner's website URL.")
    description: str | None = strawberry.field(
        description="What the partner offers, as shown in the locator."
    )
    version: int = strawberry.field(description="Incremented on every change of the profile.")
    created_at: datetime = strawberry.field(
        description="When the partner was created or applied (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the profile last changed (RFC 3339, UTC)."
    )
    distance_km: float | None = strawberry.field(
        default=None, description="Distance from the `near` point of the partner locator."
    )
    parent_id: strawberry.Private[str | None] = None

    @classmethod
    def maybe(cls, model: PartnerModel | None) -> Partner | None:
        return cls.from_model(model) if model else None

    @classmethod
    def from_model(cls, model: PartnerModel, distance_km: float | None = None) -> Partner:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            legal_name=model.legal_name,
            type=PartnerType(model.type),
            tier=Tier(model.tier),
            status=PartnerStatus(model.status),
            status_reason=model.status_reason,
            street=model.street,
            city=model.city,
            region=model.region,
            postal_code=model.postal_code,
            country=model.country,
            latitude=model.latitude,
            longitude=model.longitude,
            lead_capacity=model.lead_capacity,
            website=model.website,
            description=model.description,
            version=model.version,
            created_at=model.created_at,
            updated_at=model.updated_at,
            distance_km=distance_km,
            parent_id=model.parent_id,
        )

    @strawberry.field(description="The language (ISO 639-1) its people get email in.")
    async def language(self, info: Info) -> str:
        return await PartnerLoaders.of(info).language_by_partner.load(str(self.id))

    @strawberry.field(description="The distributor this partner buys through, if visible.")
    async def parent(self, info: Info) -> Partner | None:
        if self.parent_id is None:
            return None
        model = await IdentityLoaders.of(info).partner_by_id.load(self.parent_id)
        return Partner.from_model(model) if model else None

    @strawberry.field(description="What its co-branded collateral carries; null until uploaded.")
    async def logo(self, info: Info) -> PartnerLogo | None:
        model = await PartnerLoaders.of(info).logo_by_partner.load(str(self.id))
        return None if model is None else PartnerLogo.from_model(model)

    @strawberry.field(
        description="Its onboarding checklist: for vendor-side accounts, the partner itself "
        "and its distributor; null for anyone else."
    )
    async def onboarding(self, info: Info) -> OnboardingChecklist | None:
        principal = info.context.require_principal()
        if not principal.is_vendor and principal.organization_id not in (
            str(self.id),
            self.parent_id,
        ):
            return None
        found = await PartnerLoaders.of(info).onboarding_by_partner.load(str(self.id))
        return None if found is None else OnboardingChecklist.of(found)

    @strawberry.field(description="Sub-partners of a distributor.")
    async def sub_partners(self, info: Info) -> list[Partner]:
        models = await PartnerLoaders.of(info).partners_by_parent.load(self.id)
        return [Partner.from_model(model) for model in models]

    @strawberry.field(description="Product lines the partner is specialised in.")
    async def specializations(self, info: Info) -> list[str]:
        return await PartnerLoaders.of(info).specializations_by_partner.load(self.id)

    @strawberry.field(
        description="The territories the partner covers, which routing matches leads against."
    )
    async def territories(self, info: Info) -> list[Territory]:
        models = await PartnerLoaders.of(info).territories_by_partner.load(self.id)
        return [Territory.from_model(model) for model in models]

    @strawberry.field(description="Tier changes, oldest first.")
    async def tier_history(self, info: Info) -> list[PartnerChange]:
        models = await PartnerLoaders.of(info).changes_by_partner_field.load((self.id, "tier"))
        return [PartnerChange.from_model(model) for model in models]

    @strawberry.field(description="Status changes, oldest first.")
    async def status_history(self, info: Info) -> list[PartnerChange]:
        models = await PartnerLoaders.of(info).changes_by_partner_field.load((self.id, "status"))
        return [PartnerChange.from_model(model) for model in models]

    @strawberry.field(
        description="Certified users against the current and next tier's requirements; "
        "null unless the caller is vendor-side or one of the partner's users."
    )
    async def tier_compliance(
        self, info: Info
    ) -> Annotated[TierCompliance, strawberry.lazy("schema.training")] | None:
        from schema.training import TierCompliance, TrainingLoaders

        found = await TrainingLoaders.of(info).compliance_by_partner_tier.load((self.id, self.tier))
        return TierCompliance.from_hub(found) if found else None

    @strawberry.field(description="The partner's organization, whose users act for it.")
    async def organization(self, info: Info) -> Organization:
        model = await IdentityLoaders.of(info).organization_by_id.load(self.id)
        assert model is not None, "a visible partner's organization is visible"
        return Organization.from_model(model)


@strawberry.input(description="A named territory: countries, regions and postal-code prefixes.")
class TerritoryInput:
    name: str = strawberry.field(description='The territory\'s name, e.g. "DACH".')
    countries: list[str] = strawberry.field(
        default_factory=list, description="Countries it covers, ISO 3166-1 alpha-2."
    )
    regions: list[str] = strawberry.field(
        default_factory=list, description="ISO 3166-2 codes such as US-CA."
    )
    postal_prefixes: list[str] = strawberry.field(
        default_factory=list,
        description='Postal-code prefixes it covers, e.g. "80" for 80000-80999.',
    )


@strawberry.input(description="A new partner (vendor staff).")
class PartnerInput:
    name: str = strawberry.field(description="The partner's display name.")
    type: PartnerType = strawberry.field(description="How the partner sells.")
    country: str = strawberry.field(
        description="Country of the partner's address, ISO 3166-1 alpha-2."
    )
    tier: Tier = strawberry.field(
        default=Tier.REGISTERED, description="The tier the partner starts in."
    )
    status: PartnerStatus = strawberry.field(
        default=PartnerStatus.ONBOARDING, description="The status the partner starts with."
    )
    legal_name: str | None = strawberry.field(
        default=None, description="The registered company name."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The distributor the partner buys through, for a sub-reseller."
    )
    street: str | None = strawberry.field(
        default=None, description="Street and number of the partner's address."
    )
    city: str | None = strawberry.field(default=None, description="City of the partner's address.")
    region: str | None = strawberry.field(
        default=None, description="Region of the address, ISO 3166-2 code such as US-CA."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Postal code of the partner's address."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the partner's location in decimal degrees (WGS 84)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the partner's location in decimal degrees (WGS 84)."
    )
    lead_capacity: int = strawberry.field(
        default=10, description="How many open leads routing gives the partner at once."
    )
    website: str | None = strawberry.field(default=None, description="The partner's website URL.")
    description: str | None = strawberry.field(
        default=None, description="What the partner offers, as shown in the locator."
    )
    specializations: list[str] = strawberry.field(
        default_factory=list, description="Product line codes the partner specialises in."
    )
    territories: list[TerritoryInput] = strawberry.field(
        default_factory=list, description="The territories the partner covers."
    )


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class PartnerUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new display name."
    )
    legal_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new registered company name; null clears it."
    )
    type: PartnerType | None = strawberry.field(
        default=strawberry.UNSET, description="The new partner type."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new distributor; null makes the partner a direct one.",
    )
    street: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new street and number; null clears it."
    )
    city: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new city; null clears it."
    )
    region: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new region, ISO 3166-2 code; null clears it."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new postal code; null clears it."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new country, ISO 3166-1 alpha-2."
    )
    latitude: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new latitude in decimal degrees (WGS 84); null clears it.",
    )
    longitude: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new longitude in decimal degrees (WGS 84); null clears it.",
    )
    lead_capacity: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new number of open leads routing gives the partner at once.",
    )
    website: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new website URL; null clears it."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new description; null clears it."
    )
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 639-1; email goes out in it where a translation exists (en, de).",
    )
    specializations: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The product line codes to replace the specializations with.",
    )
    territories: list[TerritoryInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The territories to replace the current ones with."
    )

    def changes(self) -> dict[str, Any]:
        """Return only the fields the client sent."""
        sent = {key: value for key, value in vars(self).items() if value is not strawberry.UNSET}
        if sent.get("territories") is not None:
            sent["territories"] = [
                to_hub(territory, partner_service.TerritoryInput)
                for territory in sent["territories"]
            ]
        return sent


@strawberry.input(
    description="The person applying for a partner company, with the login they will use."
)
class ContactInput:
    name: str = strawberry.field(description="The person's name.")
    email: str = strawberry.field(description="The person's email address, to log in with.")
    password: str = strawberry.field(
        description="The password to log in with once the application is approved."
    )


@strawberry.input(description="A company applying to join the channel.")
class PartnerApplicationInput:
    name: str = strawberry.field(description="The company's display name.")
    type: PartnerType = strawberry.field(description="How the company means to sell.")
    country: str = strawberry.field(
        description="Country of the company's address, ISO 3166-1 alpha-2."
    )
    contact: ContactInput = strawberry.field(
        description="The person applying, who becomes the partner's first admin."
    )
    legal_name: str | None = strawberry.field(
        default=None, description="The registered company name."
    )
    street: str | None = strawberry.field(
        default=None, description="Street and number of the company's address."
    )
    city: str | None = strawberry.field(default=None, description="City of the company's address.")
    region: str | None = strawberry.field(
        default=None, description="Region of the address, ISO 3166-2 code such as US-CA."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Postal code of the company's address."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the company's location in decimal degrees (WGS 84)."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the company's location in decimal degrees (WGS 84)."
    )
    website: str | None = strawberry.field(default=None, description="The company's website URL.")
    description: str | None = strawberry.field(default=None, description="What the company offers.")
    specializations: list[str] = strawberry.field(
        default_factory=list, description="Product line codes the company specialises in."
    )

    def to_hub(self) -> tuple[partner_service.PartnerInput, partner_service.ContactInput]:
        """The applicant company and its first user."""
        return (
            to_hub(self, partner_service.PartnerInput),
            to_hub(self.contact, partner_service.ContactInput),
        )


@strawberry.input(description="The partner locator: partners within radiusKm, nearest first.")
class NearInput:
    latitude: float = strawberry.field(
        description="Latitude of the point in decimal degrees (WGS 84)."
    )
    longitude: float = strawberry.field(
        description="Longitude of the point in decimal degrees (WGS 84)."
    )
    radius_km: float = strawberry.field(description="How far from the point, in kilometres.")


@strawberry.input(description="Partners by tier, type, status and country; all given must hold.")
class PartnerTraitsFilter:
    """The conditions every list of partners takes (partners, partnerScorecards)."""

    tiers: list[Tier] | None = strawberry.field(
        default=None, description="Only partners in one of these tiers."
    )
    types: list[PartnerType] | None = strawberry.field(
        default=None, description="Only partners of one of these types."
    )
    statuses: list[PartnerStatus] | None = strawberry.field(
        default=None, description="Only partners with one of these statuses."
    )
    country: str | None = strawberry.field(
        default=None, description="Only partners in this country, ISO 3166-1 alpha-2."
    )


@strawberry.input(description="Which partners to list; the conditions given must all hold.")
class PartnerFilter(PartnerTraitsFilter):
    specialization: str | None = strawberry.field(
        default=None, description="Only partners specialised in this product line (its code)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Only partners whose name or legal name contains this text, in any case.",
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the sub-partners of this distributor."
    )
    near: NearInput | None = strawberry.field(
        default=None,
        description="Only partners within a radius of a point, nearest first (the partner "
        "locator).",
    )


@strawberry.type(description="A partner's logo (PNG or JPEG).")
class PartnerLogo:
    file_name: str = strawberry.field(description="The logo file's name as uploaded.")
    content_type: str = strawberry.field(
        description="The logo's media type: image/png or image/jpeg."
    )
    size: float = strawberry.field(description="The logo file's size in bytes.")
    width: int = strawberry.field(description="The logo's width in pixels.")
    height: int = strawberry.field(description="The logo's height in pixels.")
    sha256: str = strawberry.field(
        description="The SHA-256 digest of the logo file, lowercase hex."
    )
    uploaded_at: datetime = strawberry.field(
        description="When the logo was uploaded (RFC 3339, UTC)."
    )
    object_key: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: LogoModel) -> PartnerLogo:
        return cls(
            file_name=model.file_name,
            content_type=model.content_type,
            size=model.size,
            width=model.width,
            height=model.height,
            sha256=model.sha256,
            uploaded_at=model.uploaded_at,
            object_key=model.object_key,
        )

    @strawberry.field(description="A short-lived download URL.")
    async def download_url(
        self,
        info: Info,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> str:
        return await files.download_url(
            info.context.hub,
            self.object_key,
            file_name=self.file_name,
            content_type=self.content_type,
            expires_in=expires_in_seconds,
        )


class PartnerLoaders(LoaderSet):
    """A partner's sub-resellers, specializations, territories and field history."""

    onboarding_by_partner = loader[str, onboarding.Checklist | None](
        lambda hub, principal, ids: onboarding.checklists(hub, ids)
    )
    partners_by_parent = loader[str, list[PartnerModel]](
        lambda hub, principal, ids: partner_service.children_by_parent(
            hub, principal=principal, ids=ids
        )
    )
    specializations_by_partner = loader[str, list[str]](
        lambda hub, principal, ids: partner_service.specializations_by_partner(hub, ids)
    )
    territories_by_partner = loader[str, list[TerritoryModel]](
        lambda hub, principal, ids: partner_service.territories_by_partner(hub, ids)
    )
    changes_by_partner_field = loader[tuple[str, str], list[PartnerChangeModel]](
        lambda hub, principal, ids: partner_service.changes_by_partner(hub, ids)
    )
    logo_by_partner = loader[str, LogoModel | None](
        lambda hub, principal, ids: logos.by_partner(hub, ids)
    )
    language_by_partner = loader[str, str](
        lambda hub, principal, ids: partner_service.languages_by_partner(hub, ids)
    )


async def partner_of(info: Info, partner_id: str) -> Partner:
    """A partner the resolving object was made for (one the caller may see), by id."""
    model = await IdentityLoaders.of(info).partner_by_id.load(partner_id)
    if model is None:
        raise RuntimeError(f"partner {partner_id} is gone or not visible")
    return Partner.from_model(model)
