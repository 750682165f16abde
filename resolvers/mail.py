"""Root fields of email: your preferences, and the record of messages."""

from __future__ import annotations

from typing import Annotated

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
        statuses: Annotated[
            list[EmailStatus] | None,
            strawberry.argument(
                description="Only messages with one of these statuses; all when left out."
            ),
        ] = None,
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Vendor admins: only the messages to this user."),
        ] = None,
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
        self,
        info: Info,
        kind: Annotated[
            EmailKind,
            strawberry.argument(
                description="The kind of email; one the user may choose (not "
                "INVITATION, PASSWORD_RESET or DIGEST)."
            ),
        ],
        mode: Annotated[EmailMode, strawberry.argument(description="How to get it from now on.")],
    ) -> EmailPreference:
        chosen, how = await preferences.choose(
            info.context.hub, principal=info.context.require_principal(), kind=kind, mode=mode
        )
        return EmailPreference(kind=chosen, mode=how)
