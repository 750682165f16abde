"""Root fields of vendor campaigns."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.campaigns import rules
from hub.campaigns import service as campaigns
from schema.arguments import After, ExpectedVersion, First, Id
from schema.campaigns import Campaign, CampaignChangesInput, CampaignFilter, CampaignInput
from schema.context import Info
from schema.inputs import to_hub
from schema.knowledge import audience_of
from schema.relay import Connection, page_request


@strawberry.type
class CampaignsQuery:
    @strawberry.field(
        description="Campaigns, newest first: vendor-side accounts all, a partner "
        "the published and archived ones it is entitled to."
    )
    async def campaigns(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            CampaignFilter | None,
            strawberry.argument(
                description="Which campaigns to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[Campaign]:
        page = await campaigns.list_campaigns(
            info.context.hub,
            principal=info.context.require_principal(),
            filter=to_hub(filter or CampaignFilter(), rules.CampaignFilter),
            page=page_request(info, first, after),
        )
        return Connection[Campaign].of(page, Campaign.from_model)

    @strawberry.field(description="One campaign the caller may see.")
    async def campaign(self, info: Info, id: Id) -> Campaign:
        model = await campaigns.get(
            info.context.hub, principal=info.context.require_principal(), campaign_id=id
        )
        return Campaign.from_model(model)


@strawberry.type
class CampaignsMutation:
    @strawberry.mutation(description="Make a DRAFT campaign (vendor staff).")
    async def create_campaign(
        self,
        info: Info,
        input: Annotated[
            CampaignInput,
            strawberry.argument(description="The new campaign, its audience and kit."),
        ],
    ) -> Campaign:
        model = await campaigns.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, rules.CampaignInput, audience=audience_of(input.visibility)),
        )
        return Campaign.from_model(model)

    @strawberry.mutation(
        description="Change a campaign, publish or archive it (vendor staff); with "
        "`expectedVersion`, CONFLICT when someone changed it first."
    )
    async def update_campaign(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            CampaignChangesInput,
            strawberry.argument(description="The fields to change; only those given change."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> Campaign:
        model = await campaigns.update(
            info.context.hub,
            principal=info.context.require_principal(),
            campaign_id=id,
            changes=to_hub(
                input,
                rules.CampaignChanges,
                audience=audience_of(input.visibility) if input.visibility else None,
            ),
            expected_version=expected_version,
        )
        return Campaign.from_model(model)

    @strawberry.mutation(
        description="Join a published campaign that has not ended, for your organization "
        "(partner admins); joining again changes nothing."
    )
    async def opt_in_to_campaign(self, info: Info, id: Id) -> Campaign:
        model = await campaigns.opt_in(
            info.context.hub, principal=info.context.require_principal(), campaign_id=id
        )
        return Campaign.from_model(model)

    @strawberry.mutation(
        description="Leave a campaign (partner admins); leads already from it keep it as "
        "their source."
    )
    async def opt_out_of_campaign(self, info: Info, id: Id) -> Campaign:
        model = await campaigns.opt_out(
            info.context.hub, principal=info.context.require_principal(), campaign_id=id
        )
        return Campaign.from_model(model)
