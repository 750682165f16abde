"""The executable schema: domain root types merged, with limits and the error contract."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any, NamedTuple

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from hub.settings import Settings
from resolvers.analytics import AnalyticsMutation, AnalyticsQuery
from resolvers.api_keys import ApiKeysMutation, ApiKeysQuery
from resolvers.assets import AssetsMutation, AssetsQuery, AssetsSubscription
from resolvers.campaigns import CampaignsMutation, CampaignsQuery
from resolvers.forecast import ForecastMutation, ForecastQuery
from resolvers.fund_claims import FundClaimsMutation, FundClaimsQuery
from resolvers.fund_proposals import FundProposalsMutation, FundProposalsQuery
from resolvers.funds import FundsMutation, FundsQuery, FundsSubscription
from resolvers.identity import IdentityMutation, IdentityQuery
from resolvers.incentives import IncentivesMutation, IncentivesQuery, IncentivesSubscription
from resolvers.knowledge import KnowledgeMutation, KnowledgeQuery
from resolvers.leads import LeadsMutation, LeadsQuery, LeadsSubscription
from resolvers.mail import MailMutation, MailQuery
from resolvers.messaging import MessagingMutation, MessagingQuery, MessagingSubscription
from resolvers.nodes import NodesQuery
from resolvers.orders import OrdersMutation, OrdersQuery, OrdersSubscription
from resolvers.partners import PartnersMutation, PartnersQuery
from resolvers.product_lines import ProductLinesMutation, ProductLinesQuery
from resolvers.programs import ProgramsMutation, ProgramsQuery
from resolvers.sync import SyncMutation
from resolvers.training import TrainingMutation, TrainingQuery, TrainingSubscription
from resolvers.webhooks import WebhooksMutation, WebhooksQuery, WebhooksSubscription
from schema.documents import Budgets, Documents
from schema.errors import shape
from schema.fanout import OneConnectionExecution
from schema.introspection import IntrospectionPolicy
from schema.scalars import SCALARS
from schema.scopes import ApiKeyScopes
from schema.uploads import UPLOAD_SCALAR


class Domain(NamedTuple):
    """One slice's root types; a slice without live events has no subscription (and one that
    only writes, no query)."""

    query: type | None
    mutation: type | None
    subscription: type | None = None


# The one list of domains: the root types are built from it, in this order.
DOMAINS = (
    Domain(IdentityQuery, IdentityMutation),
    Domain(PartnersQuery, PartnersMutation),
    Domain(LeadsQuery, LeadsMutation, LeadsSubscription),
    Domain(OrdersQuery, OrdersMutation, OrdersSubscription),
    Domain(ProductLinesQuery, ProductLinesMutation),
    Domain(AssetsQuery, AssetsMutation, AssetsSubscription),
    Domain(KnowledgeQuery, KnowledgeMutation),
    Domain(TrainingQuery, TrainingMutation, TrainingSubscription),
    Domain(MessagingQuery, MessagingMutation, MessagingSubscription),
    Domain(AnalyticsQuery, AnalyticsMutation),
    Domain(ForecastQuery, ForecastMutation),
    Domain(FundsQuery, FundsMutation, FundsSubscription),
    Domain(FundClaimsQuery, FundClaimsMutation),
    Domain(FundProposalsQuery, FundProposalsMutation),
    Domain(CampaignsQuery, CampaignsMutation),
    Domain(IncentivesQuery, IncentivesMutation, IncentivesSubscription),
    Domain(WebhooksQuery, WebhooksMutation, WebhooksSubscription),
    Domain(MailQuery, MailMutation),
    Domain(ApiKeysQuery, ApiKeysMutation),
    Domain(None, SyncMutation),
    Domain(ProgramsQuery, ProgramsMutation),
    Domain(NodesQuery, None),
)


def _root(name: str, types: tuple[type, ...], description: str) -> type:
    """The domains' root types merged into one, with a description of its own."""
    return strawberry.type(type(name, (merge_types(name, types),), {}), description=description)


Query = _root(
    "Query",
    tuple(domain.query for domain in DOMAINS if domain.query),
    "What the caller may read: only what its organization and role may see.",
)
Mutation = _root(
    "Mutation",
    tuple(domain.mutation for domain in DOMAINS if domain.mutation),
    "What the caller may change: a mutation that fails changes nothing (bulk ones: per item).",
)
Subscription = _root(
    "Subscription",
    tuple(domain.subscription for domain in DOMAINS if domain.subscription),
    "Live events the caller may see; a stream resumes after the cursor of the last one received.",
)


class FreshLoaders(SchemaExtension):
    """Start every operation with empty DataLoader caches."""

    def on_operation(self) -> Iterator[None]:
        reset = getattr(self.execution_context.context, "reset_loaders", None)
        if reset is not None:
            reset()
        yield


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Apply the error contract to every error, on every transport; log only unexpected ones."""
        context = execution_context.context if execution_context else None
        request_id = str(getattr(context, "request_id", "-"))
        for error in errors:
            shape(error, request_id)


def _no_argument_values(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
    """Resolver spans carry no argument values: they may be passwords or personal data."""
    return {}


def build_schema(settings: Settings) -> strawberry.Schema:
    """Build the schema with the limits the settings ask for."""
    # The budgets' rule classes are made once: rules made per request would be new classes,
    # and the validation cache, keyed by the rules, would never hit.
    budgets = Budgets.of(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_anonymous_tokens=settings.max_anonymous_tokens,
        max_directives=settings.max_directives,
        max_cost=settings.max_query_cost,
        max_page=settings.max_page_size,
    )
    extensions: list[Any] = [
        FreshLoaders,
        partial(Documents, budgets),
        # After Documents: it decides only once the document parsed and validated.
        partial(IntrospectionPolicy, open_to_all=settings.environment != "production"),
        ApiKeyScopes,
    ]
    if settings.otlp_endpoint:  # operation, parse, validation and resolver spans
        extensions.append(partial(OpenTelemetryExtension, arg_filter=_no_argument_values))
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=OneConnectionExecution,
        config=StrawberryConfig(
            disable_field_suggestions=not settings.development,
            relay_max_results=settings.max_page_size,
            scalar_map={**SCALARS, **UPLOAD_SCALAR},
        ),
    )
