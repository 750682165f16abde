"""Co-branding: a partner's logo and contact block stamped where the vendor marked, on a
PDF page (pypdf) or on a PNG or JPEG image (Pillow).

The stamp is a picture: the logo fitted into the left of the marked box, the contact lines to
its right. On a PDF it is merged onto the one marked page, scaled into the box, leaving the
page's own text and every other page as they were. Pure functions of bytes: run them in a
worker thread, never on the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError

# Far above any logo or brochure image we accept; refuses decompression bombs.
Image.MAX_IMAGE_PIXELS = 50_000_000
MAX_LOGO_SIDE = 4096
MIN_LOGO_SIDE = 16
# Pixels of the stamp per PDF point (72 per inch): about 216 dpi.
PDF_SCALE = 3
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class BadFile(ValueError):
    """The bytes are not what they claim, or cannot take a stamp."""


@dataclass(frozen=True)
class Placement:
    """Where the stamp goes: a page (1 for the first; images have one) and a box as fractions
    of the page's width and height from its top-left corner."""

    page: int
    x: float
    y: float
    width: float
    height: float


def logo_size(data: bytes) -> tuple[str, int, int]:
    """(content type, width, height) of a PNG or JPEG logo; BadFile for anything else or
    a logo too big or too small."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise BadFile("the logo is not a PNG or JPEG image") from None
    if kind not in LOGO_TYPES:
        raise BadFile(f"the logo is {kind}; send a PNG or a JPEG")
    if max(width, height) > MAX_LOGO_SIDE:
        raise BadFile(f"the logo is {width}x{height}; at most {MAX_LOGO_SIDE} pixels a side")
    if min(width, height) < MIN_LOGO_SIDE:
        raise BadFile(f"the logo is {width}x{height}; at least {MIN_LOGO_SIDE} pixels a side")
    return LOGO_TYPES[kind], width, height


def pdf_pages(data: bytes) -> int:
    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise BadFile(f"the PDF cannot be read: {error}") from None


def stamp(
    original: bytes, content_type: str, placement: Placement, logo: bytes, lines: Sequence[str]
) -> bytes:
    """The original with the stamp in the box."""
    if content_type == "application/pdf":
        return _stamp_pdf(original, placement, logo, lines)
    if content_type in ("image/png", "image/jpeg"):
        return _stamp_image(original, content_type, placement, logo, lines)
    raise BadFile(f"files of type {content_type} cannot be co-branded")


def picture(logo: bytes, lines: Sequence[str], width: int, height: int) -> Image.Image:
    """The stamp: white, the logo fitted into its left, the contact lines to the right."""
    canvas = Image.new("RGB", (max(width, 1), max(height, 1)), "white")
    with Image.open(io.BytesIO(logo)) as source:
        mark = source.convert("RGBA")
    side = min(height, width // 2)
    mark.thumbnail((side, side))
    canvas.paste(mark, ((side - mark.width) // 2, (height - mark.height) // 2), mark)
    draw = ImageDraw.Draw(canvas)
    left = side + max(4, width // 50)
    room = max(width - left - max(4, width // 50), 1)
    size = max(8, min(height // (len(lines) + 1), 64)) if lines else 8
    font = ImageFont.load_default(size=size)
    while size > 8 and max((font.getlength(line) for line in lines), default=0) > room:
        size -= 1
        font = ImageFont.load_default(size=size)
    top = max(0, (height - size * len(lines) * 6 // 5) // 2)
    for number, line in enumerate(lines):
        draw.text((left, top + number * size * 6 // 5), line, fill=(20, 20, 20), font=font)
    return canvas


def _stamp_pdf(original: bytes, placement: Placement, logo: bytes, lines: Sequence[str]) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(original))
        pages = len(reader.pages)
        if not 1 <= placement.page <= pages:
            raise BadFile(f"the PDF has {pages} pages; there is no page {placement.page}")
        writer = PdfWriter(clone_from=reader)
        page = writer.pages[placement.page - 1]
        box = page.mediabox
        page_width, page_height = float(box.width), float(box.height)
        width = placement.width * page_width
        height = placement.height * page_height
        image = picture(logo, lines, round(width * PDF_SCALE), round(height * PDF_SCALE))
        one_page = io.BytesIO()
        image.save(one_page, format="PDF", resolution=72 * PDF_SCALE, quality=95)
        overlay = PdfReader(one_page).pages[0]
        scale_x = width / float(overlay.mediabox.width)
        scale_y = height / float(overlay.mediabox.height)
        left = float(box.left) + placement.x * page_width
        bottom = float(box.top) - (placement.y + placement.height) * page_height
        page.merge_transformed_page(
            overlay, Transformation().scale(scale_x, scale_y).translate(left, bottom)
        )
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, BadFile):
            raise
        raise BadFile(f"the PDF cannot be co-branded: {error}") from None
    return out.getvalue()


def _stamp_image(
    original: bytes,
    content_type: str,
    placement: Placement,
    logo: bytes,
    lines: Sequence[str],
) -> bytes:
    try:
        with Image.open(io.BytesIO(original)) as source:
            image = (
                source.convert("RGB") if content_type == "image/jpeg" else source.convert("RGBA")
            )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise BadFile("the image cannot be read") from None
    width, height = image.size
    box = (round(placement.x * width), round(placement.y * height))
    stamp_image = picture(
        logo, lines, round(placement.width * width), round(placement.height * height)
    )
    image.paste(stamp_image.convert(image.mode), box)
    out = io.BytesIO()
    image.save(out, format="JPEG" if content_type == "image/jpeg" else "PNG", quality=92)
    return out.getvalue()
