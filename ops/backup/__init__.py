"""Backups that restore the whole installation: the database, every uploaded file and a manifest.

An archive (``.tar`` or ``.tar.gz``) holds::

    manifest.json         versions, migration head, dialect, row counts per table, every file's SHA-256
    manifest.sha256       the SHA-256 of manifest.json (so no byte of the manifest can change unseen)
    database/ops.sqlite3  SQLite: an online copy made in one step by the sqlite3 backup API
    database/ops.pgdump   PostgreSQL: ``pg_dump --format=custom``
    uploads/<name>        every stored upload
    keys.enc              only with --with-keys: the secrets, Fernet-encrypted under a scrypt-derived key

Consistent under load: the upload folder's lock (``ops.uploads.removal_lock``) is held while the
database snapshot is taken and every stored file is hard-linked into a staging folder. A file
referenced by a committed row exists on disk (uploads are written to a temporary name and renamed
before the row commits), and a file is removed only after the commit that stops referencing it,
under the same lock; so every file the snapshot references is in the staging folder.

Nothing here reads ``current_app``: the CLI (``ops/backup_cli.py``) passes what is needed.

The package: ``common`` (format names, BackupError, file helpers), ``keys`` (the encrypted
secrets), ``database`` (snapshots, restoring the database copy, pg tools), ``archive`` (writing and
checking archives), ``restore`` and ``retention``. Everything public is re-exported here, so
``from ops import backup as bk`` keeps working.
"""

from ops.backup.archive import BackupResult, Extracted, create_backup, extract_archive
from ops.backup.common import (
    DB_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    KEYS,
    MANIFEST,
    MANIFEST_SUM,
    MIN_PASSPHRASE,
    REFERENCES,
    SCRYPT,
    UPLOADS,
    BackupError,
    archive_mode,
    sha256_file,
    stored_files,
)
from ops.backup.database import (
    Snapshot,
    count_rows,
    dialect_of,
    find_tool,
    libpq_url,
    migration_head,
    referenced_files,
    temporary_postgres_database,
    user_tables,
)
from ops.backup.keys import decrypt_secrets, encrypt_secrets
from ops.backup.restore import restore, restore_database, restore_files, target_problems, undo_restore
from ops.backup.retention import ROTATED, backups_to_keep, prune, rotated_name

__all__ = [
    "DB_MEMBER",
    "FORMAT",
    "FORMAT_VERSION",
    "KEYS",
    "MANIFEST",
    "MANIFEST_SUM",
    "MIN_PASSPHRASE",
    "REFERENCES",
    "ROTATED",
    "SCRYPT",
    "UPLOADS",
    "BackupError",
    "BackupResult",
    "Extracted",
    "Snapshot",
    "archive_mode",
    "backups_to_keep",
    "count_rows",
    "create_backup",
    "decrypt_secrets",
    "dialect_of",
    "encrypt_secrets",
    "extract_archive",
    "find_tool",
    "libpq_url",
    "migration_head",
    "prune",
    "referenced_files",
    "restore",
    "restore_database",
    "restore_files",
    "rotated_name",
    "sha256_file",
    "stored_files",
    "target_problems",
    "temporary_postgres_database",
    "undo_restore",
    "user_tables",
]
