"""Full-text search of articles: PostgreSQL text search, or SQLite FTS5 in the embedded default.

Both give the same contract: every search word must occur (English stemming, so "routing"
finds "routes"; common stop words are ignored), and results come best first, a title match
counting more than one in the body.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Subquery, cast, column, delete, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article
from storage.models.knowledge import ARTICLES_FTS

# Stop words plainto_tsquery('english') drops; FTS5 would demand them, so both skip them.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "do",
        "does",
        "i",
        "you",
        "your",
        "we",
        "our",
        "can",
    }
)
_ENGLISH: Any = literal_column("'english'::regconfig")
_FTS = table(ARTICLES_FTS, column("article_id"), column("title"), column("document"))


def document_of(title: str, tags: list[str], body: str) -> str:
    """The text an article is found by."""
    return "\n".join([title, " ".join(tags), body])


def words(terms: list[str]) -> list[str]:
    return [term for term in terms if term not in STOP_WORDS]


async def index(session: AsyncSession, article: Article) -> None:
    """Keep the SQLite FTS5 table in step (PostgreSQL indexes the column itself)."""
    if _dialect(session) == "postgresql":
        return
    await session.execute(delete(_FTS).where(_FTS.c.article_id == article.id))
    await session.execute(
        _FTS.insert().values(
            article_id=article.id, title=article.title, document=article.search_document
        )
    )


def matches(session: AsyncSession, terms: list[str]) -> Subquery:
    """(article_id, score) of articles holding every term; higher score is better."""
    if _dialect(session) == "postgresql":
        query = func.plainto_tsquery(_ENGLISH, " ".join(terms))
        vector = func.to_tsvector(_ENGLISH, Article.search_document)
        weighted = func.setweight(
            func.to_tsvector(_ENGLISH, Article.title), literal_column("'A'")
        ).op("||")(func.setweight(vector, literal_column("'D'")))
        return (
            select(
                Article.id.label("article_id"),
                cast(func.ts_rank(weighted, query), Float).label("score"),
            )
            .where(vector.op("@@")(query))
            .subquery()
        )
    # Terms are \w+ words (rules.search_terms), so quoting each makes a plain AND query.
    expression = " ".join(f'"{term}"' for term in terms)
    bm25: Any = func.bm25(literal_column(ARTICLES_FTS), 0.0, 10.0, 1.0)
    return (
        select(_FTS.c.article_id.label("article_id"), cast(-bm25, Float).label("score"))
        .where(literal_column(ARTICLES_FTS).op("MATCH")(expression))
        .subquery()
    )


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name
