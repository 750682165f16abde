"""Demo analytics: EUR rates for the reporting currency (USD), so EUR orders count in reports.

Set before any order is delivered; one rate from the start of the history and a newer one
halfway through, so the reports show conversion at the rate of each order's date.
"""

from __future__ import annotations

from datetime import timedelta

from hub.analytics import service as analytics_service
from hub.demo.world import HISTORY_DAYS, Demo, Part, Story


async def set_rates(demo: Demo) -> None:
    start = demo.clock.now().date()
    for days, rate in [(0, "1.0850"), (HISTORY_DAYS // 2, "1.1020")]:
        await analytics_service.set_exchange_rate(
            demo.hub,
            principal=demo.vendor,
            data=analytics_service.RateInput("EUR", rate, start + timedelta(days=days)),
        )


def stories(demo: Demo) -> list[Story]:
    return []


PART = Part(order=55, configure=set_rates, stories=stories)
