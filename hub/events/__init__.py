"""Domain events: the event (`event`), the transactional log (`log`) and the live bus (`bus`).

Domains append events in their write transaction (`append`); `transaction` writes them last
and publishes them after commit; each process's `EventBus` delivers them to subscribers.
"""

from hub.events.bus import CHANNEL, BusObserver, EventBus
from hub.events.event import DomainEvent, Reach, SubscriberTooSlow
from hub.events.log import PendingEvent, append, transaction, write_pending

__all__ = [
    "CHANNEL",
    "BusObserver",
    "DomainEvent",
    "EventBus",
    "PendingEvent",
    "Reach",
    "SubscriberTooSlow",
    "append",
    "transaction",
    "write_pending",
]
