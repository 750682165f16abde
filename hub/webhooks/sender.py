"""Sending one signed webhook request (Standard Webhooks) and reading what came back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

from hub.webhooks.addresses import Policy, Refused, Target, resolve
from hub.webhooks.rules import RESPONSE_KEPT

USER_AGENT = "ChannelHub-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a 2xx is a success; anything else, or no answer, is not."""

    status_code: int | None
    duration_ms: int
    response: str | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(secrets: Sequence[str], message_id: str, at: datetime, body: bytes) -> str:
    """The webhook-signature header: one `v1,` signature per secret in use, space-separated."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    policy: Policy,
    secrets: Sequence[str],
    message_id: str,
    at: datetime,
    body: bytes,
    wait_seconds: float,
) -> Outcome:
    """POST the body to the URL, checked again now, never following a redirect.

    Whatever goes wrong is the attempt's outcome (never an exception): a delivery that
    cannot be made is retried and counted like one the receiver refused.
    """
    started = time.monotonic()
    headers = {
        "content-type": "application/json",
        "accept-encoding": "identity",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(secrets, message_id, at, body),
    }
    try:
        async with asyncio.timeout(wait_seconds):
            target = await resolve(url, policy)
            status, text = await _post(client, target, headers, body)
    except Refused as refused:
        return _failed(started, f"refused: {refused}")
    except TimeoutError:
        return _failed(started, f"no answer within {wait_seconds:g} s")
    except httpx.HTTPError as failure:
        return _failed(started, _error(failure))
    except Exception as failure:  # a URL httpx cannot send (say, an odd host name)
        return _failed(started, f"could not send: {type(failure).__name__}: {failure}")
    error = None
    if 300 <= status < 400:
        error = "the receiver redirected; redirects are not followed"
    elif not 200 <= status < 300:
        error = f"the receiver answered {status}"
    return Outcome(status, _since(started), text, error)


def _failed(started: float, error: str) -> Outcome:
    return Outcome(None, _since(started), None, error[:300])


async def _post(
    client: httpx.AsyncClient, target: Target, headers: dict[str, str], body: bytes
) -> tuple[int, str]:
    """POST to the checked address (the Host header and TLS name stay the URL's)."""
    request = client.build_request(
        "POST",
        _pinned(target),
        headers={**headers, "host": _host_header(target)},
        content=body,
        extensions={"sni_hostname": target.host} if target.https else {},
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        kept = bytearray()
        async for chunk in response.aiter_raw():
            kept += chunk
            if len(kept) >= RESPONSE_KEPT:
                break
        text = kept[:RESPONSE_KEPT].decode("utf-8", "replace").replace("\x00", "")
        return response.status_code, text
    finally:
        await response.aclose()


def _pinned(target: Target) -> httpx.URL:
    url = httpx.URL(target.url)
    return url.copy_with(host=target.address)


def _host_header(target: Target) -> str:
    # The URL's host as it goes on the wire (an international name in its ASCII form).
    ascii_host = httpx.URL(target.url).raw_host.decode("ascii")
    host = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    default = 443 if target.https else 80
    return host if target.port == default else f"{host}:{target.port}"


def _error(failure: httpx.HTTPError) -> str:
    detail = str(failure) or type(failure).__name__
    return f"could not reach the receiver: {detail}"[:300]


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
