"""E-mail through Flask-Mailman: SMTP from ``OPS_SMTP_URL`` in production, ``.eml`` files in
``instance/outbox/`` by default (development), the in-memory backend in tests.

``OPS_SMTP_URL``: ``smtp://user:pass@host:587?starttls=1`` (STARTTLS), ``smtps://user:pass@host:465``
(TLS from the start), ``smtp://host:25`` (no login). ``OPS_MAIL_FROM`` is the sender.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage as ParsedMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_mailman import Mail
from flask_mailman.backends.base import BaseEmailBackend

mail = Mail()

FILE_BACKEND = "ops.notify.mail.EmlEmailBackend"
EML_NAME = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{12}\.eml$")


def smtp_settings(url: str) -> dict:
    """Flask-Mailman settings from an ``smtp://`` / ``smtps://`` URL (user and password URL-quoted)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            "OPS_SMTP_URL must look like smtp://user:pass@host:587?starttls=1 or smtps://host:465"
        )
    query = parse_qs(parts.query)
    starttls = (query.get("starttls") or ["0"])[0].lower() in ("1", "true", "yes", "on")
    ssl = parts.scheme == "smtps"
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": parts.port or (465 if ssl else 25),
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_SSL": ssl,
        "MAIL_USE_TLS": starttls and not ssl,
        "MAIL_TIMEOUT": 30,
    }


def configure_mail(app: Flask) -> None:
    """Pick the backend (SMTP when ``SMTP_URL`` is set, else .eml files; tests: in memory) and bind
    Flask-Mailman. An explicit ``MAIL_BACKEND`` in the configuration wins."""
    config = app.config
    if not config.get("OUTBOX_DIR"):
        config["OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
    if config.get("SMTP_URL"):
        for key, value in smtp_settings(config["SMTP_URL"]).items():
            if config.get(key) is None:
                config[key] = value
    elif not config.get("MAIL_BACKEND"):
        config["MAIL_BACKEND"] = "locmem" if config.get("TESTING") else FILE_BACKEND
    config["MAIL_DEFAULT_SENDER"] = config.get("MAIL_FROM")
    config["MAIL_FILE_PATH"] = config.get("MAIL_FILE_PATH") or config["OUTBOX_DIR"]
    mail.init_app(app)


def file_backend_active() -> bool:
    return current_app.config.get("MAIL_BACKEND") == FILE_BACKEND


class EmlEmailBackend(BaseEmailBackend):
    """Writes each message to its own ``.eml`` file (readable by any mail program) in the outbox."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(file_path or self.mailman.file_path)

    def send_messages(self, email_messages):
        self.path.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(6)}.eml"
            temporary = self.path / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes())
            os.replace(temporary, self.path / name)  # a reader never sees half a file
        return len(email_messages)


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    date: datetime | None
    to: str
    subject: str


def _outbox() -> Path:
    return Path(current_app.config["OUTBOX_DIR"])


def _parse(path: Path) -> ParsedMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)  # type: ignore[return-value]


def _date(message: ParsedMessage) -> datetime | None:
    try:
        return parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None


def outbox_entries(limit: int = 200) -> list[OutboxEntry]:
    """The newest ``.eml`` files of the outbox (date, to, subject), newest first."""
    folder = _outbox()
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if EML_NAME.match(p.name)), reverse=True)[:limit]
    entries = []
    for name in names:
        message = _parse(folder / name)
        entries.append(
            OutboxEntry(name, _date(message), str(message["To"] or ""), str(message["Subject"] or ""))
        )
    return entries


@dataclass(frozen=True)
class OutboxMessage:
    entry: OutboxEntry
    sender: str
    text: str
    attachments: list[str]


def read_outbox(name: str) -> OutboxMessage | None:
    """One ``.eml`` of the outbox by its file name (None when not a name of ours or not there)."""
    if not EML_NAME.match(name):
        return None
    path = _outbox() / name
    if not path.is_file():
        return None
    message = _parse(path)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    attachments = [part.get_filename() or "" for part in message.iter_attachments()]
    entry = OutboxEntry(name, _date(message), str(message["To"] or ""), str(message["Subject"] or ""))
    return OutboxMessage(entry, str(message["From"] or ""), text, attachments)
