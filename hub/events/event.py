"""A domain event as the log stores it and the bus carries it, with its wire codec."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.errors import HubError
from hub.roles import Principal


@dataclass(frozen=True)
class DomainEvent:
    id: int
    topic: str
    type: str
    subject_id: str
    payload: dict[str, Any]
    occurred_at: datetime
    audience: frozenset[str]
    # Users the event is for; when given, nobody else sees it (not even vendor staff).
    recipients: frozenset[str] = frozenset()
    # Not stored and never replayed (typing indicators): id 0, delivered live only.
    ephemeral: bool = False
    # Broadcast with the event but never stored: what live subscribers would otherwise load
    # (a message as sent), so live delivery needs no database. Replayed events have none.
    live_payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def visible_to(self, principal: Principal, users: Collection[str] = ()) -> bool:
        """Recipients alone see a recipient event; otherwise vendor-side accounts see every
        event and partners those addressed to their organization.

        `users` are further users of the principal's organization that a shared stream
        serves (it then hands each recipient event to its recipients only).
        """
        if self.recipients:
            return principal.user_id in self.recipients or not self.recipients.isdisjoint(users)
        return principal.is_vendor or principal.organization_id in self.audience

    def encode(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "topic": self.topic,
                "type": self.type,
                "subject": self.subject_id,
                "payload": self.payload,
                "at": self.occurred_at.isoformat(),
                "audience": sorted(self.audience),
                "recipients": sorted(self.recipients),
                "ephemeral": self.ephemeral,
                "live": self.live_payload,
            }
        )

    @classmethod
    def decode(cls, message: str) -> DomainEvent:
        data = json.loads(message)
        return cls(
            id=int(data["id"]),
            topic=data["topic"],
            type=data["type"],
            subject_id=data["subject"],
            payload=data["payload"],
            occurred_at=datetime.fromisoformat(data["at"]),
            audience=frozenset(data["audience"]),
            recipients=frozenset(data.get("recipients", ())),
            ephemeral=bool(data.get("ephemeral", False)),
            live_payload=data.get("live"),
        )


class SubscriberTooSlow(HubError):
    code = "RATE_LIMITED"
