"""One way to open the app's versioned SQLite files (the submissions journal, the job history).

A file carries its layout in `PRAGMA user_version`; MIGRATIONS are (version, script) pairs, each
taking the file from the version before it to its own. Opening migrates an older file in place, in
one transaction per step; a file of a newer app is refused with the error the caller chooses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

Migrations = Sequence[tuple[int, str]]


def migrate(db: sqlite3.Connection, migrations: Migrations, newer: Callable[[int, int], Exception]) -> int:
    """Bring the file to the last migration's version; returns the version it had."""
    latest = migrations[-1][0]
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > latest:
        raise newer(found, latest)
    for version, script in migrations:
        if version > found:
            db.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return found


def open_versioned(
    path: Path, migrations: Migrations, newer: Callable[[int, int], Exception]
) -> sqlite3.Connection:
    """A connection for worker threads (one lock of the caller's serialises it), WAL with NORMAL
    syncs (a commit survives an app crash, not a power cut), migrated; closed again if that fails."""
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        migrate(db, migrations, newer)
    except BaseException:
        db.close()
        raise
    return db
