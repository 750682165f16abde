"""Knowledge rules: inputs and their checks, article status moves, Markdown to safe HTML."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from hub import validation
from hub.audience import Audience
from hub.errors import BadInput

TITLE_MAX = 200
BODY_MAX = 200_000
SLUG_MAX = 120
TAGS_MAX = 30
RELATED_ASSETS_MAX = 50


class ArticleStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


# Where an article may go from each status.
ARTICLE_MOVES = {
    ArticleStatus.DRAFT: {ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED},
    ArticleStatus.PUBLISHED: {ArticleStatus.ARCHIVED, ArticleStatus.DRAFT},
    ArticleStatus.ARCHIVED: {ArticleStatus.PUBLISHED, ArticleStatus.DRAFT},
}


class PracticeStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    PUBLISHED = "PUBLISHED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    slug: str | None = None
    category_id: str | None = None
    tags: Sequence[str] = ()
    product_lines: Sequence[str] = ()
    language: str = "en"
    audience: Audience = field(default_factory=Audience)
    related_asset_ids: Sequence[str] = ()


@dataclass(frozen=True)
class ArticleChanges:
    """A partial update: None leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    slug: str | None = None
    category_id: str | None = None
    clear_category: bool = False
    tags: Sequence[str] | None = None
    product_lines: Sequence[str] | None = None
    language: str | None = None
    audience: Audience | None = None
    related_asset_ids: Sequence[str] | None = None
    note: str | None = None


@dataclass(frozen=True)
class ArticleFilter:
    search: str | None = None
    category_id: str | None = None
    product_line: str | None = None
    tag: str | None = None
    statuses: Sequence[ArticleStatus] = ()


@dataclass(frozen=True)
class PracticeInput:
    title: str
    problem: str
    approach: str
    outcome: str
    tags: Sequence[str] = ()
    product_lines: Sequence[str] = ()
    hide_author: bool = False
    audience: Audience = field(default_factory=Audience)
    asset_ids: Sequence[str] = ()


class PracticeOrder(StrEnum):
    RANKED = "RANKED"
    NEWEST = "NEWEST"
    TOP_RATED = "TOP_RATED"


@dataclass(frozen=True)
class PracticeFilter:
    search: str | None = None
    product_line: str | None = None
    tag: str | None = None
    statuses: Sequence[PracticeStatus] = ()
    featured_only: bool = False
    mine: bool = False


def title(value: str) -> str:
    return validation.text(value, field="title", max_length=TITLE_MAX)


def markdown(value: str, *, field: str, max_length: int = BODY_MAX) -> str:
    return validation.text(value, field=field, max_length=max_length)


def tags(values: Sequence[str], *, field: str = "tags") -> list[str]:
    cleaned = sorted({validation.text(tag, field=field, max_length=50).lower() for tag in values})
    if len(cleaned) > TAGS_MAX:
        raise BadInput(f"at most {TAGS_MAX} tags", field=field)
    return cleaned


def related_assets(values: Sequence[str]) -> list[str]:
    """Assets an article links to, in order, without repeats."""
    unique = list(dict.fromkeys(values))
    validation.at_most(
        unique, RELATED_ASSETS_MAX, field="input.relatedAssetIds", what="related assets"
    )
    return unique


def product_lines(values: Sequence[str], *, field: str = "productLines") -> list[str]:
    return validation.product_lines(values, field=field)


def language(value: str) -> str:
    code = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", code):
        raise BadInput(f"{value!r} is not a language code such as en or pt-br", field="language")
    return code


def slug(value: str, *, field: str = "slug") -> str:
    """A URL-safe slug: lower-case ASCII letters, digits and single hyphens."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:SLUG_MAX].strip("-")
    if not made:
        raise BadInput("the slug needs at least one letter or digit", field=field)
    return made


def search_terms(value: str | None) -> list[str]:
    """The words of a search, for either database's full-text engine (at most 12)."""
    search = validation.filter_text(value, field="filter.search")
    return re.findall(r"\w+", search.lower())[:12] if search else []


# Markdown: CommonMark without raw HTML, then an allow-list sanitiser as a second line.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> str:
    """Markdown to HTML with no script, no event handlers and no javascript: links."""
    html = _parser().render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
