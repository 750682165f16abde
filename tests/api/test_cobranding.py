"""Co-branded collateral over the API, on PostgreSQL (S3) and the embedded SQLite (files):
partner logos, assets marked co-brandable, and each partner's own copy with its logo and
contact block where the vendor marked, checked page by page and pixel by pixel.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from hub.demo import files
from hub.partners.rules import Tier
from hub.roles import Role
from storage.models.assets import CobrandedCopy
from tests.api.test_uploads import settings  # noqa: F401 (PostgreSQL runs on the S3 store)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of
from tests.services import service_env

UPLOAD = """mutation($file: Upload!, $input: AssetInput!) {
  uploadAsset(file: $file, input: $input) { id } }"""
VERSION = """mutation($id: ID!, $file: Upload!) {
  uploadAssetVersion(assetId: $id, file: $file) { number } }"""
LOGO = """mutation($partner: ID!, $file: Upload!) {
  uploadPartnerLogo(partnerId: $partner, file: $file) {
    logo { fileName contentType width height sha256 downloadUrl } } }"""
MARK = """mutation($id: ID!, $placement: CobrandPlacementInput) {
  setAssetCobranding(id: $id, placement: $placement) {
    cobrandPlacement { page x y width height } } }"""
COPY = """mutation($id: ID!, $partner: ID) { cobrandAsset(id: $id, partnerId: $partner) {
  fileName contentType size sha256 createdAt url partnerId } }"""
PARTNER_LOGO = "query($id: ID!) { partner(id: $id) { logo { sha256 } } }"
RED = (200, 20, 20)
PLACEMENT = {"page": 2, "x": 0.55, "y": 0.82, "width": 0.4, "height": 0.12}


def logo_png(width: int = 120, height: int = 60, colour: tuple[int, int, int] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def two_pages(edition: str = "") -> bytes:
    writer = PdfWriter()
    for title, line in [("Firewall brochure", "Page one text"), ("Pricing", f"Page two {edition}")]:
        writer.append(PdfReader(io.BytesIO(files.pdf(title, [line]))))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def asset(factory: Factory, vendor: Actor, name: str, data: bytes, **fields: Any) -> str:
    sent = await factory.multipart(
        UPLOAD,
        {"input": {"title": name, "kind": "BROCHURE", **fields}},
        {"file": (name, data)},
        actor=vendor,
    )
    found: str = data_of(sent)["uploadAsset"]["id"]
    return found


async def logo(factory: Factory, actor: Actor, partner: str, data: bytes, name: str) -> Any:
    return await factory.multipart(LOGO, {"partner": partner}, {"file": (name, data)}, actor=actor)


async def copy(factory: Factory, actor: Actor, asset_id: str, partner: str | None = None) -> Any:
    return await factory.gql(COPY, {"id": asset_id, "partner": partner}, actor=actor)


async def fetched(factory: Factory, url: str) -> bytes:
    """A download URL's bytes: presigned by SeaweedFS S3 (PostgreSQL here), or signed by the
    hub for its filesystem store (the embedded SQLite hub), served by the app itself."""
    if url.startswith(service_env("S3_ENDPOINT")):
        async with httpx.AsyncClient() as http:
            response = await http.get(url)
    else:
        response = await factory.client.get(url)
    assert response.status_code == 200, response.text
    return response.content


def has_colour(image: Image.Image, colour: tuple[int, int, int]) -> bool:
    """Whether a patch of the colour shows (PDF images are JPEG: near enough counts)."""
    counted = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    near = sum(
        count
        for count, found in counted
        if max(abs(a - b) for a, b in zip(found, colour, strict=True)) <= 24
    )
    return near >= 100


async def test_a_cobranded_pdf_has_the_logo_on_the_marked_page_and_every_page_text_intact(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha", website="https://alpha.example", city="Madison")
    beta = await factory.partner("Beta")
    alpha_admin = await factory.user(alpha.id, Role.PARTNER_ADMIN)
    beta_admin = await factory.user(beta.id, Role.PARTNER_ADMIN)
    original = two_pages()
    brochure = await asset(factory, vendor, "brochure.pdf", original)
    gold_only = await asset(factory, vendor, "gold.pdf", original, minTier="GOLD")

    unmarked = await copy(factory, alpha_admin, brochure)
    marked = data_of(
        await factory.gql(MARK, {"id": brochure, "placement": PLACEMENT}, actor=vendor)
    )
    no_logo = await copy(factory, alpha_admin, brochure)
    uploaded = data_of(await logo(factory, alpha_admin, alpha.id, logo_png(), "alpha.png"))
    first = data_of(await copy(factory, alpha_admin, brochure))["cobrandAsset"]
    again = data_of(await copy(factory, alpha_admin, brochure))["cobrandAsset"]
    preview = data_of(await copy(factory, vendor, brochure, alpha.id))["cobrandAsset"]
    unnamed_preview = await copy(factory, vendor, brochure)
    betas_for_alpha = await copy(factory, beta_admin, brochure, alpha.id)
    betas_without_logo = await copy(factory, beta_admin, brochure)
    await factory.gql(MARK, {"id": gold_only, "placement": PLACEMENT}, actor=vendor)
    not_entitled = await copy(factory, alpha_admin, gold_only)
    made = PdfReader(io.BytesIO(await fetched(factory, first["url"])))
    before = PdfReader(io.BytesIO(original))
    stamped = made.pages[1].images[0].image
    # A new logo, then a new version, each make a new copy.
    data_of(await logo(factory, alpha_admin, alpha.id, logo_png(colour=(20, 160, 20)), "a.png"))
    new_logo = data_of(await copy(factory, alpha_admin, brochure))["cobrandAsset"]
    data_of(
        await factory.multipart(
            VERSION, {"id": brochure}, {"file": ("brochure.pdf", two_pages("2027"))}, actor=vendor
        )
    )
    new_version = data_of(await copy(factory, alpha_admin, brochure))["cobrandAsset"]

    assert errors_of(unmarked) == [("CONFLICT", "id")]
    assert marked["setAssetCobranding"]["cobrandPlacement"] == PLACEMENT
    assert errors_of(no_logo) == [("CONFLICT", "id")]
    assert "Alpha has no logo yet" in no_logo["errors"][0]["message"]
    assert uploaded["uploadPartnerLogo"]["logo"]["contentType"] == "image/png"
    assert (uploaded["uploadPartnerLogo"]["logo"]["width"], 60) == (120, 60)
    assert first["fileName"] == "brochure - Alpha.pdf"
    assert first["contentType"] == "application/pdf" and first["partnerId"] == alpha.id
    assert again["sha256"] == first["sha256"] and again["createdAt"] == first["createdAt"]
    assert preview["sha256"] == first["sha256"]
    assert errors_of(unnamed_preview) == [("BAD_USER_INPUT", "partnerId")]
    assert errors_of(betas_for_alpha)[0][0] == "NOT_FOUND"
    assert errors_of(betas_without_logo) == [("CONFLICT", "id")]
    assert "Alpha" not in betas_for_alpha["errors"][0]["message"]
    assert errors_of(not_entitled) == [("NOT_FOUND", "id")]
    # Page by page: the same pages, their text intact, the logo on page 2 only.
    assert len(made.pages) == len(before.pages) == 2
    for page, was in zip(made.pages, before.pages, strict=True):
        assert page.extract_text().strip() == was.extract_text().strip()
    assert [len(page.images) for page in made.pages] == [0, 1]
    assert [len(page.images) for page in before.pages] == [0, 0]
    assert has_colour(stamped, RED)
    # The stamp sits in the marked box: its aspect is the box's on the page.
    box = made.pages[1].mediabox
    expected = (PLACEMENT["width"] * float(box.width)) / (PLACEMENT["height"] * float(box.height))
    assert abs(stamped.width / stamped.height - expected) < 0.02
    assert new_logo["sha256"] != first["sha256"]
    assert new_version["sha256"] not in (first["sha256"], new_logo["sha256"])


async def test_a_cobranded_png_changes_only_the_marked_box(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha")
    alpha_admin = await factory.user(alpha.id, Role.PARTNER_ADMIN)
    blue = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 90, 160)).save(blue, format="PNG")
    banner = await asset(factory, vendor, "banner.png", blue.getvalue())
    placement = {"page": 1, "x": 0.5, "y": 0.7, "width": 0.45, "height": 0.25}
    data_of(await factory.gql(MARK, {"id": banner, "placement": placement}, actor=vendor))
    data_of(await logo(factory, alpha_admin, alpha.id, logo_png(), "alpha.png"))

    made = data_of(await copy(factory, alpha_admin, banner))["cobrandAsset"]
    image = Image.open(io.BytesIO(await fetched(factory, made["url"]))).convert("RGB")
    inside = image.crop((200, 210, 380, 285))
    outside = [image.getpixel((x, y)) for x in range(0, 400, 17) for y in range(0, 200, 13)]

    assert made["contentType"] == "image/png" and image.size == (400, 300)
    assert set(outside) == {(30, 90, 160)}
    assert has_colour(inside, RED)


async def test_bad_logos_and_placements_are_refused_with_their_field_and_keep_nothing(
    any_factory: Factory,
) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha")
    beta = await factory.partner("Beta", tier=Tier.GOLD)
    alpha_admin = await factory.user(alpha.id, Role.PARTNER_ADMIN)
    alpha_user = await factory.user(alpha.id, Role.PARTNER_USER)
    brochure = await asset(factory, vendor, "brochure.pdf", two_pages())
    notes = await asset(factory, vendor, "notes.txt", b"plain text notes\n" * 20)
    huge = io.BytesIO()
    Image.new("RGB", (5000, 20), RED).save(huge, format="PNG")
    logos = {
        "a PDF": (files.pdf("Not a logo", ["text"]), "logo.pdf", alpha_admin, alpha.id),
        "an executable named .png": (
            b"MZ\x90\x00" + b"\x00" * 500,
            "logo.png",
            alpha_admin,
            alpha.id,
        ),
        "5000 pixels wide": (huge.getvalue(), "huge.png", alpha_admin, alpha.id),
        "8 pixels": (logo_png(8, 8), "tiny.png", alpha_admin, alpha.id),
        "over 2 MiB": (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024),
            "big.png",
            alpha_admin,
            alpha.id,
        ),
        "a truncated PNG": (logo_png()[:40], "cut.png", alpha_admin, alpha.id),
    }
    refused = {
        name: errors_of(await logo(factory, actor, partner, data, file_name))
        for name, (data, file_name, actor, partner) in logos.items()
    }
    by_a_user = await logo(factory, alpha_user, alpha.id, logo_png(), "alpha.png")
    for_beta = await logo(factory, alpha_admin, beta.id, logo_png(), "alpha.png")
    kept = data_of(await factory.gql(PARTNER_LOGO, {"id": alpha.id}, actor=vendor))
    placements = {
        "x beyond the page": ({**PLACEMENT, "x": 1.2}, brochure, "placement.x"),
        "wider than the page": ({**PLACEMENT, "x": 0.7, "width": 0.5}, brochure, "placement.width"),
        "too small": ({**PLACEMENT, "height": 0.001}, brochure, "placement.height"),
        "page 3 of 2": ({**PLACEMENT, "page": 3}, brochure, "placement.page"),
        "page 0": ({**PLACEMENT, "page": 0}, brochure, "placement.page"),
        "a text file": (PLACEMENT, notes, "id"),
    }
    wrong = {
        name: errors_of(await factory.gql(MARK, {"id": target, "placement": given}, actor=vendor))
        for name, (given, target, _) in placements.items()
    }
    by_a_partner = await factory.gql(
        MARK, {"id": brochure, "placement": PLACEMENT}, actor=alpha_admin
    )
    data_of(await factory.gql(MARK, {"id": brochure, "placement": PLACEMENT}, actor=vendor))
    cleared = data_of(await factory.gql(MARK, {"id": brochure, "placement": None}, actor=vendor))

    assert refused == {name: [("BAD_USER_INPUT", "file")] for name in logos}
    assert errors_of(by_a_user) == [("FORBIDDEN", None)]
    assert errors_of(for_beta)[0][0] == "NOT_FOUND"
    assert kept == {"partner": {"logo": None}}
    assert wrong == {
        name: [("BAD_USER_INPUT", field)] for name, (_, _, field) in placements.items()
    }
    assert errors_of(by_a_partner) == [("FORBIDDEN", None)]
    assert cleared == {"setAssetCobranding": {"cobrandPlacement": None}}


async def test_racing_first_requests_make_one_copy(any_factory: Factory) -> None:
    factory = any_factory
    vendor = await factory.vendor_admin()
    alpha = await factory.partner("Alpha")
    admins = [await factory.user(alpha.id, Role.PARTNER_ADMIN) for _ in range(3)]
    brochure = await asset(factory, vendor, "brochure.pdf", two_pages())
    data_of(await factory.gql(MARK, {"id": brochure, "placement": PLACEMENT}, actor=vendor))
    data_of(await logo(factory, admins[0], alpha.id, logo_png(), "alpha.png"))

    made = await asyncio.gather(*(copy(factory, admin, brochure) for admin in admins * 2))
    copies = [data_of(body)["cobrandAsset"] for body in made]
    async with factory.hub.read() as session:
        rows = await session.scalar(select(func.count()).select_from(CobrandedCopy))
    stored = [key async for key, _ in factory.hub.objects.list_keys(CobrandedCopy.file_prefix)]

    assert len({(one["sha256"], one["createdAt"], one["size"]) for one in copies}) == 1
    # One copy kept, and a racing request's own rendering deleted.
    assert rows == 1 and len(stored) == 1
