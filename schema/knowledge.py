"""GraphQL types of the knowledge base and the best-practice library."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub import audience
from hub.audience import Audience
from hub.knowledge import articles as article_service
from hub.knowledge import attachments as practice_files
from hub.knowledge import categories as category_service
from hub.knowledge import discussion, engagement
from hub.knowledge.rules import (
    ArticleStatus,
    PracticeOrder,
    PracticeStatus,
    render_markdown,
)
from hub.partners.rules import PartnerType, Tier
from schema.arguments import After, First
from schema.assets import Asset
from schema.attachments import AttachedFile
from schema.context import Info
from schema.identity import IdentityLoaders
from schema.inputs import to_hub
from schema.loading import LoaderSet, loader
from schema.relay import Connection, page_request
from storage.models import Article as ArticleModel
from storage.models import ArticleCategory as ArticleCategoryModel
from storage.models import ArticleRevision as ArticleRevisionModel
from storage.models import Asset as AssetModel
from storage.models import BestPractice as BestPracticeModel
from storage.models import BestPracticeAttachment as BestPracticeAttachmentModel
from storage.models import BestPracticeComment as CommentModel

strawberry.enum(ArticleStatus, name="ArticleStatus")
strawberry.enum(PracticeStatus, name="BestPracticeStatus")
strawberry.enum(PracticeOrder, name="BestPracticeOrder")


@strawberry.type(description="Which partners may see a record.")
class Visibility:
    min_tier: Tier | None
    partner_types: list[PartnerType]
    partner_ids: list[strawberry.ID] = strawberry.field(
        description="When not empty, only these partners see the record."
    )


@strawberry.input(description="Which partners may see a record; empty means every partner.")
class VisibilityInput:
    min_tier: Tier | None = None
    partner_types: list[PartnerType] = strawberry.field(default_factory=list)
    partner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="When given, only these partners see the record."
    )


def audience_of(visibility: VisibilityInput | None) -> Audience:
    """The hub's audience of a visibility input; none given means every partner."""
    return to_hub(visibility, Audience) if visibility else Audience()


@strawberry.type(description="A node of the knowledge base's category tree.")
class ArticleCategory:
    id: strawberry.ID
    name: str
    slug: str
    parent_id: strawberry.ID | None
    position: int

    @classmethod
    def from_model(cls, model: ArticleCategoryModel) -> ArticleCategory:
        return cls(
            id=strawberry.ID(model.id),
            name=model.name,
            slug=model.slug,
            parent_id=strawberry.ID(model.parent_id) if model.parent_id else None,
            position=model.position,
        )


@strawberry.type(description="The article as it was after one change.")
class ArticleRevision:
    number: int
    title: str
    body: str
    status: ArticleStatus
    changed_fields: list[str]
    note: str | None
    changed_by_id: strawberry.ID | None
    changed_at: datetime

    @classmethod
    def from_model(cls, model: ArticleRevisionModel) -> ArticleRevision:
        return cls(
            number=model.number,
            title=model.title,
            body=model.body,
            status=ArticleStatus(model.status),
            changed_fields=list(model.changed_fields),
            note=model.note,
            changed_by_id=strawberry.ID(model.changed_by_id) if model.changed_by_id else None,
            changed_at=model.changed_at,
        )


@strawberry.type
class PartnerReads:
    partner_id: strawberry.ID
    views: int
    last_viewed_at: datetime


@strawberry.type(description="What partners make of an article (vendor staff).")
class ArticleStats:
    views: int
    reading_partners: int
    helpful: int
    not_helpful: int
    article_id: strawberry.Private[str]

    @strawberry.field(description="Reads per partner, most first.")
    async def by_partner(self, info: Info) -> list[PartnerReads]:
        rows = await engagement.reads_by_partner(
            info.context.hub, principal=info.context.require_principal(), article_id=self.article_id
        )
        return [
            PartnerReads(
                partner_id=strawberry.ID(row.partner_id),
                views=row.views,
                last_viewed_at=row.last_viewed_at,
            )
            for row in rows
        ]


@strawberry.type(description="A knowledge base article; body is Markdown, bodyHtml is safe HTML.")
class Article:
    id: strawberry.ID
    slug: str
    title: str
    body: str = strawberry.field(description="The Markdown source.")
    tags: list[str]
    product_lines: list[str]
    language: str
    status: ArticleStatus
    published_at: datetime | None
    updated_at: datetime
    version: int
    category_id: strawberry.ID | None
    model: strawberry.Private[ArticleModel]

    @classmethod
    def from_model(cls, model: ArticleModel) -> Article:
        return cls(
            id=strawberry.ID(model.id),
            slug=model.slug,
            title=model.title,
            body=model.body,
            tags=list(model.tags),
            product_lines=list(model.product_lines),
            language=model.language,
            status=ArticleStatus(model.status),
            published_at=model.published_at,
            updated_at=model.updated_at,
            version=model.version,
            category_id=strawberry.ID(model.category_id) if model.category_id else None,
            model=model,
        )

    @strawberry.field(description="The body as sanitised HTML: no scripts, handlers or js links.")
    def body_html(self) -> str:
        return render_markdown(self.body)

    @strawberry.field
    async def category(self, info: Info) -> ArticleCategory | None:
        if self.category_id is None:
            return None
        found = await KnowledgeLoaders.of(info).article_category_by_id.load(str(self.category_id))
        return ArticleCategory.from_model(found) if found else None

    @strawberry.field(description="Related assets the caller may see.")
    async def related_assets(self, info: Info) -> list[Asset]:
        rows = await KnowledgeLoaders.of(info).related_assets_by_article.load(str(self.id))
        return [Asset.from_model(row) for row in rows]

    @strawberry.field(description="Who may see it; vendor staff only (null for partners).")
    async def visibility(self, info: Info) -> Visibility | None:
        if not info.context.require_principal().is_vendor:
            return None
        named = await KnowledgeLoaders.of(info).partners_named_by_article.load(str(self.id))
        return Visibility(
            min_tier=audience.min_tier_of(self.model),
            partner_types=audience.partner_types_of(self.model),
            partner_ids=[strawberry.ID(partner) for partner in named],
        )

    @strawberry.field(description="Every change, newest first; vendor staff only.")
    async def revisions(self, info: Info) -> list[ArticleRevision] | None:
        if not info.context.require_principal().is_vendor_staff:
            return None
        rows = await KnowledgeLoaders.of(info).revisions_by_article.load(str(self.id))
        return [ArticleRevision.from_model(row) for row in rows]

    @strawberry.field(description="Reads and feedback; vendor staff only (null for partners).")
    async def stats(self, info: Info) -> ArticleStats | None:
        if not info.context.require_principal().is_vendor_staff:
            return None
        found = await KnowledgeLoaders.of(info).stats_by_article.load(str(self.id))
        return ArticleStats(
            views=found.views,
            reading_partners=found.reading_partners,
            helpful=found.helpful,
            not_helpful=found.not_helpful,
            article_id=found.article_id,
        )


@strawberry.input
class ArticleInput:
    title: str
    body: str = strawberry.field(description="Markdown.")
    slug: str | None = strawberry.field(default=None, description="Made from the title if absent.")
    category_id: strawberry.ID | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    product_lines: list[str] = strawberry.field(default_factory=list)
    language: str = "en"
    visibility: VisibilityInput | None = None
    related_asset_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change.")
class ArticleChangesInput:
    title: str | None = None
    body: str | None = None
    slug: str | None = None
    category_id: strawberry.ID | None = None
    clear_category: bool = False
    tags: list[str] | None = None
    product_lines: list[str] | None = None
    language: str | None = None
    visibility: VisibilityInput | None = None
    related_asset_ids: list[strawberry.ID] | None = None
    note: str | None = strawberry.field(default=None, description="Why, kept in the revision.")


@strawberry.input
class ArticleFilter:
    search: str | None = strawberry.field(
        default=None, description="Full-text: every word must match; best match first."
    )
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="This category and those below it."
    )
    product_line: str | None = None
    tag: str | None = None
    statuses: list[ArticleStatus] | None = strawberry.field(
        default=None, description="Vendor staff; partners only ever see PUBLISHED."
    )


@strawberry.type
class ArticleFeedback:
    article_id: strawberry.ID
    helpful: bool
    comment: str | None
    answered_at: datetime


@strawberry.type
class ArticleReadCount:
    article: Article
    views: int


@strawberry.type
class ArticleFeedbackCount:
    article: Article
    not_helpful: int
    helpful: int


@strawberry.type(description="A search partners made that found nothing.")
class MissingKnowledge:
    query: str
    misses: int
    last_missed_at: datetime


@strawberry.type(description="What is read, what does not help, and what is missing.")
class KnowledgeInsights:
    most_read: list[ArticleReadCount]
    least_helpful: list[ArticleFeedbackCount]
    missing: list[MissingKnowledge]


# Best practices


@strawberry.type(description="Who contributed a practice; the author's name may be withheld.")
class Contributor:
    partner_id: strawberry.ID
    organization_name: str
    author_name: str | None = strawberry.field(
        description="Null when the author chose to hide it (vendor staff always see it)."
    )


@strawberry.type
class BestPracticeRating:
    average: float | None
    count: int
    mine: int | None = strawberry.field(description="The caller's own stars, if rated.")


@strawberry.type(description="A file attached to a practice: uploaded with it, or an asset.")
class BestPracticeAttachment(AttachedFile):
    pass


@strawberry.type
class BestPracticeComment:
    id: strawberry.ID
    body: str
    created_at: datetime
    author_id: strawberry.Private[str | None]
    organization_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: CommentModel) -> BestPracticeComment:
        return cls(
            id=strawberry.ID(model.id),
            body=model.body,
            created_at=model.created_at,
            author_id=model.author_id,
            organization_id=model.organization_id,
        )

    @strawberry.field
    def body_html(self) -> str:
        return render_markdown(self.body)

    @strawberry.field
    async def author_name(self, info: Info) -> str | None:
        if self.author_id is None:
            return None
        return await IdentityLoaders.of(info).user_name_by_id.load(self.author_id)

    @strawberry.field
    async def organization_name(self, info: Info) -> str:
        names = IdentityLoaders.of(info).organization_name_by_id
        return await names.load(self.organization_id) or ""


@strawberry.type(description="A partner's practice: problem, approach, outcome (Markdown).")
class BestPractice:
    id: strawberry.ID
    title: str
    problem: str
    approach: str
    outcome: str
    tags: list[str]
    product_lines: list[str]
    status: PracticeStatus
    featured: bool
    published_at: datetime | None
    created_at: datetime
    version: int
    model: strawberry.Private[BestPracticeModel]

    @classmethod
    def from_model(cls, model: BestPracticeModel) -> BestPractice:
        return cls(
            id=strawberry.ID(model.id),
            title=model.title,
            problem=model.problem,
            approach=model.approach,
            outcome=model.outcome,
            tags=list(model.tags),
            product_lines=list(model.product_lines),
            status=PracticeStatus(model.status),
            featured=model.featured,
            published_at=model.published_at,
            created_at=model.created_at,
            version=model.version,
            model=model,
        )

    @strawberry.field
    def problem_html(self) -> str:
        return render_markdown(self.problem)

    @strawberry.field
    def approach_html(self) -> str:
        return render_markdown(self.approach)

    @strawberry.field
    def outcome_html(self) -> str:
        return render_markdown(self.outcome)

    @strawberry.field(description="Why it was rejected; the contributor and vendor staff only.")
    def reject_reason(self, info: Info) -> str | None:
        principal = info.context.require_principal()
        if principal.is_vendor or principal.organization_id == self.model.partner_id:
            return self.model.reject_reason
        return None

    @strawberry.field
    async def contributor(self, info: Info) -> Contributor:
        principal = info.context.require_principal()
        loaders = IdentityLoaders.of(info)
        organization = await loaders.organization_name_by_id.load(self.model.partner_id)
        author: str | None = None
        shows_author = not self.model.hide_author or principal.is_vendor
        if self.model.author_id is not None and (
            shows_author or principal.user_id == self.model.author_id
        ):
            author = await loaders.user_name_by_id.load(self.model.author_id)
        return Contributor(
            partner_id=strawberry.ID(self.model.partner_id),
            organization_name=organization or "",
            author_name=author,
        )

    @strawberry.field
    async def rating(self, info: Info) -> BestPracticeRating:
        found = await KnowledgeLoaders.of(info).rating_by_practice.load(str(self.id))
        return BestPracticeRating(average=found.average, count=found.count, mine=found.mine)

    @strawberry.field
    async def attachments(self, info: Info) -> list[BestPracticeAttachment]:
        pairs = await KnowledgeLoaders.of(info).attachments_by_practice.load(str(self.id))
        return BestPracticeAttachment.of(pairs, practice_files.attachment_url)

    @strawberry.field(description="Comments, oldest first.")
    async def comments(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[BestPracticeComment]:
        hub = info.context.hub
        page = await discussion.comments(
            hub,
            principal=info.context.require_principal(),
            practice_id=str(self.id),
            page=page_request(info, first, after),
        )
        return Connection[BestPracticeComment].of(page, BestPracticeComment.from_model)


@strawberry.input
class BestPracticeInput:
    title: str
    problem: str
    approach: str
    outcome: str
    tags: list[str] = strawberry.field(default_factory=list)
    product_lines: list[str] = strawberry.field(default_factory=list)
    hide_author: bool = strawberry.field(
        default=False, description="Show only the organization to other partners."
    )
    visibility: VisibilityInput | None = None
    asset_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Existing assets to attach (ones you may see)."
    )


@strawberry.input
class BestPracticeFilter:
    search: str | None = None
    product_line: str | None = None
    tag: str | None = None
    statuses: list[PracticeStatus] | None = strawberry.field(
        default=None,
        description="Default PUBLISHED; a partner sees other statuses of its own practices only.",
    )
    featured_only: bool = False
    mine: bool = strawberry.field(
        default=False, description="Only my organization's practices, in any status."
    )


# A practice's attachment row and the asset it names, if any.
Attached = AssetModel | None


class KnowledgeLoaders(LoaderSet):
    """Articles, categories, revisions and reading figures; practices' ratings and files."""

    article_by_id = loader[str, ArticleModel | None](
        lambda hub, principal, ids: article_service.by_ids(hub, principal=principal, ids=ids)
    )
    article_category_by_id = loader[str, ArticleCategoryModel | None](
        lambda hub, principal, ids: category_service.categories_by_ids(hub, ids)
    )
    related_assets_by_article = loader[str, list[AssetModel]](
        lambda hub, principal, ids: article_service.related_assets(
            hub, principal=principal, article_ids=ids
        )
    )
    partners_named_by_article = loader[str, list[str]](
        lambda hub, principal, ids: article_service.named_partners(hub, ids)
    )
    revisions_by_article = loader[str, list[ArticleRevisionModel]](
        lambda hub, principal, ids: article_service.revisions(
            hub, principal=principal, article_ids=ids
        )
    )
    stats_by_article = loader[str, engagement.ArticleStats](
        lambda hub, principal, ids: engagement.stats(hub, principal=principal, article_ids=ids)
    )
    rating_by_practice = loader[str, discussion.Rating](
        lambda hub, principal, ids: discussion.ratings(hub, principal=principal, practice_ids=ids)
    )
    attachments_by_practice = loader[
        str, list[tuple[BestPracticeAttachmentModel, AssetModel | None]]
    ](
        lambda hub, principal, ids: practice_files.by_practice(
            hub, principal=principal, practice_ids=ids
        )
    )
