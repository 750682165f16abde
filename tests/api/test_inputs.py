"""Every GraphQL input reaches the hub whole: each field has a hub field of the same name,
or the resolver gives it by another name (listed here)."""

from __future__ import annotations

from datetime import date

import pytest

from hub import sync as hub_sync
from hub.assets import rules as asset_rules
from hub.assets.stamp import Placement
from hub.audience import Audience
from hub.campaigns import rules as campaign_rules
from hub.funds import budgets as fund_budgets
from hub.funds import rules as fund_rules
from hub.incentives import rules as incentive_rules
from hub.knowledge import rules as knowledge_rules
from hub.leads import deals
from hub.leads import rules as lead_rules
from hub.leads import service as lead_service
from hub.messaging import rules as messaging_rules
from hub.orders import catalog
from hub.orders import service as order_service
from hub.partners import directory
from hub.partners import rules as partner_rules
from hub.partners.rules import PartnerType, Tier
from hub.product_lines import ProductLineInput as HubProductLineInput
from hub.programs import service as program_service
from hub.programs import vetting
from hub.training import rules as training_rules
from hub.users import UserFilter as HubUserFilter
from hub.webhooks import endpoints as webhook_endpoints
from schema import (
    assets,
    campaigns,
    funds,
    identity,
    incentives,
    knowledge,
    leads,
    messaging,
    orders,
    partners,
    product_lines,
    programs,
    training,
    webhooks,
)
from schema import deals as schema_deals
from schema import sync as schema_sync
from schema.inputs import to_hub, unknown_fields

PAIRS = [
    (assets.AssetInput, asset_rules.AssetInput, []),
    (assets.AssetFilter, asset_rules.AssetFilter, []),
    (assets.CobrandPlacementInput, Placement, []),
    (campaigns.CampaignInput, campaign_rules.CampaignInput, ["visibility"]),
    (campaigns.CampaignChangesInput, campaign_rules.CampaignChanges, ["visibility"]),
    (campaigns.CampaignFilter, campaign_rules.CampaignFilter, []),
    (funds.FundBudgetInput, fund_rules.BudgetInput, ["amount"]),
    (funds.FundRequestInput, fund_rules.RequestInput, ["amount"]),
    (funds.FundRequestFilter, fund_rules.RequestFilter, []),
    (funds.FundAllocationFilter, fund_budgets.AllocationFilter, []),
    (incentives.IncentiveRuleInput, incentive_rules.RuleInput, []),
    (incentives.IncentiveProgramInput, incentive_rules.ProgramInput, []),
    (incentives.IncentiveProgramChangesInput, incentive_rules.ProgramChanges, []),
    (incentives.IncentiveProgramFilter, incentive_rules.ProgramFilter, []),
    (schema_sync.StockLevelInput, hub_sync.StockLevelInput, []),
    (schema_sync.LeadUpsertInput, lead_rules.LeadInput, ["estimated_value"]),
    (webhooks.WebhookEndpointInput, webhook_endpoints.EndpointInput, []),
    (webhooks.WebhookEndpointChangesInput, webhook_endpoints.EndpointChanges, []),
    (programs.ProgramTierInput, program_service.TierInput, []),
    (programs.PartnerProgramInput, program_service.ProgramInput, []),
    (programs.PartnerProgramChangesInput, program_service.ProgramChanges, []),
    (programs.PartnerProgramFilter, program_service.ProgramFilter, []),
    (programs.AgreementInput, program_service.AgreementInput, []),
    (programs.RecruitmentStageInput, vetting.StageInput, []),
    (programs.PartnerApplicationFilter, vetting.ApplicationFilter, []),
    (identity.UserFilter, HubUserFilter, []),
    (knowledge.VisibilityInput, Audience, []),
    (knowledge.ArticleInput, knowledge_rules.ArticleInput, ["visibility"]),
    (knowledge.ArticleChangesInput, knowledge_rules.ArticleChanges, ["visibility"]),
    (knowledge.ArticleFilter, knowledge_rules.ArticleFilter, []),
    (knowledge.BestPracticeInput, knowledge_rules.PracticeInput, ["visibility"]),
    (knowledge.BestPracticeFilter, knowledge_rules.PracticeFilter, []),
    (leads.LeadInput, lead_rules.LeadInput, ["estimated_value"]),
    (leads.LeadFilter, lead_service.LeadFilter, []),
    (schema_deals.DealInput, deals.DealInput, ["value"]),
    (messaging.ConversationInput, messaging_rules.ConversationInput, ["message"]),
    (messaging.ConversationFilter, messaging_rules.ConversationFilter, []),
    (orders.PlaceOrderInput, order_service.OrderInput, []),
    (orders.OrderFilter, order_service.OrderFilter, []),
    (orders.ProductInput, catalog.ProductInput, ["list_prices"]),
    (orders.ProductFilter, catalog.ProductFilter, []),
    (partners.PartnerInput, partner_rules.PartnerInput, []),
    (partners.PartnerApplicationInput, partner_rules.PartnerInput, ["contact"]),
    (partners.ContactInput, partner_rules.ContactInput, []),
    (partners.TerritoryInput, partner_rules.TerritoryInput, []),
    (partners.PartnerFilter, directory.PartnerFilter, []),
    (product_lines.ProductLineInput, HubProductLineInput, []),
    (training.CourseInput, training_rules.CourseInput, []),
    (training.CourseModuleInput, training_rules.ModuleInput, []),
    (training.LessonInput, training_rules.LessonInput, []),
    (training.AssessmentInput, training_rules.AssessmentInput, []),
    (training.QuestionInput, training_rules.QuestionInput, []),
    (training.CourseFilter, training_rules.CourseFilter, []),
    (training.EnrolmentFilter, training_rules.EnrolmentFilter, []),
    (training.CertificationDefinitionInput, training_rules.DefinitionInput, []),
    (training.CertificationFilter, training_rules.CertificationFilter, []),
]


@pytest.mark.parametrize(
    ("source", "target", "given"), PAIRS, ids=[pair[0].__name__ for pair in PAIRS]
)
def test_every_input_field_has_a_hub_field_of_its_name(
    source: type, target: type, given: list[str]
) -> None:
    assert unknown_fields(source, target) == given


def test_nested_inputs_ids_and_enums_convert_by_the_hub_fields_types() -> None:
    course = training.CourseInput(
        title="Switching",
        estimated_minutes=30,
        modules=[
            training.CourseModuleInput(
                title="Basics", lessons=[training.LessonInput(title="Ports", asset_id="a1")]
            )
        ],
        required_tier=Tier.GOLD,
    )
    visibility = knowledge.VisibilityInput(partner_types=[PartnerType.MSP], partner_ids=["p1"])
    lead = leads.LeadFilter(statuses=None, country="de")

    converted = to_hub(course, training_rules.CourseInput)

    assert converted == training_rules.CourseInput(
        title="Switching",
        estimated_minutes=30,
        modules=[
            training_rules.ModuleInput(
                title="Basics", lessons=[training_rules.LessonInput(title="Ports", asset_id="a1")]
            )
        ],
        product_lines=[],
        required_tier=Tier.GOLD,
    )
    assert to_hub(visibility, Audience) == Audience(
        partner_types=[PartnerType.MSP], partner_ids=["p1"]
    )
    # A null list leaves the hub's default; checking the country is the hub's work.
    assert to_hub(lead, lead_service.LeadFilter) == lead_service.LeadFilter(country="de")
    sent = leads.LeadInput(
        customer_company="Acme", country="DE", product_line="NET", expected_close=date(2027, 1, 1)
    )
    assert to_hub(sent, lead_rules.LeadInput, value_minor=5) == lead_rules.LeadInput(
        "Acme", "DE", "NET", expected_close=date(2027, 1, 1), value_minor=5
    )
