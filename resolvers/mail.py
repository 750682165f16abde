"""Root fields of email: your preferences, and the record of messages."""

from __future__ import annotations

import strawberry

from hub.mail import preferences
from hub.mail.rules import EmailKind, EmailMode, EmailStatus
from schema.arguments import After, First
from schema.context import Info
from schema.mail import EmailMessage, EmailPreference
from schema.relay import Connection, page_request


@strawberry.type
class MailQuery:
    @strawberry.field(description="How you get each kind of email you may choose.")
    async def email_preferences(self, info: Info) -> list[EmailPreference]:
        found = await preferences.of_user(
            info.context.hub, principal=info.context.require_principal()
        )
        return [EmailPreference(kind=kind, mode=mode) for kind, mode in found]

    @strawberry.field(
        description="Email queued and sent, newest first: vendor admins everyone's (or one "
        "user's), anyone else their own."
    )
    async def email_messages(
        self,
        info: Info,
        statuses: list[EmailStatus] | None = None,
        user_id: strawberry.ID | None = None,
        first: First = None,
        after: After = None,
    ) -> Connection[EmailMessage]:
        page = await preferences.messages(
            info.context.hub,
            principal=info.context.require_principal(),
            statuses=statuses or [],
            user_id=user_id,
            page=page_request(info, first, after),
        )
        return Connection[EmailMessage].of(page, EmailMessage.from_model)


@strawberry.type
class MailMutation:
    @strawberry.mutation(description="Choose how you get one kind of email.")
    async def set_email_preference(
        self, info: Info, kind: EmailKind, mode: EmailMode
    ) -> EmailPreference:
        chosen, how = await preferences.choose(
            info.context.hub, principal=info.context.require_principal(), kind=kind, mode=mode
        )
        return EmailPreference(kind=chosen, mode=how)
