"""Demo best practices: contributed by partners, reviewed and featured, rated and discussed."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from hub.demo import files
from hub.demo.world import Demo, Part, Story
from hub.knowledge import discussion, practices
from hub.knowledge.rules import PracticeInput


class PracticePlan(NamedTuple):
    name: str
    by: str
    submitted: float
    practice: PracticeInput
    review: tuple[float, bool, str | None, bool] | None  # (days ago, publish, reason, featured)
    ratings: tuple[tuple[float, str, int], ...] = ()  # (days ago, demo login, stars)
    comments: tuple[tuple[float, str, str], ...] = ()  # (days ago, demo login, Markdown)
    attach_sketch: bool = False  # upload a small diagram with the submission
    assets: tuple[str, ...] = ()


PLANS = (
    PracticePlan(
        "poc-week",
        "admin@goldengate.example",
        92,
        PracticeInput(
            title="Run the proof of concept in one week, not one quarter",
            problem="Security evaluations dragged on for months and lost momentum.",
            approach="Agree **three success criteria** up front and ship a pre-built lab image.",
            outcome="Evaluation time fell from 11 to 4 weeks; win rate rose to 60%.",
            tags=("poc", "security"),
            product_lines=("SECURITY",),
        ),
        (90, True, None, True),
        (
            (88, "admin@bayern.example", 5),
            (80, "admin@prairie.example", 4),
            (60, "admin@northwind.example", 5),
            (30, "admin@sakura.example", 4),
            (12, "admin@lakeside.example", 5),
        ),
        (
            (87, "admin@bayern.example", "We adopted the lab image; *huge* time saver."),
            (29, "admin@sakura.example", "Could you share the success-criteria template?"),
            (28, "admin@goldengate.example", "Added it to the attachments, enjoy."),
        ),
        attach_sketch=True,
        assets=("firewall-brochure",),
    ),
    PracticePlan(
        "clinic-bundle",
        "admin@prairie.example",
        55,
        PracticeInput(
            title="Bundle storage and firewalls for clinics",
            problem="Small clinics buy storage and security from different vendors.",
            approach="Quote one bundle with a three-year support plan and on-site install.",
            outcome="Average deal size doubled across eight clinics.",
            tags=("healthcare", "bundle"),
            product_lines=("STORAGE", "SECURITY"),
        ),
        (52, True, None, False),
        (
            (50, "admin@northwind.example", 4),
            (40, "admin@goldengate.example", 3),
            (20, "sales@northwind.example", 4),
        ),
        ((49, "admin@northwind.example", "Rolling this out to all our resellers."),),
    ),
    PracticePlan(
        "cloud-migration",
        "admin@bayern.example",
        40,
        PracticeInput(
            title="A fixed-price cloud migration assessment",
            problem="Customers hesitate to start open-ended migration projects.",
            approach="Sell a two-week, fixed-price assessment that ends with a migration plan.",
            outcome="Seven of ten assessments became migration projects.",
            tags=("cloud", "services"),
            product_lines=("CLOUD",),
        ),
        (38, True, None, False),
        (
            (36, "admin@goldengate.example", 5),
            (20, "admin@maple.example", 5),
            (10, "admin@seine.example", 4),
        ),
    ),
    PracticePlan(
        "cold-calls",
        "admin@highland.example",
        18,
        PracticeInput(
            title="Cold-call every university in the region",
            problem="Few inbound leads.",
            approach="Call lists.",
            outcome="Some meetings.",
            tags=("prospecting",),
        ),
        (16, False, "Please describe the approach and the results in more detail.", False),
    ),
    PracticePlan(
        "stacking",
        "admin@lakeside.example",
        1,
        PracticeInput(
            title="Stack switches for painless branch upgrades",
            problem="Branch upgrades meant a night of downtime per site.",
            approach="Pre-stage a stacked SW-48 pair and swap it in during lunch.",
            outcome="Twelve branches upgraded with under ten minutes of downtime each.",
            tags=("switch", "upgrade"),
            product_lines=("NETWORKING",),
        ),
        None,
    ),
)


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS]


PART = Part(order=70, stories=stories)


async def _story(demo: Demo, plan: PracticePlan) -> Story:
    yield plan.submitted
    sketch = files.png(96, 64, (255, 255, 255), (20, 60, 140))
    assets = tuple(demo.records[f"asset:{name}"] for name in plan.assets)
    practice = await practices.submit(
        demo.hub,
        principal=demo.person(plan.by),
        data=dataclasses.replace(plan.practice, asset_ids=assets),
        files=[("approach-sketch.png", files.chunks(sketch))] if plan.attach_sketch else [],
    )
    demo.records[f"practice:{plan.name}"] = practice.id
    if plan.review is not None:
        days, publish, reason, featured = plan.review
        yield days
        await practices.review(
            demo.hub,
            principal=demo.manager,
            practice_id=practice.id,
            publish=publish,
            reason=reason,
            featured=featured,
            expected_version=None,
        )
    talk = [(days, who, stars, "") for days, who, stars in plan.ratings]
    talk += [(days, who, 0, body) for days, who, body in plan.comments]
    for days, who, stars, body in sorted(talk, key=lambda item: -item[0]):
        yield days
        principal = demo.person(who)
        if stars:
            await discussion.rate(
                demo.hub, principal=principal, practice_id=practice.id, stars=stars
            )
        else:
            await discussion.comment(
                demo.hub, principal=principal, practice_id=practice.id, body=body
            )
