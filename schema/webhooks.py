"""GraphQL types of webhooks: endpoints, their delivery log with each attempt, replays, and
the events that tell vendor staff an endpoint was disabled."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.events import DomainEvent
from hub.webhooks import endpoints as endpoint_service
from hub.webhooks import resend
from hub.webhooks.rules import DeliveryKind, DeliveryStatus, EndpointStatus, WebhookEventType
from schema.context import Info
from schema.enums import described_enum
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from storage.models.webhooks import WebhookAttempt as AttemptModel
from storage.models.webhooks import WebhookDelivery as DeliveryModel

described_enum(
    EndpointStatus,
    name="WebhookEndpointStatus",
    description="DISABLED by hand or after a run of failed attempts; events still queue up "
    "and go out, in order, once it is enabled again.",
    values={
        "ACTIVE": "Events go out to it.",
        "DISABLED": "Events queue up and go out once it is enabled again.",
    },
)
described_enum(
    DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING until the receiver answers 2xx (SUCCEEDED) or 3 days of retries "
    "pass (FAILED).",
    values={
        "PENDING": "Still being tried.",
        "SUCCEEDED": "The receiver answered 2xx.",
        "FAILED": "3 days of retries passed without a 2xx answer.",
    },
)
described_enum(
    DeliveryKind,
    name="WebhookDeliveryKind",
    description="EVENT from the log, REPLAY queued by replayWebhooks, PING a test.",
    values={
        "EVENT": "An event of the log.",
        "REPLAY": "An event queued again by replayWebhooks.",
        "PING": "A test sent by pingWebhookEndpoint.",
    },
)
described_enum(
    WebhookEventType,
    name="WebhookEventType",
    description="What happened to a webhook endpoint.",
    values={"WEBHOOK_ENDPOINT_DISABLED": "The endpoint was disabled after a run of failures."},
)


class WebhookLoaders(LoaderSet):
    webhook_attempts_by_delivery = loader[str, list[AttemptModel]](
        lambda hub, principal, ids: endpoint_service.attempts_by_delivery(hub, ids)
    )


@strawberry.type(description="A topic webhooks can receive and its event types.")
class WebhookTopic:
    name: str = strawberry.field(description="The topic's name, e.g. lead.")
    event_types: list[str] = strawberry.field(
        description="The event types of the topic, e.g. LEAD_OFFERED."
    )


@strawberry.type(description="A URL that receives signed events (Standard Webhooks).")
class WebhookEndpoint(Node):
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where events are POSTed.")
    description: str = strawberry.field(description='What the endpoint is for, e.g. "CRM sync".')
    topics: list[str] = strawberry.field(description="The topics it receives.")
    event_types: list[str] = strawberry.field(description="Empty: every type of the topics.")
    partner_ids: list[strawberry.ID] = strawberry.field(
        description="Empty: events of every partner (and the vendor's own)."
    )
    status: EndpointStatus = strawberry.field(description="Whether events go out to it.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled, by hand or after failures."
    )
    failure_streak: int = strawberry.field(description="Failed attempts since the last success.")
    last_success_at: datetime | None = strawberry.field(
        description="When it last answered 2xx (RFC 3339, UTC)."
    )
    queued_through: str = strawberry.field(
        description="The cursor of the last event looked at for it: later ones are not queued yet."
    )
    secret_created_at: datetime = strawberry.field(
        description="When the current signing secret was made (RFC 3339, UTC)."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then the rotated-out secret signs too (a second v1 signature)."
    )
    created_at: datetime = strawberry.field(
        description="When the endpoint was registered (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")

    @classmethod
    def of(cls, found: endpoint_service.Endpoint) -> WebhookEndpoint:
        model = found.model
        return cls(
            id=strawberry.ID(model.id),
            url=model.url,
            description=model.description,
            topics=list(model.topics),
            event_types=list(model.event_types),
            partner_ids=[strawberry.ID(item) for item in model.partner_ids],
            status=EndpointStatus(model.status),
            disabled_reason=model.disabled_reason,
            failure_streak=model.failure_streak,
            last_success_at=model.last_success_at,
            queued_through=str(model.fed_through),
            secret_created_at=found.secret_created_at,
            previous_secret_expires_at=found.previous_secret_expires_at,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


@strawberry.type(description="An endpoint and its new signing secret, shown this once.")
class WebhookEndpointSecret:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint the secret signs for.")
    secret: str = strawberry.field(description="whsec_ and base64: keep it with the receiver.")

    @classmethod
    def of(cls, made: endpoint_service.NewSecret) -> WebhookEndpointSecret:
        return cls(endpoint=WebhookEndpoint.of(made.endpoint), secret=made.secret)


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    number: int = strawberry.field(description="Which try it was, from 1.")
    status_code: int | None = strawberry.field(description="None when nothing answered.")
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")
    response: str | None = strawberry.field(description="The first 1 KiB of the answer.")
    error: str | None = strawberry.field(description="Why it failed, when no HTTP answer came.")
    attempted_at: datetime = strawberry.field(description="When it was made (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: AttemptModel) -> WebhookAttempt:
        return cls(
            number=model.number,
            status_code=model.status_code,
            duration_ms=model.duration_ms,
            response=model.response,
            error=model.error,
            attempted_at=model.attempted_at,
        )


@strawberry.type(description="An event (or a ping) for an endpoint, with how it went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    kind: DeliveryKind = strawberry.field(
        description="Why it was sent: an event, a replay or a ping."
    )
    event_type: str = strawberry.field(
        description="The event type delivered, e.g. LEAD_OFFERED or WEBHOOK_PING."
    )
    event_cursor: str | None = strawberry.field(description="The event's cursor (not on pings).")
    message_id: str = strawberry.field(description="The webhook-id header, same on every try.")
    status: DeliveryStatus = strawberry.field(description="Whether it got through.")
    attempt_count: int = strawberry.field(description="How many tries were made.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next try is due (RFC 3339, UTC); null when done."
    )
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last try; null when nothing answered."
    )
    last_duration_ms: int | None = strawberry.field(
        description="How long the last try took, in milliseconds."
    )
    last_response: str | None = strawberry.field(description="The first 1 KiB of the last answer.")
    last_error: str | None = strawberry.field(
        description="Why the last try failed, when no HTTP answer came."
    )
    created_at: datetime = strawberry.field(description="When it was queued (RFC 3339, UTC).")
    finished_at: datetime | None = strawberry.field(
        description="When it succeeded or failed for good (RFC 3339, UTC)."
    )

    @classmethod
    def from_model(cls, model: DeliveryModel) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(model.id),
            kind=DeliveryKind(model.kind),
            event_type=model.event_type,
            event_cursor=str(model.event_id) if model.event_id is not None else None,
            message_id=model.message_id,
            status=DeliveryStatus(model.status),
            attempt_count=model.attempts,
            next_attempt_at=model.next_attempt_at,
            last_status_code=model.last_status_code,
            last_duration_ms=model.last_duration_ms,
            last_response=model.last_response,
            last_error=model.last_error,
            created_at=model.created_at,
            finished_at=model.finished_at,
        )

    @strawberry.field(description="Every try, first first.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        rows = await WebhookLoaders.of(info).webhook_attempts_by_delivery.load(str(self.id))
        return [WebhookAttempt.from_model(row) for row in rows]


@strawberry.type(description="What replayWebhooks queued, and where to go on from.")
class WebhookReplay:
    queued: int = strawberry.field(description="How many events were queued again.")
    through: str = strawberry.field(
        description="The cursor it stopped at: replay after it for the rest when not complete."
    )
    complete: bool = strawberry.field(
        description="True when every event after the cursor is queued."
    )

    @classmethod
    def of(cls, done: resend.Replay) -> WebhookReplay:
        return cls(queued=done.queued, through=str(done.through), complete=done.complete)


@strawberry.type(description="A change to webhooks vendor staff should know of.")
class WebhookEvent:
    cursor: str = strawberry.field(
        description="The event's position; pass it as `after` to resume after it."
    )
    type: WebhookEventType = strawberry.field(description="What happened to the endpoint.")
    occurred_at: datetime = strawberry.field(description="When it happened (RFC 3339, UTC).")
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint the event is about.")
    reason: str | None = strawberry.field(description="Why the endpoint was disabled.")

    @classmethod
    def from_event(cls, event: DomainEvent) -> WebhookEvent:
        return cls(
            cursor=str(event.id),
            type=WebhookEventType(event.type),
            occurred_at=event.occurred_at,
            endpoint_id=strawberry.ID(event.payload["endpointId"]),
            reason=event.payload.get("reason"),
        )


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointInput:
    url: str = strawberry.field(description="http(s); public addresses only in production.")
    topics: list[str] = strawberry.field(description="Topic names from webhookTopics to receive.")
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Of the topics; empty for all."
    )
    partner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Only events of these partners; empty for all."
    )
    description: str = strawberry.field(default="", description="What the endpoint is for.")


@strawberry.input(description="What to change of an endpoint; omitted fields stay.")
class WebhookEndpointChangesInput:
    url: str | None = strawberry.field(
        default=None, description="The new URL: http(s), public addresses only in production."
    )
    topics: list[str] | None = strawberry.field(
        default=None, description="The topics to receive from now on."
    )
    event_types: list[str] | None = strawberry.field(
        default=None, description="The event types to receive; empty for all of the topics."
    )
    partner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only events of these partners; empty for all."
    )
    description: str | None = strawberry.field(default=None, description="The new description.")
