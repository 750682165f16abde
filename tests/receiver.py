"""A real HTTP receiver on loopback for webhook tests, with an independent signature check.

The check is written here from the Standard Webhooks text (HMAC-SHA256 over
`id.timestamp.body`, base64, `v1,` prefix, space-separated), not with the library the hub
signs with, so a mistake shared by both cannot pass.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from tests.conftest import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass
class Receiver:
    """Answers each request with the next scripted Answer (then `default`), recording it."""

    default: Answer = field(default_factory=Answer)
    script: deque[Answer] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    @property
    def succeeded(self) -> list[Received]:
        return [item for item in self.requests if 200 <= item.answered < 300]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = self.script.popleft() if self.script else self.default
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        headers[":path"] = scope["path"]
        self.requests.append(Received(headers, body, answer.status))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver | None = None) -> AsyncIterator[Receiver]:
    """Serve a receiver on a free loopback port until the block ends."""
    receiver = receiver or Receiver()
    port = free_port()
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    receiver.url = f"http://127.0.0.1:{port}/hooks"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


def verify(secret: str, received: Received) -> bool:
    """Whether one of the request's v1 signatures is HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join(
        [
            received.headers["webhook-id"].encode(),
            received.headers["webhook-timestamp"].encode(),
            received.body,
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = received.headers["webhook-signature"].split(" ")
    return any(
        hmac.compare_digest(item, f"v1,{expected}") for item in offered if item.startswith("v1,")
    )


def readme_verify() -> Any:
    """The verification snippet README.md gives receivers, as written there."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    start = text.index("```python", text.index("A receiver checks it like this"))
    code = text[start + len("```python") : text.index("```", start + 3)]
    space: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), space)
    return space["verify"]
