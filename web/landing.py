"""What `/` answers until the console exists: what this is, and where to go next."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hub.knowledge.rules import render_markdown
from hub.runtime import Hub

README = Path(__file__).resolve().parent.parent / "README.md"
API_SECTION = "## The API at a glance"
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top}"
    "code{background:#f4f4f4;padding:0 .2rem}"
)


async def home(request: Request) -> Response:
    """A small page: what ChannelHub is, and links to the API, its docs and health."""
    hub: Hub = request.app.state.hub
    graphiql = (
        '<li><a href="/graphql">GraphiQL</a>: try queries, mutations and subscriptions in the '
        "browser (log in with the form at its top)</li>"
        if hub.settings.development
        else "<li><code>POST /graphql</code>: the GraphQL endpoint (GraphiQL is on in "
        "development only)</li>"
    )
    docs = '<li><a href="/api">The API at a glance</a></li>' if api_section() else ""
    body = (
        "<h1>ChannelHub</h1><p>An open-source partner relationship management hub: one place "
        "where a vendor and its resellers, distributors and referral partners work together, "
        "behind a GraphQL API with live updates. The web console is not built yet; everything "
        "it will do is available through the API.</p>"
        f"<ul>{graphiql}{docs}"
        '<li><a href="/healthz">/healthz</a> (the process is alive) and '
        '<a href="/readyz">/readyz</a> (the database answers)</li></ul>'
    )
    return _page("ChannelHub", body)


async def api(request: Request) -> Response:
    """The README's API section, rendered."""
    section = api_section()
    if section is None:
        return _page("Not found", "<p>The API documentation is not installed here.</p>", 404)
    return _page("The API at a glance", render_markdown(section))


@cache
def api_section() -> str | None:
    """The README's 'API at a glance' section, or None when the README is not installed."""
    try:
        text = README.read_text(encoding="utf-8")
    except OSError:
        return None
    start = text.find(API_SECTION)
    if start < 0:
        return None
    end = text.find("\n## ", start + len(API_SECTION))
    return text[start : end if end > 0 else None]


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f'</title><meta name="viewport" content="width=device-width"><style>{_STYLE}</style>'
        f"</head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status)
