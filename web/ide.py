"""GraphiQL in development, from the hub's own files (web/graphiql/): no CDN, no inline script.

The page is served at /graphql to browsers; its assets at /graphiql/assets/<path>?v=<digest>,
cached for a year since a changed file gets a new digest.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from hub.runtime import Hub

FOLDER = Path(__file__).resolve().parent / "graphiql"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"
# Relative to /graphql, so a hub served under a path prefix finds them too.
ASSET_URL = re.compile(r'(?P<attribute>src|href)="graphiql/assets/(?P<path>[^"?#]+)"')
# Scripts only from this origin's files. GraphiQL's dialogs add a <style> element (to lock
# scrolling), hence inline styles; its fonts are data: URLs in its CSS.
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "content-security-policy": POLICY,
    "cache-control": "no-cache",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def page() -> Response:
    """GraphiQL's page, each asset URL carrying its file's digest."""
    return HTMLResponse(_page(), headers=PAGE_HEADERS)


async def asset(request: Request) -> Response:
    """One file of the page, in development only."""
    hub: Hub = request.app.state.hub
    path = request.path_params["path"]
    digest = _digests().get(path)
    if not hub.settings.development or digest is None:
        return PlainTextResponse("not found", status_code=404)
    file = FOLDER / path
    fresh = request.query_params.get("v") == digest
    headers = {
        "cache-control": IMMUTABLE if fresh else "no-cache",
        "etag": f'"{digest}"',
        "x-content-type-options": "nosniff",
    }
    if request.headers.get("if-none-match") == headers["etag"]:
        return Response(status_code=304, headers=headers)
    return Response(file.read_bytes(), headers=headers, media_type=MEDIA_TYPES[file.suffix])


@cache
def _digests() -> dict[str, str]:
    """Every servable file under FOLDER by its relative path, with a digest of its content."""
    return {
        path.relative_to(FOLDER).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted(FOLDER.rglob("*"))
        if path.suffix in MEDIA_TYPES and path.is_file()
    }


@cache
def _page() -> str:
    digests = _digests()

    def fingerprinted(match: re.Match[str]) -> str:
        attribute, path = match["attribute"], match["path"]
        return f'{attribute}="graphiql/assets/{path}?v={digests[path]}"'

    return ASSET_URL.sub(fingerprinted, (FOLDER / "index.html").read_text(encoding="utf-8"))
