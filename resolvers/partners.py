"""Root fields of the partner directory and recruitment."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub import partners as partner_service
from hub.partners import PartnerStatus, Tier, logos
from schema.arguments import After, First, Id
from schema.context import Info
from schema.inputs import to_hub
from schema.partners import (
    Partner,
    PartnerApplicationInput,
    PartnerFilter,
    PartnerInput,
    PartnerUpdateInput,
)
from schema.relay import Connection, page_request
from schema.uploads import Upload, bytes_of, file_of


@strawberry.type
class PartnersQuery:
    @strawberry.field(
        description="Partners the caller may see: by name, or nearest first with `near`."
    )
    async def partners(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            PartnerFilter | None,
            strawberry.argument(
                description="Which partners to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Partner]:
        principal = info.context.require_principal()
        hub = info.context.hub
        page = page_request(info, first, after)
        result = await partner_service.list_partners(
            hub, principal=principal, filter=_to_hub_filter(filter or PartnerFilter()), page=page
        )
        return Connection[Partner].of(
            result, lambda located: Partner.from_model(located.partner, located.distance_km)
        )

    @strawberry.field(description="One partner the caller may see.")
    async def partner(self, info: Info, id: Id) -> Partner:
        model = await partner_service.get(
            info.context.hub, principal=info.context.require_principal(), partner_id=id
        )
        return Partner.from_model(model)


@strawberry.type
class PartnersMutation:
    @strawberry.mutation(description="Apply to join the channel (no login needed).")
    async def apply_as_partner(
        self,
        info: Info,
        input: Annotated[
            PartnerApplicationInput,
            strawberry.argument(
                description="The applicant company and the contact who will be its first partner "
                "admin."
            ),
        ],
    ) -> Partner:
        data, contact = input.to_hub()
        partner, _ = await partner_service.apply(
            info.context.hub, data=data, contact=contact, client=info.context.client
        )
        return Partner.from_model(partner)

    @strawberry.mutation(description="Create a partner (vendor staff).")
    async def create_partner(
        self,
        info: Info,
        input: Annotated[
            PartnerInput,
            strawberry.argument(
                description="The new partner's profile, tier, status and territories."
            ),
        ],
    ) -> Partner:
        partner = await partner_service.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, partner_service.PartnerInput),
        )
        return Partner.from_model(partner)

    @strawberry.mutation(
        description="Change profile fields; partner admins may change only their own "
        "address, website and description."
    )
    async def update_partner(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            PartnerUpdateInput,
            strawberry.argument(description="The fields to change; omitted ones stay as they are."),
        ],
    ) -> Partner:
        partner = await partner_service.update_profile(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=id,
            changes=input.changes(),
        )
        return Partner.from_model(partner)

    @strawberry.mutation(
        description="Set a partner's logo (PNG or JPEG, at most 2 MiB and 4096 pixels a side; "
        "multipart request): a partner admin its own organization's, vendor staff any "
        "partner's."
    )
    async def upload_partner_logo(
        self,
        info: Info,
        partner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The partner whose logo to set.")
        ],
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The logo file: PNG or JPEG, at most 2 MiB and 4096 pixels a side."
            ),
        ],
    ) -> Partner:
        upload = await file_of(file)
        hub, principal = info.context.hub, info.context.require_principal()
        await logos.upload(
            hub,
            principal=principal,
            partner_id=partner_id,
            file_name=upload.filename,
            chunks=bytes_of(upload),
        )
        return Partner.from_model(
            await partner_service.get(hub, principal=principal, partner_id=partner_id)
        )

    @strawberry.mutation(description="Move a partner to another tier (vendor staff).")
    async def change_partner_tier(
        self,
        info: Info,
        id: Id,
        tier: Annotated[Tier, strawberry.argument(description="The tier to move the partner to.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why, kept in the partner's tier history.")
        ] = None,
    ) -> Partner:
        partner = await partner_service.change_tier(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=id,
            tier=partner_service.Tier(tier),
            reason=reason,
        )
        return Partner.from_model(partner)

    @strawberry.mutation(description="Move a partner through its lifecycle (vendor staff).")
    async def change_partner_status(
        self,
        info: Info,
        id: Id,
        status: Annotated[
            PartnerStatus,
            strawberry.argument(
                description="The status to move to; only the lifecycle's next steps are allowed."
            ),
        ],
        reason: Annotated[
            str | None,
            strawberry.argument(
                description="Why, kept in the status history; required for SUSPENDED and "
                "TERMINATED."
            ),
        ] = None,
    ) -> Partner:
        partner = await partner_service.change_status(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=id,
            status=partner_service.PartnerStatus(status),
            reason=reason,
        )
        return Partner.from_model(partner)

    @strawberry.mutation(description="Accept an application: the applicant moves to ONBOARDING.")
    async def approve_partner_application(self, info: Info, id: Id) -> Partner:
        partner = await partner_service.approve_application(
            info.context.hub, principal=info.context.require_principal(), partner_id=id
        )
        return Partner.from_model(partner)

    @strawberry.mutation(description="Turn down an application with a reason.")
    async def reject_partner_application(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            str,
            strawberry.argument(
                description="Why the application is turned down, kept with the partner."
            ),
        ],
    ) -> Partner:
        partner = await partner_service.reject_application(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_id=id,
            reason=reason,
        )
        return Partner.from_model(partner)


def _to_hub_filter(wanted: PartnerFilter) -> partner_service.PartnerFilter:
    return to_hub(wanted, partner_service.PartnerFilter)
