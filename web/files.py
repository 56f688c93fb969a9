"""Files holding residents' data or secrets are the owner's alone (mode 0600).

SQLite creates its database with the process umask (usually 0644: readable by every local
user) and gives its -wal and -shm files the database file's own mode. So the database file is
made 0600 before SQLite ever opens it, and an existing one (and its -wal/-shm) is narrowed at
start-up; the secret key is written through a descriptor opened 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def protect_database(url: str) -> None:
    """Create the SQLite file 0600 if missing; narrow it and its side files if not."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE))
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            side.chmod(PRIVATE)


def write_private(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to a file that is 0600 from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as handle:
        handle.write(text)
