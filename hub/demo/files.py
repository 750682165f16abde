"""Small real files for the demo's collateral, made in code: a one-page PDF and a PNG."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Sequence

Colour = tuple[int, int, int]


def pdf(title: str, lines: Sequence[str]) -> bytes:
    """A valid one-page A4 PDF showing a title and some lines of text (ASCII)."""
    text = [f"BT /F1 22 Tf 56 770 Td ({_escaped(title)}) Tj ET"]
    text += [
        f"BT /F1 12 Tf 56 {730 - 20 * number} Td ({_escaped(line)}) Tj ET"
        for number, line in enumerate(lines)
    ]
    content = "\n".join(text).encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png(width: int, height: int, background: Colour, band: Colour) -> bytes:
    """A valid RGB PNG: a background with a horizontal band across its middle third."""
    rows = []
    for y in range(height):
        colour = band if height // 3 <= y < 2 * height // 3 else background
        rows.append(b"\x00" + bytes(colour) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    """The bytes as the upload services take them."""
    yield data


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
