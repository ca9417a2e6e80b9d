"""The local history of a connection's jobs: finished jobs per queue on disk (one SQLite file per
connection), so reopening a queue shows them at once and lists only what is new.

A finished job (SUCCEEDED, FAILED) no longer changes, so once listed it need not be listed again.
A sync of a queue records:
- its finished jobs (`jobs`);
- the jobs that were active then, as last seen (`active`): shown at once too, marked by the caller
  as not yet current, and described on the next sync if no active list has them any more (a job
  that finished while the app was closed shows how it ended);
- when it happened and the newest creation time seen (`syncs`): the next sync lists finished jobs
  created since then (ListJobs AFTER_CREATED_AT) instead of every page again.

Called on the runner's worker threads (never on the GUI thread); one connection serialised by a
lock. The file carries its layout in `PRAGMA user_version` and older layouts are migrated in place.
A file that is not a readable database is moved aside (`*.corrupt-<time>`), with a message saying
so, and a new one started: only the history is lost, and it is rebuilt by the next listing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionSpec
from batchgui.services.sample_store import store_path
from batchgui.services.sqlite_files import open_versioned

# The stored fields, in JobSummary's order but for its queue (bound in when read), with their SQL
# types: the one list the inserts, the reads and the row tuples are made from.
_STORED = (
    ("job_id", "TEXT NOT NULL"),
    ("name", "TEXT NOT NULL"),
    ("status", "TEXT NOT NULL"),
    ("job_arn", "TEXT NOT NULL"),
    ("status_reason", "TEXT NOT NULL"),
    ("job_definition", "TEXT NOT NULL"),
    ("created_at", "INTEGER"),
    ("started_at", "INTEGER"),
    ("stopped_at", "INTEGER"),
    ("exit_code", "INTEGER"),
    ("array_size", "INTEGER"),
    ("array_index", "INTEGER"),
    ("num_nodes", "INTEGER"),
    ("is_main_node", "INTEGER NOT NULL DEFAULT 0"),
)
_FIELDS = ", ".join(name for name, _type in _STORED)
# The table layout of versions 1 and 2, as they were written (a migration never changes).
_COLUMNS_V1 = (
    "job_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, job_arn TEXT NOT NULL, "
    "status_reason TEXT NOT NULL, job_definition TEXT NOT NULL, created_at INTEGER, "
    "started_at INTEGER, stopped_at INTEGER, exit_code INTEGER, array_size INTEGER, array_index INTEGER"
)
# Each entry takes the file from the version before it to its own number.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    # Version 1: finished jobs and one sync time per queue.
    (
        1,
        f"""
        CREATE TABLE IF NOT EXISTS jobs (queue TEXT NOT NULL, {_COLUMNS_V1}, PRIMARY KEY (queue, job_id));
        CREATE TABLE IF NOT EXISTS syncs (queue TEXT PRIMARY KEY, synced_at_ms INTEGER NOT NULL,
            newest_created_ms INTEGER);
        """,
    ),
    # Version 2: the jobs active at the last sync, so one that finished while the app was closed
    # is described on reopen instead of being lost between the two listings.
    (
        2,
        "CREATE TABLE IF NOT EXISTS active "
        f"(queue TEXT NOT NULL, {_COLUMNS_V1}, PRIMARY KEY (queue, job_id));",
    ),
    # Version 3: a multi-node job's node count and a node's main-node mark, so a finished multi-node
    # job shown from the history still expands into its nodes.
    (
        3,
        "".join(
            f"ALTER TABLE {table} ADD COLUMN {name} {kind};\n"
            for table in ("jobs", "active")
            for name, kind in (("num_nodes", "INTEGER"), ("is_main_node", "INTEGER NOT NULL DEFAULT 0"))
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def history_path(data_dir: Path, spec: ConnectionSpec) -> Path:
    """The history file of one connection (named like the monitor's file of it)."""
    return data_dir / "jobs-history" / store_path(data_dir, spec).name


@dataclass(frozen=True)
class QueueHistory:
    """What the history holds of one queue."""

    finished: list[JobSummary]
    active: list[JobSummary]
    synced_at_ms: int | None = None
    newest_created_ms: int | None = None

    @property
    def synced(self) -> bool:
        return self.synced_at_ms is not None


# The columns in JobSummary's field order (the queue is bound in): rows become summaries positionally.
_READ_COLUMNS = [name for name, _type in _STORED]
_READ_COLUMNS.insert(_READ_COLUMNS.index("job_definition"), "? AS queue")
_READ = f"SELECT {', '.join(_READ_COLUMNS)} FROM {{table}} WHERE queue = ? ORDER BY rowid"
_STATUSES = {status.value: status for status in JobStatus}


def _summaries(db: sqlite3.Connection, table: str, queue: str) -> list[JobSummary]:
    """One table's jobs of a queue (one positional call per row: 100,000 rows read quickly)."""
    statuses = _STATUSES
    return [
        # is_main_node comes back as 0/1, which compares equal to False/True.
        JobSummary(row[0], row[1], statuses[row[2]], *row[3:])
        for row in db.execute(_READ.format(table=table), (queue, queue))
    ]


def _values(queue: str, job: JobSummary) -> tuple[object, ...]:
    values: list[object] = [queue]
    for name, _type in _STORED:
        value = getattr(job, name)
        values.append(value.value if name == "status" else value)
    return tuple(values)


def _newer(found: int, latest: int) -> Exception:
    return sqlite3.DatabaseError(f"its layout {found} is newer than this app knows ({latest})")


class JobHistory:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Said once to the person when the file had to be set aside ("" when all was well).
        self.problem = ""
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as error:
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            path.replace(aside)
            for suffix in ("-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            self.problem = (
                f"The local job history could not be read ({error}); it was moved to {aside.name} and "
                "a new one started. Jobs are listed from AWS again; nothing else was affected."
            )
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = open_versioned(self.path, MIGRATIONS, _newer)
        try:
            db.execute("SELECT count(*) FROM jobs").fetchone()  # a damaged file fails here, not later
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @property
    def version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def read(self, queue: str) -> QueueHistory:
        with self._lock:
            db = self._db
            finished = _summaries(db, "jobs", queue)
            active = _summaries(db, "active", queue)
            synced_at, newest = self._last_sync(queue)
        return QueueHistory(finished, active, synced_at, newest)

    def last_sync(self, queue: str) -> tuple[int | None, int | None]:
        """When the queue was last synced and the newest creation time seen then (epoch ms; None,
        None before the first sync): one small read, so a sync's listing can start before the
        jobs are read."""
        with self._lock:
            return self._last_sync(queue)

    def _last_sync(self, queue: str) -> tuple[int | None, int | None]:
        sync = self._db.execute(
            "SELECT synced_at_ms, newest_created_ms FROM syncs WHERE queue = ?", (queue,)
        ).fetchone()
        if sync is None:
            return None, None
        return int(sync[0]), None if sync[1] is None else int(sync[1])

    def record(
        self,
        queue: str,
        finished: Iterable[JobSummary],
        active: Iterable[JobSummary],
        synced_at_ms: int,
        newest_created_ms: int | None,
    ) -> None:
        """One sync of a queue: new finished jobs added, the active ones replaced, the time noted."""
        holes = ", ".join("?" * (len(_STORED) + 1))
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    f"INSERT OR REPLACE INTO jobs (queue, {_FIELDS}) VALUES ({holes})",
                    (_values(queue, job) for job in finished),
                )
                db.execute("DELETE FROM active WHERE queue = ?", (queue,))
                db.executemany(
                    f"INSERT OR REPLACE INTO active (queue, {_FIELDS}) VALUES ({holes})",
                    (_values(queue, job) for job in active),
                )
                db.execute(
                    "INSERT OR REPLACE INTO syncs (queue, synced_at_ms, newest_created_ms) VALUES (?, ?, ?)",
                    (queue, synced_at_ms, newest_created_ms),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
