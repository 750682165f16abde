"""The demo's year of history as the reports read it through the API: revenue for most
partners over trailing 365 days and in the history's first months, a small core set that
brings most of it, won and lost leads, and a forecast for this quarter with pipeline and
commits (and the last quarter's accuracy)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.e2e.conftest import Server, nodes

VENDOR = "manager@vendor.example"
YEAR = {"trailingDays": 365}
REPORTS = """query($period: PeriodInput!) {
  partnerScorecards(period: $period, first: 50) { totalCount edges { node {
    revenueMinor { current } deliveredOrders { current } returnedOrders { current }
    partner { name tier } } } }
  channelConcentration(period: $period) {
    totalRevenueMinor coreSize activePartners missingRates { currency }
    groups { inCore revenueMinor partner { tier } } }
  leadFunnel(period: $period) { total { created accepted won lost } }
}"""
FORECAST = """query($quarter: String!) { forecast(period: {quarter: $quarter}) {
  ended missingRates { currency }
  total { openOpportunities pipelineMinor weightedPipelineMinor commitMinor bestCaseMinor
          wonMinor actualRevenueMinor }
  rows { key commitMinor accuracyBasisPoints partner { name } }
} opportunityStages { key probabilityPercent } }"""


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def today() -> date:
    return datetime.now(UTC).date()


def reports(demo_server: Server, demo_tokens: dict[str, str], period: dict[str, Any]) -> Any:
    return demo_server.gql(demo_tokens[VENDOR], REPORTS, {"period": period})


def test_a_year_of_revenue_most_of_it_from_a_small_core_of_gold_and_platinum_partners(
    demo_server: Server, demo_tokens: dict[str, str]
) -> None:
    data = reports(demo_server, demo_tokens, YEAR)
    cards = nodes(data["partnerScorecards"])
    earning = [card for card in cards if (card["revenueMinor"]["current"] or 0) > 0]
    found = data["channelConcentration"]
    core = [group for group in found["groups"] if group["inCore"]]

    # every ACTIVE partner but the referral partner (it sells no orders) earns
    assert len(earning) == found["activePartners"] - 1 == 10
    assert sum(card["deliveredOrders"]["current"] for card in cards) >= 80
    assert sum(card["returnedOrders"]["current"] for card in cards) >= 3
    assert found["missingRates"] == [] and found["activePartners"] == 11
    assert 2 <= found["coreSize"] == len(core) < found["activePartners"] / 2
    assert {group["partner"]["tier"] for group in core} <= {"GOLD", "PLATINUM"}
    assert sum(group["revenueMinor"] for group in core) * 10 >= found["totalRevenueMinor"] * 8


def test_leads_across_the_year_are_accepted_won_and_lost(
    demo_server: Server, demo_tokens: dict[str, str]
) -> None:
    funnel = reports(demo_server, demo_tokens, YEAR)["leadFunnel"]["total"]

    assert funnel["created"] >= 60
    assert funnel["won"] >= 15 and funnel["lost"] >= 8
    assert funnel["accepted"] > funnel["won"] + funnel["lost"]


def test_the_history_begins_more_than_eleven_months_ago(
    demo_server: Server, demo_tokens: dict[str, str]
) -> None:
    first = today() - timedelta(days=335)
    start = {"from": (today() - timedelta(days=399)).isoformat(), "to": first.isoformat()}
    quarter = reports(demo_server, demo_tokens, {"quarter": quarter_of(first)})
    earliest = reports(demo_server, demo_tokens, start)

    for data in (quarter, earliest):
        paid = [g for g in data["channelConcentration"]["groups"] if g["revenueMinor"] > 0]
        assert len(paid) >= 3
    assert earliest["leadFunnel"]["total"]["created"] >= 5


def test_this_quarter_has_open_pipeline_and_commits_and_the_last_one_its_accuracy(
    demo_server: Server, demo_tokens: dict[str, str]
) -> None:
    now = demo_server.gql(demo_tokens[VENDOR], FORECAST, {"quarter": quarter_of(today())})
    last_day = date(today().year, (today().month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    last = demo_server.gql(demo_tokens[VENDOR], FORECAST, {"quarter": quarter_of(last_day)})
    total = now["forecast"]["total"]
    committed = [row for row in now["forecast"]["rows"] if row["commitMinor"]]

    assert [stage["key"] for stage in now["opportunityStages"]][-1] == "COMMIT"
    assert not now["forecast"]["ended"] and now["forecast"]["missingRates"] == []
    assert total["openOpportunities"] >= 10
    assert total["pipelineMinor"] > total["weightedPipelineMinor"] > 0
    assert total["bestCaseMinor"] > total["commitMinor"] > 0
    assert len(committed) == 6
    assert last["forecast"]["ended"] and last["forecast"]["total"]["actualRevenueMinor"] > 0
    accuracies = [row["accuracyBasisPoints"] for row in last["forecast"]["rows"]]
    assert len([value for value in accuracies if value is not None]) == 6
    assert any(value and value > 0 for value in accuracies)
