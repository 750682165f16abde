"""The demo knowledge base: a category tree, Markdown articles, reads, feedback and misses."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from functools import partial
from typing import NamedTuple

from hub.audience import Audience
from hub.demo.world import Demo, Part, Story
from hub.knowledge import articles, categories, engagement
from hub.knowledge.rules import ArticleChanges, ArticleFilter, ArticleInput, ArticleStatus
from hub.pagination import PageRequest
from hub.partners import PartnerType, Tier

# (name, parent name or None)
CATEGORIES = (
    ("Getting started", None),
    ("Selling", None),
    ("Networking", "Selling"),
    ("Security", "Selling"),
    ("Programs and policies", None),
    ("Deal registration", "Programs and policies"),
    ("Technical notes", None),
)


class ArticlePlan(NamedTuple):
    name: str
    category: str
    written: float
    article: ArticleInput
    published: float | None  # None: stays a draft
    reads: tuple[tuple[float, str], ...] = ()  # (days ago, demo login of the reader)
    # (days ago, demo login, helpful, comment)
    feedback: tuple[tuple[float, str, bool, str | None], ...] = ()
    revised: tuple[float, str, str] | None = None  # (days ago, new body, revision note)
    assets: tuple[str, ...] = ()  # names of demo assets shown with the article


WELCOME = """# Welcome to the partner portal

Everything you need to sell with us lives here:

1. **Leads** we route to you: accept them within 48 hours.
2. **Deal registration** protects the customers you find for 90 days.
3. **Collateral** and **training** for your tier.

Questions? Start a conversation with your channel manager.
"""
REGISTER = """# How to register a deal

Register as soon as the customer has a **named project, budget and timeline**.

| Tier | Approval |
| --- | --- |
| Gold, Platinum | at once, unless another partner already works the customer |
| Registered, Silver | reviewed by your channel manager within two working days |

Protection lasts 90 days; ask for an extension before it ends.
"""
SWITCH_SIZING = """# Sizing a branch-office switch

* Count wired ports **plus 30%** for growth.
* PoE budgets: a phone takes 7 W, an access point up to 30 W.
* The `SW-48` stacks up to eight units.
"""
FIREWALL = """# Positioning the Firewall 100 against appliances twice its price

Lead with *throughput with inspection on*, not the datasheet maximum.
Bring the sizing worksheet from the collateral library to the first meeting.
"""
MARGINS = """# Margin and rebate guide for Gold and Platinum partners

Tier discounts apply to every catalog price; rebates accrue quarterly on won deals.
"""
DISTRIBUTORS = """# Running a sub-reseller network

Distributors see their sub-resellers' leads, deals and orders, and may register deals for
them. Review their pipeline weekly.
"""
STORAGE_DRAFT = """# Storage array firmware 4.2: what changes

Draft: release notes are being checked with engineering.
"""
PLANS = (
    ArticlePlan(
        "welcome",
        "Getting started",
        205,
        ArticleInput(title="Welcome to the partner portal", body=WELCOME, tags=("onboarding",)),
        205,
        (
            (200, "admin@lakeside.example"),
            (150, "admin@thames.example"),
            (90, "admin@sakura.example"),
            (10, "admin@seine.example"),
        ),
        ((149, "admin@thames.example", True, None), (9, "admin@seine.example", True, None)),
    ),
    ArticlePlan(
        "register",
        "Deal registration",
        204,
        ArticleInput(title="How to register a deal", body=REGISTER, tags=("deals", "policy")),
        203.5,
        (
            (120, "admin@bayern.example"),
            (96, "admin@goldengate.example"),
            (61, "admin@lakeside.example"),
            (26, "admin@seine.example"),
        ),
        (
            (60, "admin@lakeside.example", True, "Clear table, thanks."),
            (22, "admin@seine.example", False, "It does not say who serves enterprise accounts."),
        ),
        (
            100,
            REGISTER + "\nRegistrations for a sub-reseller are made by its distributor.\n",
            "Distributors register for their sub-resellers",
        ),
    ),
    ArticlePlan(
        "switch-sizing",
        "Networking",
        204,
        ArticleInput(
            title="Sizing a branch-office switch",
            body=SWITCH_SIZING,
            tags=("switch", "sizing"),
            product_lines=("NETWORKING",),
        ),
        203.5,
        (
            (150, "admin@rhein.example"),
            (60, "admin@lakeside.example"),
            (3, "admin@highland.example"),
        ),
        ((59, "admin@lakeside.example", True, None), (2, "admin@highland.example", True, None)),
        assets=("switch-datasheet",),
    ),
    ArticlePlan(
        "firewall",
        "Security",
        204,
        ArticleInput(
            title="Positioning the Firewall 100",
            body=FIREWALL,
            tags=("firewall", "competition"),
            product_lines=("SECURITY",),
        ),
        203.5,
        (
            (97, "admin@goldengate.example"),
            (69, "admin@sakura.example"),
            (21, "admin@prairie.example"),
        ),
        ((68, "admin@sakura.example", False, "Needs a comparison table."),),
        assets=("firewall-brochure",),
    ),
    ArticlePlan(
        "margins",
        "Programs and policies",
        175,
        ArticleInput(
            title="Margin and rebate guide",
            body=MARGINS,
            tags=("margin", "rebate"),
            audience=Audience(min_tier=Tier.GOLD),
        ),
        175,
        ((140, "admin@bayern.example"), (37, "admin@goldengate.example")),
        ((36, "admin@goldengate.example", True, None),),
        assets=("price-list",),
    ),
    ArticlePlan(
        "distributors",
        "Programs and policies",
        168,
        ArticleInput(
            title="Running a sub-reseller network",
            body=DISTRIBUTORS,
            tags=("multi-tier",),
            audience=Audience(partner_types=(PartnerType.DISTRIBUTOR,)),
        ),
        168,
        ((159, "admin@northwind.example"), (33, "sales@northwind.example")),
        assets=("distributor-kit",),
    ),
    ArticlePlan(
        "storage-firmware",
        "Technical notes",
        2,
        ArticleInput(
            title="Storage array firmware 4.2", body=STORAGE_DRAFT, product_lines=("STORAGE",)
        ),
        None,
    ),
)
# Searches partners ran that found nothing: what the knowledge base is missing.
MISSES = ((44, "admin@maple.example", "kubernetes backup"), (7, "admin@seine.example", "RMA"))


def stories(demo: Demo) -> list[Story]:
    return [_tree(demo)] + [_article(demo, plan) for plan in PLANS] + [_misses(demo)]


PART = Part(order=10, stories=stories)


async def _tree(demo: Demo) -> Story:
    yield 206
    for name, parent in CATEGORIES:
        made = await categories.create_category(
            demo.hub,
            principal=demo.manager,
            name=name,
            parent_id=demo.records[f"category:{parent}"] if parent else None,
        )
        demo.records[f"category:{name}"] = made.id


async def _article(demo: Demo, plan: ArticlePlan) -> Story:
    yield plan.written
    data = dataclasses.replace(
        plan.article,
        category_id=demo.records[f"category:{plan.category}"],
        related_asset_ids=[demo.records[f"asset:{name}"] for name in plan.assets],
    )
    made = await articles.create(demo.hub, principal=demo.manager, data=data)
    demo.records[f"article:{plan.name}"] = made.id
    for days, action in _events(plan):
        yield days
        await action(demo, made.id)


Action = Callable[[Demo, str], Awaitable[object]]


def _events(plan: ArticlePlan) -> list[tuple[float, Action]]:
    """What happens to an article after it is written, in time order."""
    events: list[tuple[float, Action]] = []
    if plan.published is not None:
        events.append((plan.published, _publish))
    events += [(days, partial(_read, who=who)) for days, who in plan.reads]
    events += [
        (days, partial(_feedback, who=who, helpful=helpful, comment=comment))
        for days, who, helpful, comment in plan.feedback
    ]
    if plan.revised is not None:
        days, body, note = plan.revised
        events.append((days, partial(_revise, body=body, note=note)))
    return sorted(events, key=lambda event: -event[0])


async def _publish(demo: Demo, article_id: str) -> None:
    await articles.set_status(
        demo.hub,
        principal=demo.manager,
        article_id=article_id,
        status=ArticleStatus.PUBLISHED,
        expected_version=None,
        note="Ready for partners",
    )


async def _read(demo: Demo, article_id: str, *, who: str) -> None:
    await articles.get(demo.hub, principal=demo.person(who), article_id=article_id)


async def _feedback(
    demo: Demo, article_id: str, *, who: str, helpful: bool, comment: str | None
) -> None:
    await engagement.give_feedback(
        demo.hub,
        principal=demo.person(who),
        article_id=article_id,
        helpful=helpful,
        comment=comment,
    )


async def _revise(demo: Demo, article_id: str, *, body: str, note: str) -> None:
    await articles.update(
        demo.hub,
        principal=demo.manager,
        article_id=article_id,
        changes=ArticleChanges(body=body, note=note),
        expected_version=None,
    )


async def _misses(demo: Demo) -> Story:
    for days, who, search in MISSES:
        yield days
        await articles.list_articles(
            demo.hub,
            principal=demo.person(who),
            filter=ArticleFilter(search=search),
            page=PageRequest(first=10),
        )
