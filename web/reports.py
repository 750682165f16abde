"""`channelhub report`: the analytics reports as CSV on stdout, a progress bar on stderr."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import IO, Any, TypeVar

from tqdm import tqdm

from hub.analytics import funnel, periods, scorecards
from hub.analytics import service as analytics_service
from hub.analytics.periods import Period
from hub.errors import BadInput
from hub.forecast import report
from hub.pagination import PageRequest
from hub.roles import Principal
from hub.runtime import Hub

REPORTS = ("scorecards", "concentration", "funnel", "forecast")
G = TypeVar("G", bound=StrEnum)
PAGE = 200
SCORECARD_COLUMNS = [
    "partner_id",
    "partner",
    "tier",
    "currency",
    "revenue_minor",
    "previous_revenue_minor",
    "delivered_orders",
    "returned_orders",
    "average_order_minor",
    "leads_offered",
    "leads_accepted",
    "leads_declined",
    "leads_expired",
    "acceptance_rate_bp",
    "median_seconds_to_accept",
    "rank_in_tier",
    "tier_size",
    "rank_in_channel",
    "channel_size",
]
# Activity figures (hub.analytics.activity.Activity), named as its attributes.
ACTIVITY_COLUMNS = [
    "win_rate_bp",
    "routed_revenue_minor",
    "open_opportunities",
    "open_pipeline_minor",
    "deals_submitted",
    "deals_approved",
    "deal_conversion_bp",
    "certified_users",
    "certification_seats_met",
    "certification_seats_required",
    "collateral_downloads",
    "articles_read",
    "best_practices_published",
    "median_seconds_to_respond",
]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """The `report` command's arguments (its handler is set by the caller)."""
    report: argparse.ArgumentParser = commands.add_parser(
        "report",
        help="write an analytics report as CSV",
        description="Write a report of a period as CSV to stdout (money in reporting-currency "
        "minor units, rates in basis points). Periods: 2026-09 (a month), 2026-Q3, 2026, "
        "last-30 / last-90 / last-365 (days to today) or 2026-01-01..2026-03-31.",
    )
    report.add_argument("report", choices=REPORTS)
    report.add_argument("--period", required=True, help="e.g. 2026-Q3")
    report.add_argument(
        "--group-by",
        default=None,
        help="concentration: PARTNER (default), TIER, TYPE, COUNTRY or PRODUCT_LINE; "
        "funnel: SOURCE (default), PARTNER, TIER, COUNTRY, PRODUCT_LINE or TERRITORY; "
        "forecast: PARTNER (default), TIER or PRODUCT_LINE",
    )
    report.add_argument("--as", dest="actor", metavar="EMAIL", help="vendor staff member")
    return report


async def write(hub: Hub, principal: Principal, args: argparse.Namespace, out: IO[str]) -> int:
    """Write the report the arguments name; return the number of rows."""
    today = hub.clock.now().date()
    period = periods.resolve(periods.parse(args.period), today=today, field="--period")
    writer = csv.writer(out, lineterminator="\n")
    if args.report == "scorecards":
        return await _scorecards(hub, principal, period, writer.writerow)
    if args.report == "concentration":
        by = _group(analytics_service.GroupBy, args.group_by, "PARTNER")
        found = await analytics_service.channel_concentration(
            hub, principal=principal, period=period, group_by=by, threshold_bp=8_000
        )
        writer.writerow(["key", "revenue_minor", "share_bp", "cumulative_bp", "in_core"])
        for share in found.figures.shares:
            writer.writerow(
                [share.key, share.revenue_minor, share.share_bp, share.cumulative_bp, share.in_core]
            )
        return len(found.figures.shares)
    if args.report == "forecast":
        return await _forecast(hub, principal, period, args.group_by, writer.writerow)
    by_funnel = _group(funnel.FunnelGroup, args.group_by, "SOURCE")
    result = await funnel.lead_funnel(hub, principal=principal, period=period, group_by=by_funnel)
    columns = ["created", "routed", "offers", "accepted", "worked", "won", "lost", "unassignable"]
    writer.writerow(["key", *columns])
    for step in result.groups:
        writer.writerow([step.key, *(getattr(step, name) for name in columns)])
    return len(result.groups)


async def _scorecards(
    hub: Hub, principal: Principal, period: Period, row: Callable[[list[Any]], Any]
) -> int:
    row(SCORECARD_COLUMNS + ACTIVITY_COLUMNS)
    after, written = None, 0
    with tqdm(desc="scorecards", unit=" partners", file=sys.stderr) as bar:
        while True:
            page = await scorecards.list_scorecards(
                hub,
                principal=principal,
                filter=scorecards.ScorecardFilter(),
                period=period,
                page=PageRequest(first=PAGE, after=after, count=after is None),
            )
            if page.total_count is not None:
                bar.total = page.total_count
            for card in page.items:
                now, before = card.current, card.previous
                row(
                    [
                        card.partner.id,
                        card.partner.name,
                        card.partner.tier,
                        card.reporting_currency,
                        now.revenue_minor,
                        before.revenue_minor,
                        now.delivered_orders,
                        now.returned_orders,
                        now.average_order_minor,
                        now.leads_offered,
                        now.leads_accepted,
                        now.leads_declined,
                        now.leads_expired,
                        now.acceptance_rate_bp,
                        now.median_seconds_to_accept,
                        card.in_tier.position,
                        card.in_tier.of,
                        card.in_channel.position,
                        card.in_channel.of,
                        *(getattr(now.activity, name) for name in ACTIVITY_COLUMNS),
                    ]
                )
            written += len(page.items)
            bar.update(len(page.items))
            if not page.has_next_page or not page.items:
                return written
            after = page.cursors[-1]


FORECAST_COLUMNS = [
    "open_opportunities",
    "pipeline_minor",
    "weighted_minor",
    "commit_minor",
    "best_case_minor",
    "won_minor",
    "actual_minor",
    "accuracy_bp",
]


async def _forecast(
    hub: Hub,
    principal: Principal,
    period: Period,
    group_by: str | None,
    row: Callable[[list[Any]], Any],
) -> int:
    by = _group(report.ForecastGroup, group_by, "PARTNER")
    found = await report.forecast(hub, principal=principal, period=period, group_by=by)
    row(["key", "currency", *FORECAST_COLUMNS])
    for item in [*found.rows, found.total]:
        row(
            [
                item.key,
                found.reporting_currency,
                *(getattr(item, name) for name in FORECAST_COLUMNS),
            ]
        )
    return len(found.rows)


def _group(kind: type[G], given: str | None, default: str) -> G:
    """The --group-by value as the report's enum; refuse another with the ones it takes."""
    value = (given or default).strip().upper()
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise BadInput(f"--group-by must be one of {choices}", field="--group-by") from None
