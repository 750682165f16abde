"""Conversations: who starts them with whom, who is in them, and the messaging policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import events
from hub.db import grouped_by, in_key_order
from hub.errors import BadInput, Forbidden, NotFound
from hub.knowledge import practices
from hub.leads import deals
from hub.leads import service as lead_service
from hub.messaging import rules
from hub.messaging.rules import (
    MAX_PARTICIPANTS,
    ContextType,
    ConversationFilter,
    ConversationInput,
    MessageEventType,
    MessageKind,
    Party,
    may_talk,
)
from hub.orders import service as order_service
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import OrganizationKind, Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models import (
    Conversation,
    ConversationParticipant,
    Message,
    MessagingSettings,
    Organization,
    Partner,
    User,
)

SETTINGS_ROW = 1
TOPIC = "message"


@dataclass(frozen=True)
class Policy:
    partner_to_partner: bool
    edit_window_minutes: int


async def policy(session: AsyncSession) -> Policy:
    row = await session.get(MessagingSettings, SETTINGS_ROW)
    if row is None:
        return Policy(partner_to_partner=False, edit_window_minutes=15)
    return Policy(row.partner_to_partner, row.edit_window_minutes)


async def get_policy(hub: Hub) -> Policy:
    async with hub.read() as session:
        return await policy(session)


async def update_policy(
    hub: Hub,
    *,
    principal: Principal,
    partner_to_partner: bool | None,
    edit_window_minutes: int | None,
) -> Policy:
    """Change the vendor's messaging policy (vendor staff)."""
    require_vendor_staff(principal)
    if edit_window_minutes is not None and not 0 <= edit_window_minutes <= 24 * 60:
        raise BadInput("editWindowMinutes must be between 0 and 1440", field="editWindowMinutes")
    async with hub.write() as session:
        row = await session.get(MessagingSettings, SETTINGS_ROW, with_for_update=True)
        if row is None:
            row = MessagingSettings(
                id=SETTINGS_ROW, partner_to_partner=False, edit_window_minutes=15
            )
            session.add(row)
        if partner_to_partner is not None:
            row.partner_to_partner = partner_to_partner
        if edit_window_minutes is not None:
            row.edit_window_minutes = edit_window_minutes
        row.updated_at = hub.clock.now()
        return Policy(row.partner_to_partner, row.edit_window_minutes)


async def start(hub: Hub, *, principal: Principal, data: ConversationInput) -> Conversation:
    """Start a conversation with users and whole organizations the policy lets the caller reach."""
    title = rules.subject(data.subject)
    await _check_context(hub, principal, data.context_type, data.context_id)
    now = hub.clock.now()
    async with hub.write() as session:
        people = await _reachable(
            session, principal, data.user_ids, data.organization_ids, field="input"
        )
        people.setdefault(principal.user_id, principal.organization_id)
        conversation = Conversation(
            subject=title,
            context_type=data.context_type,
            context_id=data.context_id,
            started_by_id=principal.user_id,
            created_at=now,
            last_activity_at=now,
            last_seq=0,
        )
        session.add(conversation)
        await session.flush()
        _join(session, conversation.id, people, principal, now)
        await _announce(hub, session, conversation, principal, list(people), list(people), now)
    return conversation


async def add_participants(
    hub: Hub,
    *,
    principal: Principal,
    conversation_id: str,
    user_ids: Sequence[str],
    organization_ids: Sequence[str],
) -> Conversation:
    """The starter or a participating vendor staff member adds people; everyone sees a note."""
    now = hub.clock.now()
    async with hub.write() as session:
        conversation = await load(session, principal, conversation_id, for_update=True)
        if conversation.started_by_id != principal.user_id and not principal.is_vendor_staff:
            raise Forbidden("only the conversation's starter or vendor staff may add people")
        present = await participant_ids(session, conversation.id)
        wanted = await _reachable(session, principal, user_ids, organization_ids, field="")
        new = {user: org for user, org in wanted.items() if user not in present}
        if not new:
            return conversation
        if len(present) + len(new) > MAX_PARTICIPANTS:
            raise BadInput(
                f"a conversation has at most {MAX_PARTICIPANTS} participants", field="userIds"
            )
        _join(session, conversation.id, new, principal, now)
        names = await _names(session, list(new))
        conversation.last_seq += 1
        conversation.last_activity_at = now
        session.add(
            Message(
                conversation_id=conversation.id,
                seq=conversation.last_seq,
                kind=MessageKind.SYSTEM,
                author_id=principal.user_id,
                organization_id=principal.organization_id,
                body=f"added {', '.join(names)}",
                data={"added": list(new)},
                created_at=now,
            )
        )
        await _announce(hub, session, conversation, principal, list(new), [*present, *new], now)
    return conversation


async def get(
    hub: Hub, *, principal: Principal, conversation_id: str, field: str = "id"
) -> Conversation:
    """A conversation the caller takes part in; `field` names the argument that gave its id."""
    async with hub.read() as session:
        return await load(session, principal, conversation_id, field=field)


async def list_conversations(
    hub: Hub, *, principal: Principal, filter: ConversationFilter, page: PageRequest
) -> Page[Conversation]:
    """The caller's conversations, most recent activity first."""
    mine = ConversationParticipant
    statement = select(Conversation).join(
        mine,
        and_(mine.conversation_id == Conversation.id, mine.user_id == principal.user_id),
    )
    if filter.context_type is not None:
        statement = statement.where(Conversation.context_type == filter.context_type)
    if filter.context_id is not None:
        statement = statement.where(Conversation.context_id == filter.context_id)
    if filter.unread_only:
        statement = statement.where(
            select(func.count())
            .where(
                Message.conversation_id == Conversation.id,
                Message.seq > mine.read_seq,
                Message.kind == MessageKind.USER,
                Message.author_id != principal.user_id,
                Message.deleted_at.is_(None),
            )
            .scalar_subquery()
            > 0
        )
    async with hub.read() as session:
        return await keyset_page(
            session,
            statement,
            page,
            key=(Conversation.last_activity_at, Conversation.id),
            descending=True,
        )


async def unread_counts(
    hub: Hub, *, principal: Principal, conversation_ids: Sequence[str]
) -> list[int]:
    """Messages by others the caller has not read yet, per conversation."""
    mine = ConversationParticipant
    async with hub.read() as session:
        rows = await session.execute(
            select(Message.conversation_id, func.count())
            .join(
                mine,
                and_(
                    mine.conversation_id == Message.conversation_id,
                    mine.user_id == principal.user_id,
                ),
            )
            .where(
                Message.conversation_id.in_(conversation_ids),
                Message.seq > mine.read_seq,
                Message.kind == MessageKind.USER,
                Message.author_id != principal.user_id,
                Message.deleted_at.is_(None),
            )
            .group_by(Message.conversation_id)
        )
        counts = {row[0]: int(row[1]) for row in rows.all()}
    return [counts.get(key, 0) for key in conversation_ids]


async def participants(
    hub: Hub, *, principal: Principal, conversation_ids: Sequence[str]
) -> list[list[ConversationParticipant]]:
    """Participants of conversations the caller is in (others get an empty list)."""
    async with hub.read() as session:
        allowed = select(ConversationParticipant.conversation_id).where(
            ConversationParticipant.user_id == principal.user_id,
            ConversationParticipant.conversation_id.in_(conversation_ids),
        )
        rows = (
            await session.scalars(
                select(ConversationParticipant)
                .where(ConversationParticipant.conversation_id.in_(allowed))
                .order_by(ConversationParticipant.added_at, ConversationParticipant.user_id)
            )
        ).all()
    return grouped_by(rows, conversation_ids, lambda row: row.conversation_id)


async def people_by_ids(hub: Hub, ids: Sequence[str]) -> list[User | None]:
    """Participants' user records (name and organization only are shown)."""
    async with hub.read() as session:
        rows = (await session.scalars(select(User).where(User.id.in_(ids)))).all()
    return in_key_order(rows, ids)


async def load(
    session: AsyncSession,
    principal: Principal,
    conversation_id: str,
    *,
    for_update: bool = False,
    field: str = "conversationId",
) -> Conversation:
    """A conversation the caller takes part in; anything else is NOT_FOUND."""
    statement = select(Conversation).where(
        Conversation.id == conversation_id,
        Conversation.id.in_(
            select(ConversationParticipant.conversation_id).where(
                ConversationParticipant.user_id == principal.user_id
            )
        ),
    )
    if for_update:
        statement = statement.with_for_update(of=Conversation)
    conversation = (await session.scalars(statement)).one_or_none()
    if conversation is None:
        raise NotFound("no such conversation", field=field)
    return conversation


async def participant_ids(session: AsyncSession, conversation_id: str) -> list[str]:
    """Who takes part, in one prebuilt statement (every send runs it)."""
    found = await session.scalars(_PARTICIPANT_IDS, {"conversation": conversation_id})
    return list(found.all())


_PARTICIPANT_IDS = select(ConversationParticipant.user_id).where(
    ConversationParticipant.conversation_id == bindparam("conversation")
)


# Helpers


async def _reachable(
    session: AsyncSession,
    principal: Principal,
    user_ids: Sequence[str],
    organization_ids: Sequence[str],
    *,
    field: str,
) -> dict[str, str]:
    """Users (id -> organization) the caller may message: named ones, and the active users
    of named organizations. Anyone out of reach is NOT_FOUND, like an unknown id."""
    prefix = f"{field}." if field else ""
    if len(user_ids) + len(organization_ids) > MAX_PARTICIPANTS:
        longer = "organizationIds" if len(organization_ids) > len(user_ids) else "userIds"
        raise BadInput(
            f"a conversation has at most {MAX_PARTICIPANTS} participants", field=prefix + longer
        )
    users = {
        user.id: user
        for user in (
            await session.scalars(
                select(User).where(User.id.in_(list(user_ids)), User.active.is_(True))
            )
        ).all()
    }
    wanted = {principal.organization_id, *organization_ids}
    wanted |= {user.organization_id for user in users.values()}
    parties = await _parties(session, wanted)
    me = parties.get(principal.organization_id)
    if me is None:
        raise Forbidden("your organization cannot take part in conversations now")
    partner_to_partner = (await policy(session)).partner_to_partner

    def reachable(organization_id: str) -> bool:
        other = parties.get(organization_id)
        return other is not None and may_talk(me, other, partner_to_partner=partner_to_partner)

    people: dict[str, str] = {}
    for index, user_id in enumerate(user_ids):
        user = users.get(user_id)
        if user is None or not reachable(user.organization_id):
            raise NotFound(_out_of_reach("user", user_id), field=f"{prefix}userIds[{index}]")
        people[user.id] = user.organization_id
    for index, organization_id in enumerate(organization_ids):
        if not reachable(organization_id):
            raise NotFound(
                _out_of_reach("organization", organization_id),
                field=f"{prefix}organizationIds[{index}]",
            )
    if organization_ids:
        members = await session.execute(
            select(User.id, User.organization_id).where(
                User.organization_id.in_(list(organization_ids)), User.active.is_(True)
            )
        )
        people.update({row[0]: row[1] for row in members.all()})
    if len(people) > MAX_PARTICIPANTS:
        raise BadInput(
            f"a conversation has at most {MAX_PARTICIPANTS} participants",
            field=f"{prefix}organizationIds",
        )
    return people


def _out_of_reach(kind: str, value: str) -> str:
    return (
        f"no {kind} you may message has id {value!r} (partners reach the vendor, their "
        "distributor and sub-resellers; other partners only when the vendor allows it)"
    )


async def _parties(session: AsyncSession, organization_ids: set[str]) -> dict[str, Party]:
    """Organizations as the policy sees them; suspended or unknown partners are left out."""
    rows = await session.execute(
        select(Organization.id, Organization.kind, Partner.parent_id, Partner.status)
        .outerjoin(Partner, Partner.id == Organization.id)
        .where(Organization.id.in_(list(organization_ids)))
    )
    return {
        organization_id: Party(organization_id, kind == OrganizationKind.VENDOR, parent_id)
        for organization_id, kind, parent_id, status in rows.all()
        if kind == OrganizationKind.VENDOR or status in (None, "ACTIVE")
    }


def _join(
    session: AsyncSession,
    conversation_id: str,
    people: dict[str, str],
    principal: Principal,
    now: datetime,
) -> None:
    session.add_all(
        ConversationParticipant(
            conversation_id=conversation_id,
            user_id=user_id,
            organization_id=organization_id,
            added_by_id=principal.user_id,
            added_at=now,
            read_seq=0,
        )
        for user_id, organization_id in people.items()
    )


async def _names(session: AsyncSession, user_ids: list[str]) -> list[str]:
    rows = {
        row[0]: row[1]
        for row in (
            await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        ).all()
    }
    return [rows.get(user, "someone") for user in user_ids]


async def _announce(
    hub: Hub,
    session: AsyncSession,
    conversation: Conversation,
    principal: Principal,
    added: list[str],
    everyone: list[str],
    now: datetime,
) -> None:
    await events.append(
        session,
        topic=TOPIC,
        type=MessageEventType.PARTICIPANT_ADDED,
        subject_id=conversation.id,
        audience=(),
        recipients=everyone,
        payload={
            "conversationId": conversation.id,
            "userId": principal.user_id,
            "added": sorted(added),
            "seq": conversation.last_seq,
        },
        now=now,
    )


async def _check_context(
    hub: Hub, principal: Principal, kind: ContextType | None, record_id: str | None
) -> None:
    """A conversation may be about a record the starter can see."""
    if (kind is None) != (record_id is None):
        raise BadInput("give both context type and id, or neither", field="input.contextId")
    if kind is None or record_id is None:
        return
    try:
        if kind is ContextType.LEAD:
            await lead_service.get(hub, principal=principal, lead_id=record_id)
        elif kind is ContextType.ORDER:
            await order_service.get(hub, principal=principal, order_id=record_id)
        elif kind is ContextType.DEAL_REGISTRATION:
            await deals.get(hub, principal=principal, deal_id=record_id)
        else:
            await practices.get(hub, principal=principal, practice_id=record_id)
    except NotFound:
        raise NotFound(f"no {kind.lower()} with this id", field="input.contextId") from None
