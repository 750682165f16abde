"""GraphQL types of the partner directory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from hub import files
from hub import partners as partner_service
from hub.partners import PartnerStatus, PartnerType, Tier, logos
from hub.programs import onboarding
from schema.context import Info
from schema.identity import IdentityLoaders, Organization, User
from schema.inputs import to_hub
from schema.loading import LoaderSet, loader
from storage.models import Partner as PartnerModel
from storage.models import PartnerChange as PartnerChangeModel
from storage.models import Territory as TerritoryModel
from storage.models.partners import PartnerLogo as LogoModel

if TYPE_CHECKING:
    from schema.training import TierCompliance

strawberry.enum(PartnerType, name="PartnerType")
strawberry.enum(Tier, name="Tier")
strawberry.enum(PartnerStatus, name="PartnerStatus")


@strawberry.type(description="A named set of countries, regions and postal-code prefixes.")
class Territory:
    name: str
    countries: list[str]
    regions: list[str]
    postal_prefixes: list[str]

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
    from_value: str | None
    to_value: str
    reason: str | None
    changed_at: datetime
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


strawberry.enum(
    onboarding.ItemKey,
    name="OnboardingItemKey",
    description="AGREEMENTS_ACCEPTED: the current version of every required agreement of the "
    "published programs; USER_CERTIFIED: a user holds a valid certification; "
    "PROFILE_COMPLETE: legal name, street, city, postal code, website and description.",
)


@strawberry.type(description="One step of onboarding.")
class OnboardingItem:
    key: onboarding.ItemKey
    done: bool
    detail: str = strawberry.field(description="What is done, or what is left to do.")


@strawberry.type(description="What an ONBOARDING partner must do; once complete it becomes ACTIVE.")
class OnboardingChecklist:
    complete: bool
    items: list[OnboardingItem]

    @classmethod
    def of(cls, found: onboarding.Checklist) -> OnboardingChecklist:
        return cls(
            complete=found.complete,
            items=[OnboardingItem(key=i.key, done=i.done, detail=i.detail) for i in found.items],
        )


@strawberry.type(description="A partner company: profile, tier, lifecycle and channel position.")
class Partner:
    id: strawberry.ID
    name: str
    legal_name: str | None
    type: PartnerType
    tier: Tier
    status: PartnerStatus
    status_reason: str | None
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None
    lead_capacity: int
    website: str | None
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
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

    @strawberry.field
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

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        model = await IdentityLoaders.of(info).organization_by_id.load(self.id)
        assert model is not None, "a visible partner's organization is visible"
        return Organization.from_model(model)


@strawberry.input
class TerritoryInput:
    name: str
    countries: list[str] = strawberry.field(default_factory=list)
    regions: list[str] = strawberry.field(
        default_factory=list, description="ISO 3166-2 codes such as US-CA."
    )
    postal_prefixes: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A new partner (vendor staff).")
class PartnerInput:
    name: str
    type: PartnerType
    country: str
    tier: Tier = Tier.REGISTERED
    status: PartnerStatus = PartnerStatus.ONBOARDING
    legal_name: str | None = None
    parent_id: strawberry.ID | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    lead_capacity: int = 10
    website: str | None = None
    description: str | None = None
    specializations: list[str] = strawberry.field(default_factory=list)
    territories: list[TerritoryInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class PartnerUpdateInput:
    name: str | None = strawberry.UNSET
    legal_name: str | None = strawberry.UNSET
    type: PartnerType | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET
    street: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    lead_capacity: int | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 639-1; email goes out in it where a translation exists (en, de).",
    )
    specializations: list[str] | None = strawberry.UNSET
    territories: list[TerritoryInput] | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        """Return only the fields the client sent."""
        sent = {key: value for key, value in vars(self).items() if value is not strawberry.UNSET}
        if sent.get("territories") is not None:
            sent["territories"] = [
                to_hub(territory, partner_service.TerritoryInput)
                for territory in sent["territories"]
            ]
        return sent


@strawberry.input
class ContactInput:
    name: str
    email: str
    password: str


@strawberry.input(description="A company applying to join the channel.")
class PartnerApplicationInput:
    name: str
    type: PartnerType
    country: str
    contact: ContactInput
    legal_name: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    website: str | None = None
    description: str | None = None
    specializations: list[str] = strawberry.field(default_factory=list)

    def to_hub(self) -> tuple[partner_service.PartnerInput, partner_service.ContactInput]:
        """The applicant company and its first user."""
        return (
            to_hub(self, partner_service.PartnerInput),
            to_hub(self.contact, partner_service.ContactInput),
        )


@strawberry.input(description="The partner locator: partners within radiusKm, nearest first.")
class NearInput:
    latitude: float
    longitude: float
    radius_km: float


@strawberry.input
class PartnerFilter:
    tiers: list[Tier] | None = None
    types: list[PartnerType] | None = None
    statuses: list[PartnerStatus] | None = None
    country: str | None = None
    specialization: str | None = None
    search: str | None = None
    parent_id: strawberry.ID | None = None
    near: NearInput | None = None


@strawberry.type(description="A partner's logo (PNG or JPEG).")
class PartnerLogo:
    file_name: str
    content_type: str
    size: float
    width: int
    height: int
    sha256: str
    uploaded_at: datetime
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
    async def download_url(self, info: Info, expires_in_seconds: int = 300) -> str:
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
