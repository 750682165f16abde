"""GraphQL types of email: the kinds and modes users choose, and the messages sent."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.mail.rules import EmailKind, EmailMode, EmailStatus
from storage.models.mail import EmailMessage as MessageModel

strawberry.enum(
    EmailKind,
    name="EmailKind",
    description="What an email is about; INVITATION, PASSWORD_RESET and DIGEST always go.",
)
strawberry.enum(
    EmailMode,
    name="EmailMode",
    description="IMMEDIATE (the default), in the daily DIGEST, or OFF.",
)
strawberry.enum(
    EmailStatus,
    name="EmailStatus",
    description="QUEUED until the mail server takes it (SENT) or refuses it for good "
    "(FAILED); SKIPPED when what it told of was read in the app first.",
)


@strawberry.type(description="How you get one kind of email.")
class EmailPreference:
    kind: EmailKind
    mode: EmailMode


@strawberry.type(description="An email queued or sent.")
class EmailMessage:
    id: strawberry.ID
    kind: EmailKind
    to_address: str
    subject: str
    status: EmailStatus
    attempts: int
    last_error: str | None
    message_id: str = strawberry.field(description="Its Message-ID header.")
    created_at: datetime
    sent_at: datetime | None

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
