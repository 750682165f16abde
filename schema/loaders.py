"""Per-request DataLoaders: one batched query per relationship, whatever the page size."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from hub import partners as partner_service
from hub import users as user_service
from hub.assets import service as asset_service
from hub.knowledge import articles as article_service
from hub.knowledge import attachments as practice_files
from hub.knowledge import categories as category_service
from hub.knowledge import discussion, engagement
from hub.leads import activity as lead_activity
from hub.leads import service as lead_service
from hub.messaging import conversations as conversation_service
from hub.messaging import messages as message_service
from hub.orders import catalog, stock
from hub.orders import service as order_service
from hub.orders.catalog import Quote
from hub.roles import Principal
from hub.runtime import Hub
from hub.training import certifications as certification_service
from hub.training import compliance
from hub.training import courses as course_service
from hub.training import enrolments as enrolment_service
from storage.models import (
    Article,
    ArticleCategory,
    ArticleRevision,
    AssessmentAttempt,
    Asset,
    AssetVersion,
    BestPracticeAttachment,
    CertificationDefinition,
    ConversationParticipant,
    Course,
    Lead,
    LeadActivity,
    LeadAssignment,
    LeadNote,
    Lesson,
    LessonProgress,
    Message,
    MessageAttachment,
    OrderLine,
    OrderStatusChange,
    Organization,
    Partner,
    PartnerChange,
    Product,
    ProductPrice,
    Territory,
    User,
    Warehouse,
)

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")
Shown = TypeVar("Shown")


async def prefetch(loader: DataLoader[Key, Value], keys: Iterable[Key | None]) -> None:
    """Load the keys of a page's items now, in one batch, so that each item's field answers
    from `at_once` without awaiting (an awaited field costs graphql-core a task per item).

    A batch that fails is left for each field to raise again, on its own path, as it would
    have without the prefetch.
    """
    wanted = list(dict.fromkeys(key for key in keys if key is not None))
    if not wanted:
        return
    with contextlib.suppress(Exception):  # each field reading a key raises it again
        await loader.load_many(wanted)


def at_once(
    loader: DataLoader[Key, Value], key: Key, convert: Callable[[Value], Shown]
) -> Shown | Awaitable[Shown]:
    """The converted value when the loader already holds it (see `prefetch`), else an
    awaitable of it: a resolver that returns this stays synchronous for prefetched pages."""
    future = loader.cache_map.get(key) if loader.cache else None
    if future is not None and future.done() and not future.cancelled() and not future.exception():
        return convert(future.result())
    return _converted(loader.load(key), convert)


async def _converted(pending: Awaitable[Value], convert: Callable[[Value], Shown]) -> Shown:
    return convert(await pending)


class Loaders:
    """Loaders named <Thing>By<Key>, built for one principal and one operation."""

    def __init__(self, hub: Hub, principal: Principal) -> None:
        self.participants_by_conversation: DataLoader[str, list[ConversationParticipant]] = (
            DataLoader(
                lambda ids: conversation_service.participants(
                    hub, principal=principal, conversation_ids=ids
                )
            )
        )
        self.unread_by_conversation: DataLoader[str, int] = DataLoader(
            lambda ids: conversation_service.unread_counts(
                hub, principal=principal, conversation_ids=ids
            )
        )
        self.last_message_by_conversation: DataLoader[str, Message | None] = DataLoader(
            lambda ids: message_service.last_by_conversation(
                hub, principal=principal, conversation_ids=ids
            )
        )
        self.mentions_by_message: DataLoader[str, list[str]] = DataLoader(
            lambda ids: message_service.mentioned_users(hub, ids)
        )
        self.attachments_by_message: DataLoader[
            str, list[tuple[MessageAttachment, Asset | None]]
        ] = DataLoader(
            lambda ids: message_service.attachments_by_message(
                hub, principal=principal, message_ids=ids
            )
        )
        self.article_by_id: DataLoader[str, Article | None] = DataLoader(
            lambda ids: article_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.article_category_by_id: DataLoader[str, ArticleCategory | None] = DataLoader(
            lambda ids: category_service.categories_by_ids(hub, ids)
        )
        self.related_assets_by_article: DataLoader[str, list[Asset]] = DataLoader(
            lambda ids: article_service.related_assets(hub, principal=principal, article_ids=ids)
        )
        self.partners_named_by_article: DataLoader[str, list[str]] = DataLoader(
            lambda ids: article_service.named_partners(hub, ids)
        )
        self.revisions_by_article: DataLoader[str, list[ArticleRevision]] = DataLoader(
            lambda ids: article_service.revisions(hub, principal=principal, article_ids=ids)
        )
        self.stats_by_article: DataLoader[str, engagement.ArticleStats] = DataLoader(
            lambda ids: engagement.stats(hub, principal=principal, article_ids=ids)
        )
        self.user_name_by_id: DataLoader[str, str | None] = DataLoader(
            lambda ids: discussion.user_names(hub, ids)
        )
        self.organization_name_by_id: DataLoader[str, str | None] = DataLoader(
            lambda ids: discussion.organization_names(hub, ids)
        )
        self.rating_by_practice: DataLoader[str, discussion.Rating] = DataLoader(
            lambda ids: discussion.ratings(hub, principal=principal, practice_ids=ids)
        )
        self.attachments_by_practice: DataLoader[
            str, list[tuple[BestPracticeAttachment, Asset | None]]
        ] = DataLoader(
            lambda ids: practice_files.by_practice(hub, principal=principal, practice_ids=ids)
        )
        self.user_by_id: DataLoader[str, User | None] = DataLoader(
            lambda ids: user_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.organization_by_id: DataLoader[str, Organization | None] = DataLoader(
            lambda ids: user_service.organizations_by_ids(hub, principal=principal, ids=ids)
        )
        self.partner_by_id: DataLoader[str, Partner | None] = DataLoader(
            lambda ids: partner_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.partners_by_parent: DataLoader[str, list[Partner]] = DataLoader(
            lambda ids: partner_service.children_by_parent(hub, principal=principal, ids=ids)
        )
        self.specializations_by_partner: DataLoader[str, list[str]] = DataLoader(
            lambda ids: partner_service.specializations_by_partner(hub, ids)
        )
        self.territories_by_partner: DataLoader[str, list[Territory]] = DataLoader(
            lambda ids: partner_service.territories_by_partner(hub, ids)
        )
        self.changes_by_partner_field: DataLoader[tuple[str, str], list[PartnerChange]] = (
            DataLoader(lambda keys: partner_service.changes_by_partner(hub, keys))
        )
        self.lead_by_id: DataLoader[str, Lead | None] = DataLoader(
            lambda ids: lead_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.notes_by_lead: DataLoader[str, list[LeadNote]] = DataLoader(
            lambda ids: lead_activity.notes_by_lead(hub, principal=principal, ids=ids)
        )
        self.follow_ups_by_lead: DataLoader[str, list[LeadActivity]] = DataLoader(
            lambda ids: lead_activity.follow_ups_by_lead(hub, principal=principal, ids=ids)
        )
        self.assignments_by_lead: DataLoader[str, list[LeadAssignment]] = DataLoader(
            lambda ids: lead_activity.assignments_by_lead(hub, principal=principal, ids=ids)
        )
        self.prices_by_product: DataLoader[str, list[ProductPrice]] = DataLoader(
            lambda ids: catalog.prices_by_product(hub, ids)
        )
        self.product_by_id: DataLoader[str, Product | None] = DataLoader(
            lambda ids: catalog.by_ids(hub, ids)
        )
        self.warehouse_by_id: DataLoader[str, Warehouse | None] = DataLoader(
            lambda ids: stock.warehouses_by_ids(hub, ids)
        )
        self.lines_by_order: DataLoader[str, list[OrderLine]] = DataLoader(
            lambda ids: order_service.lines_by_order(hub, ids)
        )
        self.history_by_order: DataLoader[str, list[OrderStatusChange]] = DataLoader(
            lambda ids: order_service.history_by_order(hub, ids)
        )
        self.versions_by_asset: DataLoader[str, list[AssetVersion]] = DataLoader(
            lambda ids: asset_service.versions_by_asset(hub, ids)
        )
        self.asset_by_id: DataLoader[str, Asset | None] = DataLoader(
            lambda ids: asset_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.course_by_id: DataLoader[str, Course | None] = DataLoader(
            lambda ids: course_service.by_ids(hub, principal=principal, ids=ids)
        )
        self.lessons_by_course: DataLoader[str, list[Lesson]] = DataLoader(
            lambda ids: course_service.lessons_by_course(hub, ids)
        )
        self.progress_by_enrolment: DataLoader[str, list[LessonProgress]] = DataLoader(
            lambda ids: enrolment_service.progress_by_enrolment(hub, ids)
        )
        self.attempts_by_enrolment: DataLoader[str, list[AssessmentAttempt]] = DataLoader(
            lambda ids: enrolment_service.attempts_by_enrolment(hub, ids)
        )
        self.definition_by_id: DataLoader[str, CertificationDefinition | None] = DataLoader(
            lambda ids: certification_service.definitions_by_ids(hub, ids)
        )
        self.courses_by_definition: DataLoader[str, list[str]] = DataLoader(
            lambda ids: certification_service.courses_by_definition(hub, ids)
        )
        self.compliance_by_partner_tier: DataLoader[
            tuple[str, str], compliance.Compliance | None
        ] = DataLoader(
            lambda keys: compliance.compliance_by_partner(hub, principal=principal, keys=keys)
        )
        self.quote_by_product_currency: DataLoader[tuple[str, str], Quote | None] = DataLoader(
            lambda keys: _quotes(hub, principal, keys)
        )


async def _quotes(
    hub: Hub, principal: Principal, keys: Sequence[tuple[str, str]]
) -> list[Quote | None]:
    """One query set per currency asked for, whatever the number of products."""
    found: dict[tuple[str, str], Quote] = {}
    for currency in {currency for _, currency in keys}:
        ids = [product_id for product_id, wanted in keys if wanted == currency]
        quotes = await catalog.quote_for(
            hub, principal=principal, product_ids=ids, currency=currency
        )
        found.update(((product_id, currency), quote) for product_id, quote in quotes.items())
    return [found.get(key) for key in keys]
