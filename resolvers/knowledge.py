"""Root fields of the knowledge base and the best-practice library."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import strawberry

from hub.knowledge import articles as article_service
from hub.knowledge import categories as category_service
from hub.knowledge import discussion, engagement, rules
from hub.knowledge import practices as practice_service
from hub.knowledge.rules import ArticleStatus, PracticeOrder
from schema.arguments import After, ExpectedVersion, First, Id
from schema.context import Info
from schema.enums import described_enum
from schema.inputs import to_hub
from schema.knowledge import (
    Article,
    ArticleCategory,
    ArticleChangesInput,
    ArticleFeedback,
    ArticleFeedbackCount,
    ArticleFilter,
    ArticleInput,
    ArticleReadCount,
    BestPractice,
    BestPracticeComment,
    BestPracticeFilter,
    BestPracticeInput,
    BestPracticeRating,
    KnowledgeInsights,
    MissingKnowledge,
    audience_of,
)
from schema.relay import Connection, page_request
from schema.uploads import Upload, bytes_of, file_of


class ReviewDecision(StrEnum):
    PUBLISH = "PUBLISH"
    REJECT = "REJECT"


described_enum(
    ReviewDecision,
    name="BestPracticeDecision",
    description="What vendor staff decide about a submitted practice.",
    values={
        "PUBLISH": "Publish it to the partners its visibility names.",
        "REJECT": "Send it back with a reason; the contributor may revise it.",
    },
)


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="The category tree, parents before children.")
    async def article_categories(self, info: Info) -> list[ArticleCategory]:
        info.context.require_principal()
        rows = await category_service.categories(info.context.hub)
        return [ArticleCategory.from_model(row) for row in rows]

    @strawberry.field(
        description="Articles the caller may read; with search, best match first "
        "(PostgreSQL full-text search, or SQLite FTS5 when embedded)."
    )
    async def articles(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            ArticleFilter | None,
            strawberry.argument(
                description="Which articles to list; every article the caller may read "
                "when left out."
            ),
        ] = None,
    ) -> Connection[Article]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or ArticleFilter()
        result = await article_service.list_articles(
            hub,
            principal=principal,
            filter=to_hub(wanted, rules.ArticleFilter),
            page=page_request(info, first, after),
        )
        return Connection[Article].of(result, Article.from_model)

    @strawberry.field(description="One article by id or slug; a partner's read is counted.")
    async def article(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The article's id; give it or `slug`."),
        ] = None,
        slug: Annotated[
            str | None,
            strawberry.argument(description="The article's slug, as in its URL; give it or `id`."),
        ] = None,
    ) -> Article:
        model = await article_service.get(
            info.context.hub,
            principal=info.context.require_principal(),
            article_id=str(id) if id is not None else None,
            slug=slug,
        )
        return Article.from_model(model)

    @strawberry.field(description="Most read, least helpful, and searches that found nothing.")
    async def knowledge_insights(
        self,
        info: Info,
        limit: Annotated[
            int, strawberry.argument(description="How many entries each list holds at most.")
        ] = 10,
    ) -> KnowledgeInsights:
        found = await engagement.insights(
            info.context.hub, principal=info.context.require_principal(), limit=limit
        )
        return KnowledgeInsights(
            most_read=[
                ArticleReadCount(article=Article.from_model(article), views=views)
                for article, views in found.most_read
            ],
            least_helpful=[
                ArticleFeedbackCount(
                    article=Article.from_model(article), not_helpful=bad, helpful=good
                )
                for article, bad, good in found.least_helpful
            ],
            missing=[
                MissingKnowledge(
                    query=miss.query, misses=miss.misses, last_missed_at=miss.last_missed_at
                )
                for miss in found.missing
            ],
        )

    @strawberry.field(
        description="Best practices the caller may see; RANKED weighs featured, rating, recency."
    )
    async def best_practices(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            BestPracticeFilter | None,
            strawberry.argument(
                description="Which practices to list; published ones the caller may see "
                "when left out."
            ),
        ] = None,
        order_by: Annotated[
            PracticeOrder, strawberry.argument(description="How to sort the practices.")
        ] = PracticeOrder.RANKED,
    ) -> Connection[BestPractice]:
        principal, hub = info.context.require_principal(), info.context.hub
        wanted = filter or BestPracticeFilter()
        result = await practice_service.list_practices(
            hub,
            principal=principal,
            filter=to_hub(wanted, rules.PracticeFilter),
            order=order_by,
            page=page_request(info, first, after),
        )
        return Connection[BestPractice].of(result, BestPractice.from_model)

    @strawberry.field(description="One best practice the caller may see.")
    async def best_practice(self, info: Info, id: Id) -> BestPractice:
        model = await practice_service.get(
            info.context.hub, principal=info.context.require_principal(), practice_id=str(id)
        )
        return BestPractice.from_model(model)


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Add a category, under a parent or at the top (vendor staff).")
    async def create_article_category(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="The category's name; its slug is made from it.")
        ],
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The category to put it under; at the top when left out."
            ),
        ] = None,
        position: Annotated[
            int,
            strawberry.argument(
                description="Its place among its siblings, lowest first (ties by name)."
            ),
        ] = 0,
    ) -> ArticleCategory:
        model = await category_service.create_category(
            info.context.hub,
            principal=info.context.require_principal(),
            name=name,
            parent_id=str(parent_id) if parent_id else None,
            position=position,
        )
        return ArticleCategory.from_model(model)

    @strawberry.mutation(description="Rename or move a category (vendor staff).")
    async def update_article_category(
        self,
        info: Info,
        id: Id,
        name: Annotated[
            str | None,
            strawberry.argument(description="The new name; the name stays when left out."),
        ] = None,
        parent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The new parent category; the parent stays when left out."
            ),
        ] = None,
        move_to_top: Annotated[
            bool, strawberry.argument(description="True to move the category to the top level.")
        ] = False,
        position: Annotated[
            int | None,
            strawberry.argument(
                description="Its new place among its siblings; stays when left out."
            ),
        ] = None,
    ) -> ArticleCategory:
        model = await category_service.update_category(
            info.context.hub,
            principal=info.context.require_principal(),
            category_id=str(id),
            name=name,
            parent_id=str(parent_id) if parent_id else None,
            to_root=move_to_top,
            position=position,
        )
        return ArticleCategory.from_model(model)

    @strawberry.mutation(description="Delete an empty category (vendor staff).")
    async def delete_article_category(self, info: Info, id: Id) -> bool:
        await category_service.delete_category(
            info.context.hub, principal=info.context.require_principal(), category_id=str(id)
        )
        return True

    @strawberry.mutation(description="Write a new article as a DRAFT (vendor staff).")
    async def create_article(
        self,
        info: Info,
        input: Annotated[ArticleInput, strawberry.argument(description="The new article.")],
    ) -> Article:
        model = await article_service.create(
            info.context.hub,
            principal=info.context.require_principal(),
            data=to_hub(input, rules.ArticleInput, audience=audience_of(input.visibility)),
        )
        return Article.from_model(model)

    @strawberry.mutation(description="Change an article; each change is kept as a revision.")
    async def update_article(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            ArticleChangesInput,
            strawberry.argument(description="The fields to change; only those given change."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> Article:
        model = await article_service.update(
            info.context.hub,
            principal=info.context.require_principal(),
            article_id=str(id),
            changes=to_hub(
                input,
                rules.ArticleChanges,
                audience=audience_of(input.visibility) if input.visibility else None,
            ),
            expected_version=expected_version,
        )
        return Article.from_model(model)

    @strawberry.mutation(
        description="DRAFT -> PUBLISHED -> ARCHIVED (and back to DRAFT or PUBLISHED)."
    )
    async def set_article_status(
        self,
        info: Info,
        id: Id,
        status: Annotated[
            ArticleStatus, strawberry.argument(description="The status to move the article to.")
        ],
        expected_version: ExpectedVersion = None,
        note: Annotated[
            str | None, strawberry.argument(description="Why, kept in the revision.")
        ] = None,
    ) -> Article:
        model = await article_service.set_status(
            info.context.hub,
            principal=info.context.require_principal(),
            article_id=str(id),
            status=status,
            expected_version=expected_version,
            note=note,
        )
        return Article.from_model(model)

    @strawberry.mutation(description="Was this article helpful? Answering again changes it.")
    async def give_article_feedback(
        self,
        info: Info,
        article_id: Annotated[strawberry.ID, strawberry.argument(description="The article read.")],
        helpful: Annotated[
            bool, strawberry.argument(description="True if the article helped, false if not.")
        ],
        comment: Annotated[
            str | None,
            strawberry.argument(description="What was missing or wrong, for the vendor's editors."),
        ] = None,
    ) -> ArticleFeedback:
        model = await engagement.give_feedback(
            info.context.hub,
            principal=info.context.require_principal(),
            article_id=str(article_id),
            helpful=helpful,
            comment=comment,
        )
        return ArticleFeedback(
            article_id=strawberry.ID(model.article_id),
            helpful=model.helpful,
            comment=model.comment,
            answered_at=model.answered_at,
        )

    @strawberry.mutation(
        description="Contribute a best practice for review (partner users); files may be "
        "uploaded with it (GraphQL multipart request) and existing assets attached."
    )
    async def submit_best_practice(
        self,
        info: Info,
        input: Annotated[
            BestPracticeInput,
            strawberry.argument(
                description="The practice: problem, approach, outcome and who may see it."
            ),
        ],
        attachments: Annotated[
            list[Upload] | None,
            strawberry.argument(description="Files to attach, as parts of the multipart request."),
        ] = None,
    ) -> BestPractice:
        uploads = [
            await file_of(file, field=f"attachments[{index}]")
            for index, file in enumerate(attachments or [])
        ]
        model = await practice_service.submit(
            info.context.hub,
            principal=info.context.require_principal(),
            data=_practice(input),
            files=[
                (upload.filename, bytes_of(upload, field=f"attachments[{index}]"))
                for index, upload in enumerate(uploads)
            ],
        )
        return BestPractice.from_model(model)

    @strawberry.mutation(description="Rework a practice not yet published; it goes back to review.")
    async def revise_best_practice(
        self,
        info: Info,
        id: Id,
        input: Annotated[
            BestPracticeInput,
            strawberry.argument(description="The whole practice as it should now read."),
        ],
        expected_version: ExpectedVersion = None,
    ) -> BestPractice:
        model = await practice_service.revise(
            info.context.hub,
            principal=info.context.require_principal(),
            practice_id=str(id),
            data=_practice(input),
            expected_version=expected_version,
        )
        return BestPractice.from_model(model)

    @strawberry.mutation(description="Publish or reject a submitted practice (vendor staff).")
    async def review_best_practice(
        self,
        info: Info,
        id: Id,
        decision: Annotated[ReviewDecision, strawberry.argument(description="Publish or reject.")],
        reason: Annotated[
            str | None,
            strawberry.argument(
                description="Why it is rejected, shown to the contributor; required with REJECT."
            ),
        ] = None,
        featured: Annotated[
            bool | None, strawberry.argument(description="True to feature it as it is published.")
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> BestPractice:
        model = await practice_service.review(
            info.context.hub,
            principal=info.context.require_principal(),
            practice_id=str(id),
            publish=decision is ReviewDecision.PUBLISH,
            reason=reason,
            featured=featured,
            expected_version=expected_version,
        )
        return BestPractice.from_model(model)

    @strawberry.mutation(description="Mark a published practice FEATURED, or not (vendor staff).")
    async def feature_best_practice(
        self,
        info: Info,
        id: Id,
        featured: Annotated[
            bool, strawberry.argument(description="True to feature the practice, false to stop.")
        ] = True,
    ) -> BestPractice:
        model = await practice_service.feature(
            info.context.hub,
            principal=info.context.require_principal(),
            practice_id=str(id),
            featured=featured,
        )
        return BestPractice.from_model(model)

    @strawberry.mutation(description="Rate 1-5; one rating per user, rating again changes it.")
    async def rate_best_practice(
        self,
        info: Info,
        practice_id: Annotated[
            strawberry.ID, strawberry.argument(description="The published practice to rate.")
        ],
        stars: Annotated[int, strawberry.argument(description="The rating: 1 to 5 stars.")],
    ) -> BestPracticeRating:
        found = await discussion.rate(
            info.context.hub,
            principal=info.context.require_principal(),
            practice_id=str(practice_id),
            stars=stars,
        )
        return BestPracticeRating(average=found.average, count=found.count, mine=found.mine)

    @strawberry.mutation(description="Comment on a published practice (Markdown).")
    async def comment_on_best_practice(
        self,
        info: Info,
        practice_id: Annotated[
            strawberry.ID, strawberry.argument(description="The published practice to comment on.")
        ],
        body: Annotated[str, strawberry.argument(description="The comment (Markdown).")],
    ) -> BestPracticeComment:
        model = await discussion.comment(
            info.context.hub,
            principal=info.context.require_principal(),
            practice_id=str(practice_id),
            body=body,
        )
        return BestPracticeComment.from_model(model)


def _practice(input: BestPracticeInput) -> rules.PracticeInput:
    return to_hub(input, rules.PracticeInput, audience=audience_of(input.visibility))
