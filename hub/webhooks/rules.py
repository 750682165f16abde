"""What webhooks deliver and how often they retry: the topics and event types an endpoint
may take, the delivery states, and the backoff."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from hub.assets.rules import TOPIC as ASSET_TOPIC
from hub.assets.rules import AssetEventType
from hub.funds.rules import TOPIC as FUND_TOPIC
from hub.funds.rules import FundEventType
from hub.incentives.rules import TOPIC as INCENTIVE_TOPIC
from hub.incentives.rules import IncentiveEventType
from hub.leads.rules import TOPIC as LEAD_TOPIC
from hub.leads.rules import LeadEventType
from hub.orders.rules import TOPIC as ORDER_TOPIC
from hub.orders.rules import OrderEventType
from hub.training.certifications import TOPIC as TRAINING_TOPIC
from hub.training.rules import TrainingEventType

# The event topic of the webhooks themselves (an endpoint disabled), for vendor staff.
TOPIC = "webhook"

# What an endpoint may receive, by topic. Conversations are private to their participants
# and never leave the hub; webhook events go to vendor staff over the API alone.
CATALOG: Mapping[str, tuple[str, ...]] = {
    LEAD_TOPIC: tuple(LeadEventType),
    ORDER_TOPIC: tuple(OrderEventType),
    FUND_TOPIC: tuple(FundEventType),
    TRAINING_TOPIC: tuple(TrainingEventType),
    ASSET_TOPIC: tuple(AssetEventType),
    INCENTIVE_TOPIC: tuple(IncentiveEventType),
}
PING_TYPE = "WEBHOOK_PING"

MAX_URL_LENGTH = 2000
MAX_DESCRIPTION = 500
MAX_PARTNERS = 500
# A delivery is given up this long after its first attempt.
GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(hours=6)
# What the log keeps of a receiver's answer.
RESPONSE_KEPT = 1024


class WebhookEventType(StrEnum):
    WEBHOOK_ENDPOINT_DISABLED = "WEBHOOK_ENDPOINT_DISABLED"


class EndpointStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class DeliveryKind(StrEnum):
    EVENT = "EVENT"
    REPLAY = "REPLAY"
    PING = "PING"


def retry_at(now: datetime, *, attempts: int, first_attempt: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None once it is time to give up.

    The wait doubles from FIRST_RETRY up to LONGEST_WAIT, with up to ±20% jitter so that
    deliveries failing together do not all come back at once.
    """
    wait = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 30)), LONGEST_WAIT)
    at = now + wait * random.uniform(0.8, 1.2)
    if at - first_attempt > GIVE_UP_AFTER:
        return None
    return at


def message_id(event_id: int) -> str:
    """The webhook-id of an event: the same on every attempt and replay."""
    return f"msg_{event_id}"


def wanted(topics: list[str], types: list[str], partners: list[str]) -> _Filter:
    return _Filter(frozenset(topics), frozenset(types), frozenset(partners))


class _Filter:
    """Which events an endpoint takes: its topics, and its types and partners when given."""

    def __init__(
        self, topics: frozenset[str], types: frozenset[str], partners: frozenset[str]
    ) -> None:
        self.topics, self.types, self.partners = topics, types, partners

    def takes(self, topic: str, type: str, audience: frozenset[str]) -> bool:
        if topic not in self.topics or (self.types and type not in self.types):
            return False
        return not self.partners or not self.partners.isdisjoint(audience)
