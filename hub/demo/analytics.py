"""Demo analytics: EUR rates against the reporting currency (USD), and tier rules.

Set before any order is delivered; one rate from the start of the history and a newer one
halfway through, so the reports show conversion at the rate of each order's date. Tier rules
(revenue over the period asked about, a win rate for GOLD and PLATINUM) give the tier
recommendations something to say.
"""

from __future__ import annotations

from datetime import timedelta

from hub.analytics import service as analytics_service
from hub.analytics import tiers
from hub.demo.world import HISTORY_DAYS, Demo, Part, Story
from hub.partners import Tier


async def configure(demo: Demo) -> None:
    """EUR rates, and tier rules that make tier recommendations say something."""
    start = demo.clock.now().date()
    for days, rate in [(0, "1.0850"), (HISTORY_DAYS // 2, "1.1020")]:
        await analytics_service.set_exchange_rate(
            demo.hub,
            principal=demo.vendor,
            data=analytics_service.RateInput("EUR", rate, start + timedelta(days=days)),
        )
    for tier, revenue, win_rate in RULES:
        await tiers.set_rule(
            demo.hub,
            principal=demo.vendor,
            data=tiers.RuleInput(tier, revenue, win_rate),
        )


# (tier, minimum revenue in USD cents over the period, minimum win rate in basis points)
RULES = [
    (Tier.SILVER, 2_000_000, None),
    (Tier.GOLD, 10_000_000, 3_000),
    (Tier.PLATINUM, 50_000_000, 4_000),
]


def stories(demo: Demo) -> list[Story]:
    return []


PART = Part(order=55, configure=configure, stories=stories)
