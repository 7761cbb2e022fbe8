"""The archive format's names and limits, the one error, and small file helpers."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

FORMAT = "ops-backup"


FORMAT_VERSION = 1


MANIFEST = "manifest.json"


MANIFEST_SUM = "manifest.sha256"


KEYS = "keys.enc"


DB_MEMBER = {"sqlite": "database/ops.sqlite3", "postgresql": "database/ops.pgdump"}


UPLOADS = "uploads/"


# The columns that name a stored upload (ops.uploads.store_upload's stored_name).
REFERENCES = (("contracts", "signed_file"), ("material_versions", "stored_file"))


SCRYPT = {"n": 2**15, "r": 8, "p": 1}


MIN_PASSPHRASE = 12


_STORED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup, restore or check cannot go on; the message says why (for the operator)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_files(folder: Path) -> list[str]:
    """The stored uploads in a folder: plain files whose names do not start with a dot
    (``.name.part`` is an upload being written, ``.backup.lock`` the lock)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if _STORED_NAME.match(p.name) and p.is_file())


def archive_mode(path: Path, write: bool) -> str:
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "w:gz" if write else "r:gz"
    if name.endswith(".tar"):
        return "w" if write else "r:"
    raise BackupError("备份文件名须以 .tar.gz、.tgz 或 .tar 结尾。")
