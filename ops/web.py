"""The shared web layer every view is written on.

- ``perform(action, success=…, back=…)``: the one way a view runs a service — commit and flash, or
  roll back and show the refusal on its form field or as a flash (``ops.errors.ServiceError``).
- ``flash_form_errors(form)``, ``paginate(stmt)``, ``label(kind, code)`` (translated vocabulary).
- ``send_document(…)``: every download.

Every download route (PDFs, signed contracts, materials, ZIPs, CSV exports) answers through
``send_document``: ``Cache-Control: no-store, private`` (a shared computer or a proxy keeps no copy
of an invoice or a contract) and a Chinese file name that survives every browser (RFC 6266/5987:
an ASCII ``filename`` fallback and the UTF-8 ``filename*``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from flask import current_app, flash, redirect, send_file
from flask.wrappers import Response
from flask_babel import gettext

from ops import vocab
from ops.errors import ServiceError
from ops.extensions import db
from ops.urls import page_arg

NO_STORE = "no-store, private"


def no_store(response: Response) -> Response:
    """Mark a response as never to be stored by any cache."""
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
    response.headers.pop("Expires", None)
    return response


def content_disposition(filename: str, *, as_attachment: bool = True, ascii_name: str | None = None) -> str:
    """``attachment; filename="…"; filename*=UTF-8''…``: the ASCII name for old clients, the real one
    percent-encoded for the rest. ``ascii_name`` defaults to the name's ASCII characters."""
    kind = "attachment" if as_attachment else "inline"
    fallback = ascii_name or "".join(
        c for c in filename if c.isascii() and c.isprintable() and c not in '"\\'
    )
    fallback = fallback.strip() or "download"
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send_document(
    data: bytes | BinaryIO | Path | str,
    filename: str,
    mimetype: str | None = None,
    *,
    as_attachment: bool = True,
    ascii_name: str | None = None,
    etag: str | bool = True,
) -> Response:
    """A download response for bytes, a file object or a path: ``no-store``, a safe Chinese name.

    ``etag`` a string uses that tag (e.g. the document's SHA-256); ``True`` lets Flask compute one
    for a path. Conditional requests and ranges keep working (``send_file``).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = io.BytesIO(bytes(data))
    if not isinstance(data, (str, Path)) and not isinstance(etag, str):
        etag = False  # Flask computes tags from a path only
    response = send_file(
        data,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=filename,
        etag=etag,
        max_age=0,
    )
    response.headers["Content-Disposition"] = content_disposition(
        filename, as_attachment=as_attachment, ascii_name=ascii_name
    )
    return no_store(response)


# --- actions: the one way a view runs a service ------------------------------------------------


def flash_form_errors(form) -> None:
    """Flash every field error as "label：message" (for forms posted from a page that shows no form)."""
    for name, errors in form.errors.items():
        field = getattr(form, name, None)
        text = field.label.text if field is not None and hasattr(field, "label") else name
        for error in errors:
            flash(f"{text}：{error}", "danger")


def _answer(target, *args):
    if callable(target):
        target = target(*args)
    return target if isinstance(target, Response) else redirect(target)


def perform(
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str] | None,
    back: str | Callable[[], Any],
    done: str | Callable[[Any], Any] | None = None,
    form=None,
    render: Callable[[], Any] | None = None,
    refused: Callable[[ServiceError], Any] | None = None,
):
    """Run one service action as the request's unit of work and answer.

    ``form`` (optional) is validated first; an invalid one answers ``render()`` when given, else its
    errors are flashed and the user sent ``back`` (a URL, or a zero-argument function returning one).
    ``action()`` calls the service. On success the session is committed, ``success`` flashed (a string,
    or a function of the action's result) and the user redirected to ``done`` (a URL, or a function of
    the result returning a URL or a response; default ``back``). On a ``ServiceError`` the session is
    rolled back (committed instead when the error says its changes stand, e.g. a quote found expired);
    then ``refused(error)`` answers when given (pages that list several problems), else the message goes
    on the form field it names and the form is re-rendered, or it is flashed and the user gets
    ``render()`` or ``back``.
    """
    if form is not None and not form.validate_on_submit():
        if render is not None:
            return render()
        flash_form_errors(form)
        return _answer(back)
    try:
        result = action()
    except ServiceError as exc:
        if exc.keep_changes:
            db.session.commit()
        else:
            db.session.rollback()
        if refused is not None:
            return refused(exc)
        if render is not None and form is not None and exc.field and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            return render()
        flash(str(exc), exc.category)
        if render is not None and form is not None:
            return render()
        return _answer(back)
    db.session.commit()
    if success:
        flash(success(result) if callable(success) else success, "success")
    return _answer(back if done is None else done, *(() if done is None else (result,)))


def paginate(stmt, per_page: int | None = None, total: int | None = None):
    """One page of ``stmt`` for the ``?page=`` argument (``ops.urls.page_arg``): a Flask-SQLAlchemy
    Pagination; a page past the end is empty, an absurd page number is 404.

    ``total``: the number of rows of ``stmt`` when the view has already counted them (with its own
    aggregate), which saves the count query over every row."""
    page = db.paginate(
        stmt,
        page=page_arg(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        error_out=False,
        count=total is None,
    )
    if total is not None:
        page.total = total  # Flask-SQLAlchemy documents setting it by hand when ``count`` is off
    return page


def label(kind: str, code: str | None) -> str:
    """The translated label of a vocabulary code (``ops.vocab``): ``label("shift", "day")`` → 白班 / Day shift."""
    msgid = vocab.label_msgid(kind, code)
    return gettext(msgid) if msgid else ""
