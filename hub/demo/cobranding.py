"""Demo co-branding: three partners' logos, the firewall brochure marked co-brandable (its
contact box at the foot of the page) and Prairie IT's own copy made."""

from __future__ import annotations

from hub.assets import cobrand
from hub.assets.stamp import Placement
from hub.demo import files
from hub.demo.world import Demo, Part, Story
from hub.partners import logos

# (partner login, background, band colour) of each logo.
LOGOS = (
    ("admin@prairie.example", (250, 246, 230), (176, 120, 40)),
    ("admin@lakeside.example", (235, 245, 255), (20, 110, 170)),
    ("admin@thames.example", (245, 245, 245), (120, 30, 60)),
)
FOOTER = Placement(page=1, x=0.08, y=0.84, width=0.6, height=0.1)


def stories(demo: Demo) -> list[Story]:
    return [_story(demo)]


PART = Part(order=68, stories=stories)


async def _story(demo: Demo) -> Story:
    yield 40.0
    for login, background, band in LOGOS:
        partner = demo.person(login)
        await logos.upload(
            demo.hub,
            principal=partner,
            partner_id=partner.organization_id,
            file_name="logo.png",
            chunks=files.chunks(files.png(160, 80, background, band)),
        )
    yield 26.0
    brochure = demo.records["asset:firewall-brochure"]
    await cobrand.mark(demo.hub, principal=demo.manager, asset_id=brochure, placement=FOOTER)
    yield 24.0
    await cobrand.copy(demo.hub, principal=demo.person("admin@prairie.example"), asset_id=brochure)
