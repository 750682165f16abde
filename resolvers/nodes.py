"""`node(id)` and `nodes(ids)`: any object with an id, found again for Relay and normalised
caches, through the same root field (and so the same tenancy) that reads it by type."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast

import strawberry
from strawberry.types.base import get_object_definition

from hub import nodes
from hub.errors import BadInput, Forbidden, NotFound
from resolvers.assets import AssetsQuery
from resolvers.campaigns import CampaignsQuery
from resolvers.forecast import ForecastQuery
from resolvers.fund_claims import FundClaimsQuery
from resolvers.funds import FundsQuery
from resolvers.identity import IdentityQuery
from resolvers.incentives import IncentivesQuery
from resolvers.knowledge import KnowledgeQuery
from resolvers.leads import LeadsQuery
from resolvers.messaging import MessagingQuery
from resolvers.orders import OrdersQuery
from resolvers.partners import PartnersQuery
from resolvers.programs import ProgramsQuery
from resolvers.training import TrainingQuery
from resolvers.webhooks import WebhooksQuery
from schema.arguments import Id
from schema.context import Info
from schema.nodes import Node

# Each Node type: its table, and the root field (of a domain's Query) that reads one by id.
NODE_TYPES: dict[str, tuple[str, type, str]] = {
    "User": ("users", IdentityQuery, "user"),
    "Partner": ("partners", PartnersQuery, "partner"),
    "Lead": ("leads", LeadsQuery, "lead"),
    "DealRegistration": ("deal_registrations", LeadsQuery, "deal_registration"),
    "Order": ("orders", OrdersQuery, "order"),
    "Asset": ("assets", AssetsQuery, "asset"),
    "Article": ("articles", KnowledgeQuery, "article"),
    "BestPractice": ("best_practices", KnowledgeQuery, "best_practice"),
    "Course": ("courses", TrainingQuery, "course"),
    "Enrolment": ("enrolments", TrainingQuery, "enrolment"),
    "CertificationDefinition": (
        "certification_definitions",
        TrainingQuery,
        "certification_definition",
    ),
    "Certification": ("certifications", TrainingQuery, "certification"),
    "Conversation": ("conversations", MessagingQuery, "conversation"),
    "Opportunity": ("opportunities", ForecastQuery, "opportunity"),
    "FundBudget": ("fund_budgets", FundsQuery, "fund_budget"),
    "FundAllocation": ("fund_allocations", FundsQuery, "fund_allocation"),
    "FundRequest": ("fund_requests", FundsQuery, "fund_request"),
    "FundClaim": ("fund_claims", FundClaimsQuery, "fund_claim"),
    "Campaign": ("campaigns", CampaignsQuery, "campaign"),
    "IncentiveProgram": ("incentive_programs", IncentivesQuery, "incentive_program"),
    "WebhookEndpoint": ("webhook_endpoints", WebhooksQuery, "webhook_endpoint"),
    "PartnerProgram": ("partner_programs", ProgramsQuery, "partner_program"),
}
TABLES = {kind: table for kind, (table, _, _) in NODE_TYPES.items()}
Reader = Callable[..., Awaitable[Any]]


def _reader(owner: type, name: str) -> Reader:
    """The resolver function of a root field: called as the field itself would be."""
    definition = get_object_definition(owner, strict=True)
    field = next(field for field in definition.fields if field.python_name == name)
    assert field.base_resolver is not None, f"{owner.__name__}.{name} has no resolver"
    function = field.base_resolver.wrapped_func
    assert callable(function)
    return cast(Reader, function)


READERS = {kind: _reader(owner, name) for kind, (_, owner, name) in NODE_TYPES.items()}


async def _found(info: Info, ids: list[str]) -> list[Node | None]:
    info.context.require_principal()
    kinds = await nodes.kinds_of(info.context.hub, ids, TABLES)
    found: list[Node | None] = []
    for node_id in ids:
        kind = kinds.get(node_id)
        if kind is None:
            found.append(None)
            continue
        try:
            answer = READERS[kind](None, info, id=strawberry.ID(node_id))
            found.append(await answer if inspect.isawaitable(answer) else answer)
        except (NotFound, Forbidden):  # another organization's, or not for this role
            found.append(None)
    return found


@strawberry.type
class NodesQuery:
    @strawberry.field(
        description="The object with this id, whatever its type, when the caller may see it "
        "(null otherwise: another organization's, unknown, or of a type without a `node`)."
    )
    async def node(self, info: Info, id: Id) -> Node | None:
        return (await _found(info, [str(id)]))[0]

    @strawberry.field(
        description="The objects with these ids, in the order asked, null for each the caller "
        "may not see; at most MAX_PAGE_SIZE ids."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The ids to look up.")],
    ) -> list[Node | None]:
        cap = info.context.hub.settings.max_page_size
        if len(ids) > cap:
            raise BadInput(f"ask for at most {cap} ids at once", field="ids")
        return await _found(info, [str(node_id) for node_id in ids])
