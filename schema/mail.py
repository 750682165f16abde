"""GraphQL types of email: the kinds and modes users choose, and the messages sent."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.mail.rules import EmailKind, EmailMode, EmailStatus
from schema.enums import described_enum
from storage.models.mail import EmailMessage as MessageModel

described_enum(
    EmailKind,
    name="EmailKind",
    description="What an email is about; INVITATION, PASSWORD_RESET and DIGEST always go.",
    values={
        "LEAD_OFFERED": "A lead was offered to the user's partner.",
        "LEAD_OFFER_REMINDER": "An offered lead is about to expire unaccepted.",
        "DEAL_DECIDED": "A deal registration was approved or rejected.",
        "ORDER_SHIPPED": "An order shipped.",
        "ORDER_DELIVERED": "An order was delivered.",
        "CERTIFICATION_EXPIRING": "A certification of the user expires within 30 days.",
        "FUND_DECIDED": "A fund request or claim was decided.",
        "MENTIONED": "The user was mentioned in a message.",
        "INVITATION": "An invitation to join an organization.",
        "PASSWORD_RESET": "A link to reset the password.",
        "DIGEST": "The daily digest of what the user chose to get as DIGEST.",
    },
)
described_enum(
    EmailMode,
    name="EmailMode",
    description="IMMEDIATE (the default), in the daily DIGEST, or OFF.",
    values={
        "IMMEDIATE": "Sent at once.",
        "DIGEST": "Gathered into the daily digest.",
        "OFF": "Not sent.",
    },
)
described_enum(
    EmailStatus,
    name="EmailStatus",
    description="QUEUED until the mail server takes it (SENT) or refuses it for good "
    "(FAILED); SKIPPED when what it told of was read in the app first.",
    values={
        "QUEUED": "Waiting to be sent, or to be tried again.",
        "SENT": "The mail server took it.",
        "SKIPPED": "Not sent: what it told of was read in the app first.",
        "FAILED": "The mail server refused it for good.",
    },
)


@strawberry.type(description="How you get one kind of email.")
class EmailPreference:
    kind: EmailKind = strawberry.field(description="The kind of email.")
    mode: EmailMode = strawberry.field(description="How the user gets it.")


@strawberry.type(description="An email queued or sent.")
class EmailMessage:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    kind: EmailKind = strawberry.field(description="What it is about.")
    to_address: str = strawberry.field(description="The address it goes to.")
    subject: str = strawberry.field(description="Its subject line, as sent.")
    status: EmailStatus = strawberry.field(description="Whether it was sent.")
    attempts: int = strawberry.field(description="How many times sending was tried.")
    last_error: str | None = strawberry.field(
        description="What the mail server answered to the last failed try."
    )
    message_id: str = strawberry.field(
        description="Its Message-ID header, to find it in the mail server's logs."
    )
    created_at: datetime = strawberry.field(description="When it was queued (RFC 3339, UTC).")
    sent_at: datetime | None = strawberry.field(
        description="When the mail server took it (RFC 3339, UTC)."
    )

    @classmethod
    def from_model(cls, model: MessageModel) -> EmailMessage:
        return cls(
            id=strawberry.ID(model.id),
            kind=EmailKind(model.kind),
            to_address=model.to_address,
            subject=model.subject,
            status=EmailStatus(model.status),
            attempts=model.attempts,
            last_error=model.last_error,
            message_id=model.message_id,
            created_at=model.created_at,
            sent_at=model.sent_at,
        )
