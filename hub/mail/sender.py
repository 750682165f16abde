"""Sending one email: by SMTP when a host is set, else as an .eml file under the outbox folder
(the embedded default, so `make run` needs no mail server)."""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage as Mime
from email.utils import format_datetime

from hub.settings import MailSettings
from storage.models.mail import EmailMessage

logger = logging.getLogger("channelhub.mail")


@dataclass(frozen=True)
class Outcome:
    """sent, or why not: `temporary` failures are tried again, others are final."""

    sent: bool
    temporary: bool = False
    error: str | None = None


def mime_of(settings: MailSettings, message: EmailMessage) -> Mime:
    """The message as sent: plain text with an HTML alternative."""
    mime = Mime()
    mime["From"] = settings.from_address
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    mime["Date"] = format_datetime(message.created_at)
    mime["X-ChannelHub-Kind"] = message.kind
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    return mime


async def send(settings: MailSettings, message: EmailMessage) -> Outcome:
    """Hand the message to the SMTP server (or write it to the outbox folder)."""
    mime = mime_of(settings, message)
    if not settings.smtp_host:
        await asyncio.to_thread(_write, settings, message, mime)
        return Outcome(sent=True)
    try:
        await asyncio.to_thread(_smtp, settings, mime)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        return Outcome(False, all(400 <= code < 500 for code in codes), _said(refused))
    except smtplib.SMTPResponseException as answered:
        return Outcome(False, 400 <= answered.smtp_code < 500, _said(answered))
    except (OSError, smtplib.SMTPException) as failure:
        return Outcome(False, True, f"could not reach the mail server: {failure}"[:300])
    return Outcome(sent=True)


def _smtp(settings: MailSettings, mime: Mime) -> None:
    context = ssl.create_default_context()
    timeout = settings.timeout_seconds
    host, port = settings.smtp_host, settings.smtp_port
    client = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        if settings.smtp_tls == "tls"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    with client:
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password or "")
        client.send_message(mime)


def _write(settings: MailSettings, message: EmailMessage, mime: Mime) -> None:
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{message.id}.eml"
    partial = path.with_suffix(".part")
    partial.write_bytes(bytes(mime))
    os.replace(partial, path)
    logger.info("email %s to %s written to %s", message.kind, message.to_address, path)


def _said(failure: smtplib.SMTPException) -> str:
    if isinstance(failure, smtplib.SMTPResponseException):
        return f"the mail server answered {failure.smtp_code} {_text(failure.smtp_error)}"[:300]
    if isinstance(failure, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(failure.recipients.values()))
        return f"the mail server refused the recipient: {code} {_text(text)}"[:300]
    return str(failure)[:300]


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else said
