"""GraphiQL in development from the hub's own files; none in production or test.

The browser test drives the page in headless Chromium (Debian's chromium and chromium-driver):
log in through the page's form, query, subscribe over the socket, log out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from hub.clock import ManualClock
from hub.partners import TerritoryInput, Tier
from hub.settings import Settings, load_settings
from tests.conftest import free_port, hub_env, serving, until
from tests.factories import PASSWORD, Factory
from web.app import HubApp, create_app

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ASSET = re.compile(r'(?:src|href)="(graphiql/assets/[^"]+)"')
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
LEAD = {
    "customerCompany": "Globex",
    "country": "US",
    "productLine": "NETWORKING",
    "region": "US-CA",
}
EVENTS = 'subscription { leadEvents(after: "0") { type leadId } }'
CREATE = "mutation($input: LeadInput!) { createLead(input: $input) { id } }"
WAIT_SECONDS = 15


@contextlib.asynccontextmanager
async def browsing(
    env: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(hub_env(env=env, var_dir=str(tmp_path / "var")))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield http


async def test_development_serves_graphiql_and_its_assets_from_the_hub(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    async with browsing("development", tmp_path, clock) as http:
        page = await http.get("/graphql", headers=BROWSER)
        assets = {url: await http.get(f"/{url}") for url in ASSET.findall(page.text)}

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "ChannelHub GraphiQL" in page.text
    assert re.findall(r"https?://|//[a-z]", page.text) == []  # nothing from another host
    assert re.findall(r"<script(?![^>]*\ssrc=)", page.text) == []  # no inline script
    assert "<style" not in page.text and " style=" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert {url.split("?")[0].removeprefix("graphiql/assets/") for url in assets} == {
        "hub-graphiql.css",
        "hub-graphiql.js",
        "vendor/graphiql/graphiql.min.css",
        "vendor/graphiql/graphiql.min.js",
        "vendor/graphql-ws/graphql-ws.min.js",
        "vendor/react-dom/react-dom.production.min.js",
        "vendor/react/react.production.min.js",
    }
    for url, answer in assets.items():
        assert answer.status_code == 200, url
        assert answer.headers["content-type"] == MEDIA_TYPES[Path(url.split("?")[0]).suffix]
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert len(answer.content) > 500


async def test_assets_are_the_listed_files_revalidated_without_their_digest(
    database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    async with browsing("development", tmp_path, clock) as http:
        plain = await http.get("/graphiql/assets/hub-graphiql.js")
        again = await http.get(
            "/graphiql/assets/hub-graphiql.js", headers={"if-none-match": plain.headers["etag"]}
        )
        missing = [
            (await http.get(f"/graphiql/assets/{path}")).status_code
            for path in ("nothing.js", "index.html", "vendor/react/LICENSE", "../ide.py")
        ]

    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    assert again.status_code == 304 and again.content == b""
    assert missing == [404, 404, 404, 404]


@pytest.mark.parametrize("env", ["production", "test"])
async def test_no_ide_outside_development(
    env: str, database: AsyncEngine, tmp_path: Path, clock: ManualClock
) -> None:
    async with browsing(env, tmp_path, clock) as http:
        page = await http.get("/graphql", headers=BROWSER)
        asset = await http.get("/graphiql/assets/hub-graphiql.js")

    assert not page.headers["content-type"].startswith("text/html")
    assert "graphiql" not in page.text.lower()
    assert asset.status_code == 404


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Development on a port known up front: the page's socket origin is then allowed."""
    return load_settings(
        hub_env(env="development", port=str(free_port()), var_dir=str(tmp_path / "var"))
    )


@pytest.fixture
async def served(app: Starlette, settings: Settings) -> AsyncIterator[str]:
    async with serving(app, port=settings.port):
        yield f"http://127.0.0.1:{settings.port}"


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        assert binary.exists(), f"{binary} is missing: apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class GraphiQLPage:
    """The page as a person uses it: the login form, the editors and the run button."""

    def __init__(self, driver: WebDriver, url: str) -> None:
        self.driver, self.url = driver, url
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def open(self) -> None:
        self.driver.get(f"{self.url}/graphql")
        self.wait.until(expected_conditions.visibility_of_element_located((By.ID, "hub-login")))
        self.wait.until(lambda _: self._editor(".graphiql-query-editor") is not None)

    def log_in(self, email: str, password: str) -> str:
        form = self.driver.find_element(By.ID, "hub-login")
        form.find_element(By.NAME, "email").send_keys(email)
        form.find_element(By.NAME, "password").send_keys(password)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait.until(expected_conditions.visibility_of_element_located((By.ID, "hub-who")))
        return str(self.driver.find_element(By.ID, "hub-who").text)

    def run(self, document: str, *, until_seen: str) -> str:
        """Put a document in the query editor, run it, and wait for text in the result."""
        self.driver.execute_script(
            "document.querySelector('.graphiql-query-editor .CodeMirror')"
            ".CodeMirror.setValue(arguments[0])",
            document,
        )
        self.driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        self.wait.until(lambda _: until_seen in (self.result() or ""))
        return self.result() or ""

    def result(self) -> str | None:
        return self._editor(".graphiql-response")

    def stored_token(self) -> str | None:
        stored = self.driver.execute_script(
            "const s = sessionStorage.getItem('channelhub.graphiql.session');"
            "return s && JSON.parse(s).token"
        )
        return str(stored) if stored else None

    def log_out(self) -> None:
        self.driver.find_element(By.ID, "hub-logout").click()
        self.wait.until(expected_conditions.visibility_of_element_located((By.ID, "hub-login")))
        self.wait.until(
            lambda _: "Logged out" in self.driver.find_element(By.ID, "hub-status").text
        )

    def errors(self) -> list[str]:
        logs = self.driver.get_log("browser")
        return [str(entry["message"]) for entry in logs if entry["level"] == "SEVERE"]

    def _editor(self, selector: str) -> str | None:
        value = self.driver.execute_script(
            f"const e = document.querySelector('{selector} .CodeMirror');"
            "return e && e.CodeMirror.getValue()"
        )
        return None if value is None else str(value)


async def test_log_in_query_subscribe_and_log_out_in_a_browser(
    served: str, browser: WebDriver, factory: Factory, app: Starlette
) -> None:
    started = time.monotonic()
    vendor = await factory.vendor_admin()
    california = (TerritoryInput(name="CA", regions=("US-CA",)),)
    await factory.partner("Gold", tier=Tier.GOLD, territories=california)
    page = GraphiQLPage(browser, served)
    assert isinstance(app, HubApp)
    sockets = app.websocket_endpoint.connections

    await asyncio.to_thread(page.open)
    who = await asyncio.to_thread(page.log_in, vendor.user.email, PASSWORD)
    me = await asyncio.to_thread(page.run, "{ me { email } }", until_seen=vendor.user.email)
    token = await asyncio.to_thread(page.stored_token)
    # After event 0: the lead's event comes whether the stream is still replaying or live.
    subscribing = asyncio.create_task(asyncio.to_thread(page.run, EVENTS, until_seen="LEAD_"))
    await until(lambda: any(socket.operations for socket in sockets))
    lead = (await factory.gql(CREATE, {"input": LEAD}, actor=vendor))["data"]["createLead"]
    event = await subscribing
    await asyncio.to_thread(page.log_out)
    await until(lambda: not sockets)
    after_logout = await asyncio.to_thread(page.stored_token)
    revoked = await factory.client.post(
        "/graphql", json={"query": "{ me { email } }"}, headers={"authorization": f"Bearer {token}"}
    )
    errors = await asyncio.to_thread(page.errors)

    assert who.startswith(f"{vendor.user.email} (VENDOR_ADMIN, ")
    assert json.loads(me) == {"data": {"me": {"email": vendor.user.email}}}
    assert json.loads(event) == {
        "data": {"leadEvents": {"type": "LEAD_OFFERED", "leadId": lead["id"]}}
    }
    assert after_logout is None
    assert revoked.status_code == 401
    assert errors == []
    assert time.monotonic() - started < 30
