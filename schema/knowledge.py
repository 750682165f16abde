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
from schema.enums import described_enum
from schema.identity import IdentityLoaders
from schema.inputs import to_hub
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.relay import Connection, page_request
from storage.models import Article as ArticleModel
from storage.models import ArticleCategory as ArticleCategoryModel
from storage.models import ArticleRevision as ArticleRevisionModel
from storage.models import Asset as AssetModel
from storage.models import BestPractice as BestPracticeModel
from storage.models import BestPracticeAttachment as BestPracticeAttachmentModel
from storage.models import BestPracticeComment as CommentModel

described_enum(
    ArticleStatus,
    name="ArticleStatus",
    description="An article's editorial status.",
    values={
        "DRAFT": "Being written; vendor staff only.",
        "PUBLISHED": "Readable by the partners its visibility names.",
        "ARCHIVED": "Withdrawn; vendor staff only.",
    },
)
described_enum(
    PracticeStatus,
    name="BestPracticeStatus",
    description="Where a contributed practice is in review.",
    values={
        "SUBMITTED": "Waiting for review by vendor staff.",
        "PUBLISHED": "Visible to the partners its visibility names.",
        "REJECTED": "Sent back with a reason; may be revised.",
    },
)
described_enum(
    PracticeOrder,
    name="BestPracticeOrder",
    description="How best practices are sorted.",
    values={
        "RANKED": "Featured first, then by rating and recency.",
        "NEWEST": "Most recently published first.",
        "TOP_RATED": "Highest average rating first.",
    },
)


@strawberry.type(description="Which partners may see a record.")
class Visibility:
    min_tier: Tier | None = strawberry.field(
        description="The lowest tier that sees it; null for every tier."
    )
    partner_types: list[PartnerType] = strawberry.field(
        description="Only partners of these types see it; empty for every type."
    )
    partner_ids: list[strawberry.ID] = strawberry.field(
        description="When not empty, only these partners see the record."
    )


@strawberry.input(description="Which partners may see a record; empty means every partner.")
class VisibilityInput:
    min_tier: Tier | None = strawberry.field(
        default=None, description="The lowest tier that sees it; every tier when left out."
    )
    partner_types: list[PartnerType] = strawberry.field(
        default_factory=list,
        description="Only partners of these types see it; every type when empty.",
    )
    partner_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="When given, only these partners see the record."
    )


def audience_of(visibility: VisibilityInput | None) -> Audience:
    """The hub's audience of a visibility input; none given means every partner."""
    return to_hub(visibility, Audience) if visibility else Audience()


@strawberry.type(description="A node of the knowledge base's category tree.")
class ArticleCategory:
    id: strawberry.ID = strawberry.field(description="The category's id.")
    name: str = strawberry.field(description="The category's name as shown in the knowledge base.")
    slug: str = strawberry.field(description="The category's URL-safe name, unique.")
    parent_id: strawberry.ID | None = strawberry.field(
        description="The parent category; null at the top level."
    )
    position: int = strawberry.field(
        description="Its place among its siblings, lowest first (ties by name)."
    )

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
    number: int = strawberry.field(description="The revision's number, from 1.")
    title: str = strawberry.field(description="The title after the change.")
    body: str = strawberry.field(description="The Markdown body after the change.")
    status: ArticleStatus = strawberry.field(description="The status after the change.")
    changed_fields: list[str] = strawberry.field(
        description="The fields the change touched (GraphQL names)."
    )
    note: str | None = strawberry.field(description="Why the change was made, as given.")
    changed_by_id: strawberry.ID | None = strawberry.field(
        description="The user who made the change."
    )
    changed_at: datetime = strawberry.field(description="When the change was made (RFC 3339, UTC).")

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


@strawberry.type(description="How much one partner read an article.")
class PartnerReads:
    partner_id: strawberry.ID = strawberry.field(
        description="The partner whose users read the article."
    )
    views: int = strawberry.field(description="Times its users opened the article.")
    last_viewed_at: datetime = strawberry.field(
        description="When one of its users last opened it (RFC 3339, UTC)."
    )


@strawberry.type(description="What partners make of an article (vendor staff).")
class ArticleStats:
    views: int = strawberry.field(description="Times partners' users opened it.")
    reading_partners: int = strawberry.field(description="Partners with at least one read.")
    helpful: int = strawberry.field(description="Users who found it helpful.")
    not_helpful: int = strawberry.field(description="Users who did not.")
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
class Article(Node):
    id: strawberry.ID = strawberry.field(description="The article's id.")
    slug: str = strawberry.field(description="The article's URL-safe name, unique.")
    title: str = strawberry.field(
        description="The article's title, shown in lists and search results."
    )
    body: str = strawberry.field(description="The body's Markdown source.")
    tags: list[str] = strawberry.field(description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        description="Codes of the product lines it is about."
    )
    language: str = strawberry.field(description="The article's language, ISO 639-1 (e.g. en).")
    status: ArticleStatus = strawberry.field(
        description="Whether it is a draft, published or archived."
    )
    published_at: datetime | None = strawberry.field(
        description="When it was first published (RFC 3339, UTC)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed (RFC 3339, UTC).")
    version: int = strawberry.field(
        description="Incremented on every change; pass it as expectedVersion to "
        "catch concurrent edits."
    )
    category_id: strawberry.ID | None = strawberry.field(
        description="The article's category, if any."
    )
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

    @strawberry.field(description="The article's category, if any.")
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


@strawberry.input(description="A new article.")
class ArticleInput:
    title: str = strawberry.field(description="The article's title.")
    body: str = strawberry.field(description="The body (Markdown).")
    slug: str | None = strawberry.field(default=None, description="Made from the title if absent.")
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="The category to file it under."
    )
    tags: list[str] = strawberry.field(default_factory=list, description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        default_factory=list, description="Codes of the product lines it is about."
    )
    language: str = strawberry.field(
        default="en", description="The article's language, ISO 639-1 (e.g. en)."
    )
    visibility: VisibilityInput | None = strawberry.field(
        default=None, description="Who may read it once published; every partner when left out."
    )
    related_asset_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Assets to show beside it."
    )


@strawberry.input(description="Only the fields given change.")
class ArticleChangesInput:
    title: str | None = strawberry.field(default=None, description="The new title.")
    body: str | None = strawberry.field(default=None, description="The new Markdown body.")
    slug: str | None = strawberry.field(default=None, description="The new slug.")
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="The category to move it to."
    )
    clear_category: bool = strawberry.field(
        default=False, description="True to take it out of its category."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description="The tags to replace the current ones with."
    )
    product_lines: list[str] | None = strawberry.field(
        default=None, description="The product line codes to replace the current ones with."
    )
    language: str | None = strawberry.field(
        default=None, description="The new language, ISO 639-1."
    )
    visibility: VisibilityInput | None = strawberry.field(
        default=None, description="Who may read it from now on."
    )
    related_asset_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The related assets to replace the current ones with."
    )
    note: str | None = strawberry.field(default=None, description="Why, kept in the revision.")


@strawberry.input(description="Which articles to list; the conditions given must all hold.")
class ArticleFilter:
    search: str | None = strawberry.field(
        default=None, description="Full-text: every word must match; best match first."
    )
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="This category and those below it."
    )
    product_line: str | None = strawberry.field(
        default=None, description="Only articles about this product line (its code)."
    )
    tag: str | None = strawberry.field(default=None, description="Only articles with this tag.")
    statuses: list[ArticleStatus] | None = strawberry.field(
        default=None, description="Vendor staff; partners only ever see PUBLISHED."
    )


@strawberry.type(description='A user\'s answer to "was this article helpful?".')
class ArticleFeedback:
    article_id: strawberry.ID = strawberry.field(description="The article the answer is about.")
    helpful: bool = strawberry.field(description="True if it helped.")
    comment: str | None = strawberry.field(description="What was missing or wrong.")
    answered_at: datetime = strawberry.field(description="When the user answered (RFC 3339, UTC).")


@strawberry.type(description="An article and how often partners read it.")
class ArticleReadCount:
    article: Article = strawberry.field(description="The article read.")
    views: int = strawberry.field(description="Times partners' users opened it.")


@strawberry.type(description='An article and what readers answered to "was this helpful?".')
class ArticleFeedbackCount:
    article: Article = strawberry.field(description="The article answered about.")
    not_helpful: int = strawberry.field(description="Users who found it not helpful.")
    helpful: int = strawberry.field(description="Users who found it helpful.")


@strawberry.type(description="A search partners made that found nothing.")
class MissingKnowledge:
    query: str = strawberry.field(description="The search text, normalised.")
    misses: int = strawberry.field(description="Times it found nothing.")
    last_missed_at: datetime = strawberry.field(
        description="When it last found nothing (RFC 3339, UTC)."
    )


@strawberry.type(description="What is read, what does not help, and what is missing.")
class KnowledgeInsights:
    most_read: list[ArticleReadCount] = strawberry.field(
        description="Published articles by views, most first."
    )
    least_helpful: list[ArticleFeedbackCount] = strawberry.field(
        description='Articles by "not helpful" answers, most first.'
    )
    missing: list[MissingKnowledge] = strawberry.field(
        description="Searches that found nothing, most frequent first."
    )


# Best practices


@strawberry.type(description="Who contributed a practice; the author's name may be withheld.")
class Contributor:
    partner_id: strawberry.ID = strawberry.field(description="The contributing partner.")
    organization_name: str = strawberry.field(description="The contributing partner's name.")
    author_name: str | None = strawberry.field(
        description="Null when the author chose to hide it (vendor staff always see it)."
    )


@strawberry.type(description="The stars users gave a practice.")
class BestPracticeRating:
    average: float | None = strawberry.field(
        description="The mean of the ratings, 1 to 5; null without ratings."
    )
    count: int = strawberry.field(description="How many users rated it.")
    mine: int | None = strawberry.field(description="The caller's own stars, if rated.")


@strawberry.type(description="A file attached to a practice: uploaded with it, or an asset.")
class BestPracticeAttachment(AttachedFile):
    pass


@strawberry.type(description="A comment on a best practice.")
class BestPracticeComment:
    id: strawberry.ID = strawberry.field(description="The comment's id.")
    body: str = strawberry.field(description="The comment's Markdown source.")
    created_at: datetime = strawberry.field(description="When it was written (RFC 3339, UTC).")
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

    @strawberry.field(description="The comment as sanitised HTML.")
    def body_html(self) -> str:
        return render_markdown(self.body)

    @strawberry.field(description="The author's name; null when no longer known.")
    async def author_name(self, info: Info) -> str | None:
        if self.author_id is None:
            return None
        return await IdentityLoaders.of(info).user_name_by_id.load(self.author_id)

    @strawberry.field(description="The author's organization's name.")
    async def organization_name(self, info: Info) -> str:
        names = IdentityLoaders.of(info).organization_name_by_id
        return await names.load(self.organization_id) or ""


@strawberry.type(description="A partner's practice: problem, approach, outcome (Markdown).")
class BestPractice(Node):
    id: strawberry.ID = strawberry.field(description="The practice's id.")
    title: str = strawberry.field(description="The practice's title, shown in the library.")
    problem: str = strawberry.field(description="The problem it solved (Markdown).")
    approach: str = strawberry.field(description="How the partner went about it (Markdown).")
    outcome: str = strawberry.field(description="What came of it (Markdown).")
    tags: list[str] = strawberry.field(description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        description="Codes of the product lines it is about."
    )
    status: PracticeStatus = strawberry.field(description="Where it is in review.")
    featured: bool = strawberry.field(
        description="True when vendor staff feature it; RANKED puts it first."
    )
    published_at: datetime | None = strawberry.field(
        description="When it was published (RFC 3339, UTC)."
    )
    created_at: datetime = strawberry.field(description="When it was submitted (RFC 3339, UTC).")
    version: int = strawberry.field(
        description="Incremented on every change; pass it as expectedVersion to "
        "catch concurrent edits."
    )
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

    @strawberry.field(description="The problem as sanitised HTML.")
    def problem_html(self) -> str:
        return render_markdown(self.problem)

    @strawberry.field(description="The approach as sanitised HTML.")
    def approach_html(self) -> str:
        return render_markdown(self.approach)

    @strawberry.field(description="The outcome as sanitised HTML.")
    def outcome_html(self) -> str:
        return render_markdown(self.outcome)

    @strawberry.field(description="Why it was rejected; the contributor and vendor staff only.")
    def reject_reason(self, info: Info) -> str | None:
        principal = info.context.require_principal()
        if principal.is_vendor or principal.organization_id == self.model.partner_id:
            return self.model.reject_reason
        return None

    @strawberry.field(description="The partner (and author) who contributed it.")
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

    @strawberry.field(description="Its star rating by users, 1 to 5.")
    async def rating(self, info: Info) -> BestPracticeRating:
        found = await KnowledgeLoaders.of(info).rating_by_practice.load(str(self.id))
        return BestPracticeRating(average=found.average, count=found.count, mine=found.mine)

    @strawberry.field(description="The files attached to it.")
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


@strawberry.input(description="A best practice to submit or revise.")
class BestPracticeInput:
    title: str = strawberry.field(description="The practice's title.")
    problem: str = strawberry.field(description="The problem it solved (Markdown).")
    approach: str = strawberry.field(description="How the partner went about it (Markdown).")
    outcome: str = strawberry.field(description="What came of it (Markdown).")
    tags: list[str] = strawberry.field(default_factory=list, description="Free tags to filter by.")
    product_lines: list[str] = strawberry.field(
        default_factory=list, description="Codes of the product lines it is about."
    )
    hide_author: bool = strawberry.field(
        default=False, description="Show only the organization to other partners."
    )
    visibility: VisibilityInput | None = strawberry.field(
        default=None,
        description="Which partners may see it once published; every partner when left out.",
    )
    asset_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Existing assets to attach (ones you may see)."
    )


@strawberry.input(description="Which practices to list; the conditions given must all hold.")
class BestPracticeFilter:
    search: str | None = strawberry.field(
        default=None, description="Only practices containing every word of this text."
    )
    product_line: str | None = strawberry.field(
        default=None, description="Only practices about this product line (its code)."
    )
    tag: str | None = strawberry.field(default=None, description="Only practices with this tag.")
    statuses: list[PracticeStatus] | None = strawberry.field(
        default=None,
        description="Default PUBLISHED; a partner sees other statuses of its own practices only.",
    )
    featured_only: bool = strawberry.field(
        default=False, description="True for featured practices only."
    )
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
