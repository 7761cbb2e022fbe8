"""Document downloads: one way to send a file, never stored by a browser or a proxy cache.

Every download route (PDFs, signed contracts, materials, ZIPs, CSV exports) answers through
``send_document``: ``Cache-Control: no-store, private`` (a shared computer or a proxy keeps no copy
of an invoice or a contract) and a Chinese file name that survives every browser (RFC 6266/5987:
an ASCII ``filename`` fallback and the UTF-8 ``filename*``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import send_file
from flask.wrappers import Response

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
