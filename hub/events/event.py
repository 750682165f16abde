"""A domain event as the log stores it and the bus carries it, with its wire codec."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.errors import HubError
from hub.roles import Principal


@dataclass(frozen=True, eq=False)
class Reach:
    """Whom a stream of events is for: the organizations whose events it takes (None: every
    organization, as vendor staff see them) and the users whose recipient events it takes.

    A stream shared by several sockets (`members`) takes the recipient events of all its
    members' users, a live view its group keeps current; it never replays, each member
    replaying alone before it joins.
    """

    organizations: frozenset[str] | None
    users: Collection[str]
    shared: bool = False

    @classmethod
    def of(cls, principal: Principal) -> Reach:
        """What one principal may see."""
        return cls(cls._organizations(principal), (principal.user_id,))

    @classmethod
    def members(cls, principal: Principal, users: Collection[str]) -> Reach:
        """What a stream shared by `users` of the principal's audience may see."""
        return cls(cls._organizations(principal), users, shared=True)

    @staticmethod
    def _organizations(principal: Principal) -> frozenset[str] | None:
        return None if principal.is_vendor else frozenset({principal.organization_id})


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

    def reaches(self, reach: Reach) -> bool:
        """Recipients alone get a recipient event; otherwise vendor-side accounts get every
        event and partners those addressed to their organization."""
        if self.recipients:
            return not self.recipients.isdisjoint(reach.users)
        return reach.organizations is None or not self.audience.isdisjoint(reach.organizations)

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
