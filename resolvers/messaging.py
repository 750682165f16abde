"""Root fields of messaging: conversations, sending, receipts, typing, live message events."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from hub.messaging import conversations as conversation_service
from hub.messaging import messages as message_service
from hub.messaging import rules
from schema.arguments import After, EventsAfter, First, Id
from schema.context import Info
from schema.events import parse_cursor, subscribe
from schema.inputs import to_hub
from schema.loading import prefetch
from schema.messaging import (
    Conversation,
    ConversationFilter,
    ConversationInput,
    Message,
    MessageEvent,
    MessagingLoaders,
    MessagingSettings,
    Participant,
)
from schema.relay import Connection, page_request, selects
from schema.uploads import Upload, bytes_of, file_of


@strawberry.type
class MessagingQuery:
    @strawberry.field(description="The caller's conversations, most recent activity first.")
    async def conversations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            ConversationFilter | None,
            strawberry.argument(
                description="Which conversations to list; all the caller takes part in "
                "when left out."
            ),
        ] = None,
    ) -> Connection[Conversation]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or ConversationFilter()
        result = await conversation_service.list_conversations(
            hub,
            principal=principal,
            filter=to_hub(wanted, rules.ConversationFilter),
            page=page_request(info, first, after),
        )
        ids = [conversation.id for conversation in result.items]
        if selects(info, "edges", "node", "unreadCount"):
            await prefetch(MessagingLoaders.of(info).unread_by_conversation, ids)
        if selects(info, "edges", "node", "lastMessage"):
            await prefetch(MessagingLoaders.of(info).last_message_by_conversation, ids)
        return Connection[Conversation].of(result, Conversation.from_model)

    @strawberry.field(description="A conversation the caller takes part in.")
    async def conversation(self, info: Info, id: Id) -> Conversation:
        model = await conversation_service.get(
            info.context.hub, principal=info.context.require_principal(), conversation_id=str(id)
        )
        return Conversation.from_model(model)

    @strawberry.field(
        description="The vendor's messaging policy, readable by every signed-in user."
    )
    async def messaging_settings(self, info: Info) -> MessagingSettings:
        info.context.require_principal()
        found = await conversation_service.get_policy(info.context.hub)
        return MessagingSettings(
            partner_to_partner=found.partner_to_partner,
            edit_window_minutes=found.edit_window_minutes,
        )


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(
        description="Start a conversation: the vendor with anyone; a partner with the vendor, "
        "its distributor or sub-resellers, and other partners when the policy allows."
    )
    async def start_conversation(
        self,
        info: Info,
        input: Annotated[
            ConversationInput,
            strawberry.argument(
                description="The subject, the people and the record the conversation is about."
            ),
        ],
    ) -> Conversation:
        principal, hub = info.context.require_principal(), info.context.hub
        model = await conversation_service.start(
            hub,
            principal=principal,
            data=to_hub(input, rules.ConversationInput),
        )
        if input.message is not None:
            await message_service.send(
                hub, principal=principal, conversation_id=model.id, body=input.message
            )
        return Conversation.from_model(model)

    @strawberry.mutation(description="Add people (the starter or vendor staff); all see a note.")
    async def add_conversation_participants(
        self,
        info: Info,
        conversation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The conversation to add people to.")
        ],
        user_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Users to add.")
        ] = None,
        organization_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Organizations whose active users all join."),
        ] = None,
    ) -> list[Participant]:
        principal, hub = info.context.require_principal(), info.context.hub
        model = await conversation_service.add_participants(
            hub,
            principal=principal,
            conversation_id=str(conversation_id),
            user_ids=[str(user) for user in user_ids or []],
            organization_ids=[str(org) for org in organization_ids or []],
        )
        [rows] = await conversation_service.participants(
            hub, principal=principal, conversation_ids=[model.id]
        )
        return [Participant.from_model(row) for row in rows]

    @strawberry.mutation(
        description="Send a message (Markdown; <@userId> mentions). Files go as a GraphQL "
        "multipart request; a retried send with the same clientMessageId returns the first."
    )
    async def send_message(
        self,
        info: Info,
        conversation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The conversation to send to.")
        ],
        body: Annotated[
            str,
            strawberry.argument(
                description="The message (Markdown); <@userId> mentions a participant."
            ),
        ],
        attachments: Annotated[
            list[Upload] | None,
            strawberry.argument(description="Files to send, as parts of the multipart request."),
        ] = None,
        asset_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="Assets of the brand library to attach, ones the caller may see."
            ),
        ] = None,
        client_message_id: Annotated[
            str | None,
            strawberry.argument(
                description="The client's own id of the message, so a retried send is "
                "not sent twice."
            ),
        ] = None,
    ) -> Message:
        uploads = [
            await file_of(file, field=f"attachments[{index}]")
            for index, file in enumerate(attachments or [])
        ]
        model = await message_service.send(
            info.context.hub,
            principal=info.context.require_principal(),
            conversation_id=str(conversation_id),
            body=body,
            files=[
                (upload.filename, bytes_of(upload, field=f"attachments[{index}]"))
                for index, upload in enumerate(uploads)
            ],
            asset_ids=[str(asset) for asset in asset_ids or []],
            client_message_id=client_message_id,
        )
        return Message.from_model(model)

    @strawberry.mutation(description="Change your message within the edit window.")
    async def edit_message(
        self,
        info: Info,
        message_id: Annotated[
            strawberry.ID, strawberry.argument(description="The caller's own message to change.")
        ],
        body: Annotated[str, strawberry.argument(description="The new text (Markdown).")],
    ) -> Message:
        model = await message_service.edit(
            info.context.hub,
            principal=info.context.require_principal(),
            message_id=str(message_id),
            body=body,
        )
        return Message.from_model(model)

    @strawberry.mutation(description="Delete your message; a tombstone stays in its place.")
    async def delete_message(
        self,
        info: Info,
        message_id: Annotated[
            strawberry.ID, strawberry.argument(description="The caller's own message to delete.")
        ],
    ) -> Message:
        model = await message_service.delete_message(
            info.context.hub,
            principal=info.context.require_principal(),
            message_id=str(message_id),
        )
        return Message.from_model(model)

    @strawberry.mutation(description="Everything up to this message is read (a read receipt).")
    async def mark_read(
        self,
        info: Info,
        conversation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The conversation read.")
        ],
        up_to_message_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The last message read; every earlier one counts as read too."
            ),
        ],
    ) -> Participant:
        model = await message_service.mark_read(
            info.context.hub,
            principal=info.context.require_principal(),
            conversation_id=str(conversation_id),
            up_to_message_id=str(up_to_message_id),
        )
        return Participant.from_model(model)

    @strawberry.mutation(description="Tell the others you are typing (live only, not stored).")
    async def typing(
        self,
        info: Info,
        conversation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The conversation typed in.")
        ],
    ) -> bool:
        await message_service.typing(
            info.context.hub,
            principal=info.context.require_principal(),
            conversation_id=str(conversation_id),
        )
        return True

    @strawberry.mutation(description="Change the messaging policy (vendor staff).")
    async def update_messaging_settings(
        self,
        info: Info,
        partner_to_partner: Annotated[
            bool | None,
            strawberry.argument(
                description="True to let partners message any partner; stays when left out."
            ),
        ] = None,
        edit_window_minutes: Annotated[
            int | None,
            strawberry.argument(
                description="Minutes after sending that a message may be edited; stays "
                "when left out."
            ),
        ] = None,
    ) -> MessagingSettings:
        found = await conversation_service.update_policy(
            info.context.hub,
            principal=info.context.require_principal(),
            partner_to_partner=partner_to_partner,
            edit_window_minutes=edit_window_minutes,
        )
        return MessagingSettings(
            partner_to_partner=found.partner_to_partner,
            edit_window_minutes=found.edit_window_minutes,
        )


@strawberry.type
class MessagingSubscription:
    @strawberry.subscription(
        description="MESSAGE_SENT, MESSAGE_EDITED, MESSAGE_DELETED, READ_RECEIPT, "
        "PARTICIPANT_ADDED, MENTIONED and TYPING for the caller's conversations (or one); "
        "`after` replays what was missed (TYPING is never replayed)."
    )
    async def message_events(
        self,
        info: Info,
        conversation_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the events of this conversation; all the caller takes "
                "part in when left out."
            ),
        ] = None,
        after: EventsAfter = None,
    ) -> AsyncGenerator[MessageEvent, None]:
        principal, hub = info.context.require_principal(), info.context.hub
        cursor = parse_cursor(after)
        only = str(conversation_id) if conversation_id is not None else None
        if only is not None:
            await conversation_service.get(
                hub, principal=principal, conversation_id=only, field="conversationId"
            )
        async with subscribe(info, {conversation_service.TOPIC}, after=cursor) as stream:
            async for event in stream:
                if only is None or event.payload.get("conversationId") == only:
                    yield MessageEvent.from_event(event)
