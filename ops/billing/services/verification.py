"""The public verification of a printed statement: the QR code's URL and what the page may say.

The URL is ``<OPS_PUBLIC_URL>/verify/<number>?c=<code>`` where the code is the first 16 hex digits of
HMAC-SHA256(app secret key, "<number>|<total_fen>"): not guessable without the key, so the page
answers only for a number printed on a document we issued (no enumeration of numbers). Rotating
the secret key invalidates printed codes (rotation-safe codes are not needed).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from ops.billing.models import CreditNote, Invoice
from ops.extensions import db

CODE_LENGTH = 16
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


def verification_code(number: str, total_fen: int) -> str:
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    digest = hmac.new(secret, f"{number}|{total_fen}".encode(), hashlib.sha256).hexdigest()
    return digest[:CODE_LENGTH]


def public_base_url() -> str:
    """OPS_PUBLIC_URL, else the address of the current request, else http://127.0.0.1:5000."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEFAULT_PUBLIC_URL


def verify_url(number: str, total_fen: int) -> str:
    return f"{public_base_url()}/verify/{number}?c={verification_code(number, total_fen)}"


@dataclass(frozen=True)
class Verified:
    """All the public page shows: the number, the issue date, the total and the document's state."""

    number: str
    issued_on: date | None
    total_fen: int
    state: str  # valid / void / credited (an invoice with an issued credit note)
    kind: str  # invoice / credit_note
    pdf_ready: bool = True  # False for the seconds after issue while the queue renders its PDF


def _matches(number: str, total_fen: int, code: str) -> bool:
    return hmac.compare_digest(verification_code(number, total_fen).encode(), code.encode())


def verify(number: str, code: str) -> Verified | None:
    """The facts of an issued invoice or credit note when ``code`` matches; None otherwise (unknown
    number, draft, wrong or missing code — one answer for all)."""
    if not number or not code or len(number) > 20:
        return None
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == number, Invoice.status != "draft"))
    if invoice is not None:
        if not _matches(number, invoice.total_fen, code):
            return None
        if invoice.status == "void":
            state = "void"
        elif any(c.status == "issued" for c in invoice.credit_notes):
            state = "credited"
        else:
            state = "valid"
        return Verified(
            number, invoice.issued_on, invoice.total_fen, state, "invoice", invoice.pdf_sha256 is not None
        )
    note = db.session.scalar(sa.select(CreditNote).where(CreditNote.number == number))
    if note is None or not _matches(number, note.total_fen, code):
        return None
    return Verified(
        number,
        note.issued_on,
        note.total_fen,
        "valid" if note.status == "issued" else "void",
        "credit_note",
        note.pdf_sha256 is not None,
    )
