"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, for email tests."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass(frozen=True)
class Delivered:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Mailbox:
    """Answers each DATA with the next scripted reply (then 250), keeping accepted messages."""

    script: deque[str] = field(default_factory=deque)
    delivered: list[Delivered] = field(default_factory=list)
    port: int = 0

    def answer(self, *replies: str) -> None:
        self.script.extend(replies)

    def to(self, address: str) -> list[Delivered]:
        return [item for item in self.delivered if address in item.recipients]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.script.popleft() if self.script else "250 Message accepted for delivery"
        if reply.startswith("250"):
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return reply


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Serve a mailbox on a free loopback port until the block ends."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
