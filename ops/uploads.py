"""Uploaded files: allow-listed types checked by content, a size limit, random stored names
outside the web root, and downloads only as attachments through authorised routes.

A refused upload writes nothing: the bytes are checked in memory first, then written to a
temporary file in the upload folder and renamed into place.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import secrets
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from ops.errors import ServiceError

# kind -> (extensions, label)
KINDS = {
    "pdf": ({".pdf"}, "PDF"),
    "word": ({".docx", ".doc"}, "Word"),
    "excel": ({".xlsx", ".xls"}, "Excel"),
    "powerpoint": ({".pptx", ".ppt"}, "PowerPoint"),
    "image": ({".png", ".jpg", ".jpeg", ".gif", ".webp"}, _l("图片")),
    "text": ({".txt", ".md"}, _l("文本")),
    "csv": ({".csv"}, "CSV"),
}
DOCUMENT_KINDS = frozenset(KINDS)
MIME = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ppt": "application/vnd.ms-powerpoint",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".csv": "text/csv",
}
OOXML_PREFIX = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


class UploadError(ServiceError):
    """A refused upload; the message is for the user."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str  # random, what is on disk
    original_name: str  # as the user named it (display only, never a path)
    size: int
    sha256: str
    extension: str
    mimetype: str


def safe_display_name(filename: str | None) -> str:
    """The last path component of a user's file name, without control characters (display only)."""
    name = (filename or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "file"


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def detect_matches(data: bytes, extension: str) -> bool:
    """Do the bytes really hold what the extension claims?"""
    if extension == ".pdf":
        return data[:1024].lstrip().startswith(b"%PDF-")
    if extension == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if extension == ".gif":
        return data[:6] in (b"GIF87a", b"GIF89a")
    if extension == ".webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if extension in (".doc", ".xls", ".ppt"):
        return data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    if extension in OOXML_PREFIX:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return False
        return "[Content_Types].xml" in names and any(n.startswith(OOXML_PREFIX[extension]) for n in names)
    if extension in (".txt", ".md", ".csv"):
        return _looks_like_text(data)
    return False


def check_upload(filename: str | None, data: bytes, kinds: frozenset[str] | set[str], max_bytes: int) -> str:
    """Validate name, size and content; return the extension. Raises UploadError (Chinese)."""
    if filename and ("/" in filename or "\\" in filename or "\x00" in filename):
        # Browsers send a bare file name; a path ("../x.pdf") is a crafted request.
        raise UploadError(_("文件名不能包含路径（如“/”“\\”“..”），请重命名后再上传。"))
    name = safe_display_name(filename)
    extension = Path(name).suffix.lower()
    allowed = {ext for kind in kinds for ext in KINDS[kind][0]}
    labels = "、".join(str(KINDS[k][1]) for k in sorted(kinds))
    if not data:
        raise UploadError(_("请选择要上传的文件（文件不能为空）。"))
    if extension not in allowed:
        raise UploadError(
            _("不支持的文件类型“%(ext)s”，只接受：%(labels)s。", ext=extension or "?", labels=labels)
        )
    if len(data) > max_bytes:
        raise UploadError(
            _(
                "文件太大（%(size)s MB），上限为 %(limit)s MB。",
                size=f"{len(data) / 1048576:.1f}",
                limit=f"{max_bytes / 1048576:.0f}",
            )
        )
    if not detect_matches(data, extension):
        raise UploadError(
            _("文件内容与扩展名“%(ext)s”不符，可能是改了扩展名的其他文件，未保存。", ext=extension)
        )
    return extension


def upload_limit_bytes() -> int:
    """The one upload limit (``OPS_MAX_UPLOAD_MB``, 20 MB by default) every upload form states and checks."""
    return int(current_app.config["MAX_CONTENT_LENGTH"])


# A form field's help text stating the limit, read when the form is shown (so it follows the setting).
LIMIT_HELP = LazyString(lambda: _("文件不超过 %(mb)s MB。", mb=f"{upload_limit_bytes() / 1048576:g}"))


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(file_storage, kinds, max_bytes: int | None = None) -> StoredFile:
    """Check and store an uploaded file (werkzeug FileStorage). Nothing is written when refused."""
    if file_storage is None:
        raise UploadError(_("请选择要上传的文件。"))
    limit = max_bytes or upload_limit_bytes()
    data = file_storage.read(limit + 1)
    return store_bytes(file_storage.filename, data, kinds, limit)


def store_bytes(filename: str | None, data: bytes, kinds, max_bytes: int) -> StoredFile:
    extension = check_upload(filename, data, frozenset(kinds), max_bytes)
    stored_name = secrets.token_hex(16) + extension
    folder = upload_dir()
    temporary = folder / f".{stored_name}.part"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / stored_name)
    _pending(db_session_info(), "remove_after_rollback").append(stored_name)
    return StoredFile(
        stored_name=stored_name,
        original_name=safe_display_name(filename),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        extension=extension,
        mimetype=MIME.get(extension, "application/octet-stream"),
    )


def stored_path(stored_name: str) -> Path:
    """The path of a stored file; refuses anything that is not a plain stored name."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise FileNotFoundError(stored_name)
    path = upload_dir() / stored_name
    if not path.is_file():
        raise FileNotFoundError(stored_name)
    return path


def send_stored(stored_name: str, download_name: str, mimetype: str | None = None):
    """A download response for a stored file, always as an attachment."""
    from ops.web import send_document

    path = stored_path(stored_name)
    return send_document(path, download_name, mimetype or MIME.get(path.suffix, "application/octet-stream"))


def remove_stored(stored_name: str | None) -> None:
    if stored_name:
        stored_path(stored_name).unlink(missing_ok=True)


LOCK_NAME = ".backup.lock"


@contextmanager
def removal_lock(folder: Path, exclusive: bool = False):
    """The upload folder's lock: removals of committed files hold it shared, a backup holds it
    exclusively while it takes its database snapshot and links the files (ops/backup/archive.py), so a file
    the snapshot refers to cannot vanish before the backup has it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# A stored file belongs to the transaction that records it: rolled back, the file goes too;
# a file a committed change replaced is removed after the commit.


def db_session_info() -> dict:
    from ops.extensions import db

    return db.session.info


def _pending(info: dict, key: str) -> list:
    return info.setdefault(key, [])


def remove_after_commit(stored_name: str) -> None:
    _pending(db_session_info(), "remove_after_commit").append(stored_name)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    session.info.pop("remove_after_rollback", None)
    names = session.info.pop("remove_after_commit", [])
    if names:
        with removal_lock(upload_dir()):
            for name in names:
                remove_stored(name)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("remove_after_commit", None)
    for name in session.info.pop("remove_after_rollback", []):
        remove_stored(name)
