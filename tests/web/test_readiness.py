"""/readyz: the database and the object store must answer; a lost broadcast only degrades."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import boto3
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.clock import ManualClock
from hub.settings import load_settings
from tests.conftest import hub_env, until
from tests.services import OwnRedis, service_env
from web.app import HubApp, create_app


@asynccontextmanager
async def served(clock: ManualClock, **overrides: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(load_settings(hub_env(**overrides)), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


async def test_a_ready_hub_reports_each_service(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")

    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "database": "ok", "objects": "ok", "broadcast": "ok"},
    )


async def test_a_missing_objects_folder_makes_the_hub_unready(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    async with served(clock, var_dir=str(tmp_path / "var")) as http:
        shutil.rmtree(tmp_path / "var" / "objects")
        ready = await http.get("/readyz")

    assert (ready.status_code, ready.json()) == (
        503,
        {"status": "unavailable", "database": "ok", "objects": "unreachable", "broadcast": "ok"},
    )


async def test_a_deleted_bucket_makes_the_hub_unready(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    bucket = f"channelhub-ready-{uuid.uuid4().hex[:12]}"
    s3 = {
        "s3_endpoint_url": service_env("S3_ENDPOINT"),
        "s3_bucket": bucket,
        "s3_access_key": service_env("S3_ACCESS_KEY"),
        "s3_secret_key": service_env("S3_SECRET_KEY"),
    }
    async with served(clock, var_dir=str(tmp_path / "var"), **s3) as http:
        before = await http.get("/readyz")
        boto3.client(
            "s3",
            endpoint_url=s3["s3_endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id=s3["s3_access_key"],
            aws_secret_access_key=s3["s3_secret_key"],
        ).delete_bucket(Bucket=bucket)
        after = await http.get("/readyz")

    assert before.json()["objects"] == "ok"
    assert (after.status_code, after.json()["objects"]) == (503, "unreachable")


async def test_a_lost_broadcast_degrades_but_keeps_the_hub_ready(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock, own_redis: OwnRedis
) -> None:
    async with served(clock, var_dir=str(tmp_path / "var"), broadcast_url=own_redis.url) as http:
        before = await http.get("/readyz")
        own_redis.kill()
        app: HubApp = http.app  # type: ignore[attr-defined]
        await until(lambda: not app.state.hub.events.connected)
        after = await http.get("/readyz")

    assert before.json() == {"status": "ok", "database": "ok", "objects": "ok", "broadcast": "ok"}
    assert (after.status_code, after.json()) == (
        200,
        {"status": "degraded", "database": "ok", "objects": "ok", "broadcast": "degraded"},
    )
