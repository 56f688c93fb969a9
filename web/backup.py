"""Backups a coordinator can trust: taken while the app runs, checked, and restorable.

SQLite: the online backup API copies one consistent snapshot of the database (in WAL mode
writers go on meanwhile) into a new file that is 0600 from the start, checks it with
``PRAGMA integrity_check`` and only then moves it into place, so a half-written backup never
sits under the backup's name. Restoring checks the backup the same way and copies it into the
database through SQLite itself (which also clears a stale -wal). PostgreSQL: ``pg_dump`` in
its custom format, and ``pg_restore --clean``. Stop the server before a restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from .files import PRIVATE, sqlite_path


class BackupError(Exception):
    """A backup or restore that did not happen, with the reason."""


def integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a SQLite file: "ok" or the problems it lists."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        connection.close()
    return "; ".join(str(r[0]) for r in rows)


def _private_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))


def backup(url: str, target: Path) -> str:
    """Write a backup of the database at ``url`` to ``target``; answers what was done."""
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    database = sqlite_path(url)
    if database is not None:
        if not database.exists():
            raise BackupError(f"there is no database at {database}")
        partial = target.with_name(target.name + ".partial")
        _private_file(partial)
        source = sqlite3.connect(database, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
        finally:
            copy.close()
            source.close()
        verdict = integrity(partial)
        if verdict != "ok":
            partial.unlink(missing_ok=True)
            raise BackupError(f"the backup failed its integrity check: {verdict}")
        partial.replace(target)
        return f"SQLite backup written to {target} (integrity ok)"
    if url.startswith("postgres"):
        _private_file(target)
        _pg("pg_dump", "--format=custom", "--no-owner", f"--file={target}",
            f"--dbname={_libpq(url)}")
        return f"PostgreSQL backup (pg_dump, custom format) written to {target}"
    raise BackupError(f"backups of {url.split(':', 1)[0]} databases are not supported")


def restore(url: str, source: Path) -> str:
    """Replace the database at ``url`` with the backup ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    database = sqlite_path(url)
    if database is not None:
        verdict = integrity(source)
        if verdict != "ok":
            raise BackupError(f"the backup is damaged (integrity check: {verdict}); "
                              "nothing was restored")
        database.parent.mkdir(parents=True, exist_ok=True)
        if not database.exists():
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE))
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(database, timeout=30)
        try:
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        verdict = integrity(database)
        if verdict != "ok":
            raise BackupError(f"the restored database failed its integrity check: {verdict}")
        return f"SQLite database {database} restored from {source} (integrity ok)"
    if url.startswith("postgres"):
        _pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            f"--dbname={_libpq(url)}", str(source))
        return f"PostgreSQL database restored from {source}"
    raise BackupError(f"restoring {url.split(':', 1)[0]} databases is not supported")


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no "+psycopg" driver part)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def _pg(tool: str, *args: str) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run([program, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")
