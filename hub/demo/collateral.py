"""Demo collateral: datasheets, brochures, logos and price lists with versions, by tier."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from functools import partial
from typing import NamedTuple

from hub.assets import service as asset_service
from hub.assets.rules import AssetInput, AssetKind
from hub.demo import files
from hub.demo.world import Demo, Part, Story
from hub.partners import PartnerType, Tier

K = AssetKind


class AssetPlan(NamedTuple):
    name: str
    asset: AssetInput
    versions: tuple[float, ...]  # days ago of each version, the first one publishes the asset
    downloads: tuple[tuple[float, str], ...] = ()  # (days ago, demo login)
    named: tuple[str, ...] = ()  # partners by name, when only they may see it


PLANS = (
    AssetPlan(
        "switch-datasheet",
        AssetInput(
            title="Switch 24/48-port datasheet",
            kind=K.DATASHEET,
            description="Ports, throughput, power and mounting of the SW-24 and SW-48 switches.",
            tags=("switch", "datasheet", "sw-24", "sw-48"),
            product_lines=("NETWORKING",),
        ),
        (205, 60, 5),
        (
            (150, "admin@lakeside.example"),
            (59, "admin@northwind.example"),
            (4, "admin@lakeside.example"),
            (3, "admin@rhein.example"),
        ),
    ),
    AssetPlan(
        "firewall-brochure",
        AssetInput(
            title="Firewall 100 brochure",
            kind=K.BROCHURE,
            description="Why mid-size companies choose the Firewall 100, in four pages.",
            tags=("firewall", "security"),
            product_lines=("SECURITY",),
        ),
        (204.5, 90),
        (
            (98, "admin@goldengate.example"),
            (80, "sales@goldengate.example"),
            (70, "admin@sakura.example"),
            (20, "admin@prairie.example"),
        ),
    ),
    AssetPlan(
        "logo",
        AssetInput(
            title="Vendor logo (PNG)",
            kind=K.LOGO,
            description="The logo on a light background, for co-branded material.",
            tags=("logo", "brand"),
        ),
        (205, 30),
        ((100, "admin@maple.example"), (25, "admin@seine.example")),
    ),
    AssetPlan(
        "price-list",
        AssetInput(
            title="Partner price list 2026",
            kind=K.PRICE_LIST,
            description="List prices and tier discounts; Gold and Platinum partners only.",
            tags=("prices",),
            min_tier=Tier.GOLD,
        ),
        (180, 40),
        ((39, "admin@bayern.example"), (38, "admin@goldengate.example")),
    ),
    AssetPlan(
        "distributor-kit",
        AssetInput(
            title="Distributor onboarding deck",
            kind=K.PRESENTATION,
            description="How to recruit, enable and report on sub-resellers.",
            tags=("onboarding", "multi-tier"),
            partner_types=(PartnerType.DISTRIBUTOR,),
        ),
        (170,),
        ((160, "admin@northwind.example"),),
    ),
    AssetPlan(
        "prairie-case-study",
        AssetInput(
            title="Case study: Prairie IT secures a hospital network",
            kind=K.CASE_STUDY,
            description="Storage and firewalls for a regional hospital, written with Prairie IT.",
            tags=("case study", "healthcare"),
            product_lines=("STORAGE", "SECURITY"),
        ),
        (30,),
        ((12, "admin@prairie.example"),),
        named=("Prairie IT", "Northwind Distribution"),
    ),
)
PALETTE = ((20, 60, 140), (230, 120, 30), (40, 140, 90))


def stories(demo: Demo) -> list[Story]:
    return [_story(demo, plan) for plan in PLANS]


PART = Part(order=20, stories=stories)


async def _story(demo: Demo, plan: AssetPlan) -> Story:
    first, *later = plan.versions
    yield first
    named = [demo.partner(name) for name in plan.named]
    data = dataclasses.replace(plan.asset, partner_ids=named) if named else plan.asset
    name, body = _file(plan, 1)
    asset = await asset_service.create(
        demo.hub, principal=demo.vendor, data=data, file_name=name, chunks=files.chunks(body)
    )
    demo.records[f"asset:{plan.name}"] = asset.id
    events: list[tuple[float, Callable[[], Awaitable[object]]]] = [
        (days, partial(_version, demo, plan, asset.id, number))
        for number, days in enumerate(later, start=2)
    ]
    events += [(days, partial(_download, demo, asset.id, who)) for days, who in plan.downloads]
    for days, action in sorted(events, key=lambda event: -event[0]):
        yield days
        await action()


async def _version(demo: Demo, plan: AssetPlan, asset_id: str, number: int) -> None:
    name, body = _file(plan, number)
    await asset_service.add_version(
        demo.hub,
        principal=demo.manager,
        asset_id=asset_id,
        file_name=name,
        chunks=files.chunks(body),
    )


async def _download(demo: Demo, asset_id: str, who: str) -> None:
    """A partner takes a download link: recorded as usage of the asset."""
    await asset_service.download_url(
        demo.hub, principal=demo.person(who), asset_id=asset_id, expires_in=900
    )


def _file(plan: AssetPlan, version: int) -> tuple[str, bytes]:
    """A small real file for a version: a PNG for logos, a one-page PDF for the rest."""
    slug = plan.name
    if plan.asset.kind is K.LOGO:
        background, band = (250, 250, 250), PALETTE[(version - 1) % len(PALETTE)]
        return f"{slug}-v{version}.png", files.png(160, 48, background, band)
    lines = [
        plan.asset.description or "",
        f"Version {version}.",
        "Demo collateral generated by ChannelHub.",
    ]
    return f"{slug}-v{version}.pdf", files.pdf(plan.asset.title, lines)
