"""Email templates: plain text and HTML per kind and language, rendered with Jinja2.

`templates/<language>/<kind>.txt` starts with the subject line and a blank line; the HTML
twin fills `templates/<language>/layout.html`. HTML is autoescaped, so what partners and
customers typed (a company name, a message) is shown, never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from hub.mail.rules import LANGUAGES, EmailKind

_ENV = Environment(
    loader=PackageLoader("hub.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MAX_SUBJECT = 300


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def language_of(wanted: str | None) -> str:
    """The language to write in: the wanted one when there are templates in it, else English."""
    return wanted if wanted in LANGUAGES else "en"


def render(kind: EmailKind, language: str | None, context: dict[str, Any]) -> Rendered:
    """Render a kind of email in a language (English when it has no translation)."""
    name = kind.lower()
    for chosen in dict.fromkeys([language_of(language), "en"]):
        try:
            text = _ENV.get_template(f"{chosen}/{name}.txt").render(context)
            html = _ENV.get_template(f"{chosen}/{name}.html").render(context)
        except TemplateNotFound:
            continue
        subject, _, body = text.partition("\n\n")
        return Rendered(subject_line(subject), body.strip() + "\n", html)
    raise LookupError(f"no template for {kind}")


def subject_line(text: str) -> str:
    """One line, without control characters (no header injection), at most 300 characters."""
    return _CONTROL.sub(" ", text).strip()[:MAX_SUBJECT]
