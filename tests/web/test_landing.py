"""`/` tells a newcomer what this is and where to go; `/api` shows the README's API section."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.settings import load_settings
from tests.conftest import hub_env
from web.app import create_app


async def get(env: str, tmp_path: Path, clock: ManualClock, path: str) -> httpx.Response:
    settings = load_settings(hub_env(env=env, var_dir=str(tmp_path / "var")))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            return await http.get(path)


async def test_the_home_page_links_to_the_api_its_docs_and_health(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    development = await get("development", tmp_path, clock, "/")
    production = await get("production", tmp_path, clock, "/")
    docs = await get("production", tmp_path, clock, "/api")

    assert development.status_code == 200
    assert development.headers["content-type"].startswith("text/html")
    for link in ('href="/graphql"', 'href="/api"', 'href="/healthz"', 'href="/readyz"'):
        assert link in development.text
    assert 'href="/graphql"' not in production.text
    assert "POST /graphql" in production.text
    assert docs.status_code == 200
    assert "<table>" in docs.text and "createAssetUpload" in docs.text
    assert "<script" not in docs.text
