"""The submissions journal: SQLite in the app's data folder, with a schema version and migrations.

Every submission, every SubmitJob request it will send (`items`), and the last known status of the
rows' jobs (`units`). Thread-safe: one connection behind a lock, WAL so readers don't wait. The file
carries its layout version in `PRAGMA user_version`; opening an older file migrates it in place.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchgui.services.sqlite_files import open_versioned

INSERT_BATCH = 2000

# Version 1: the layout the journal had before it carried a version (user_version 0 then).
_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_sha256 TEXT NOT NULL,
    s3_uri TEXT NOT NULL,
    mode TEXT NOT NULL,
    queue TEXT NOT NULL,
    definition TEXT NOT NULL,
    job_name TEXT NOT NULL,
    name_prefix TEXT NOT NULL,
    rows INTEGER NOT NULL,
    rows_per_child INTEGER NOT NULL,
    connection TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    results_table TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS items (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    array_size INTEGER,
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
CREATE INDEX IF NOT EXISTS items_state ON items (submission_id, state);
CREATE TABLE IF NOT EXISTS units (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    log_stream TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq, idx)
);
"""


# Each entry takes the file from the version before it to its own number.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, _SCHEMA_V1),
    (
        2,
        """
        ALTER TABLE submissions ADD COLUMN changes TEXT NOT NULL DEFAULT '';
        CREATE TABLE IF NOT EXISTS choices (
            connection TEXT PRIMARY KEY,
            queue TEXT NOT NULL,
            definition TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _newer(found: int, latest: int) -> Exception:
    return RuntimeError(
        f"the submissions journal {found} is newer than this app knows ({latest}): update the app"
    )


class ItemState:
    PENDING = "pending"
    SENDING = "sending"
    SUBMITTED = "submitted"
    FAILED = "failed"


class SubmissionState:
    READY = "ready"
    SUBMITTING = "submitting"
    INTERRUPTED = "interrupted"
    SUBMITTED = "submitted"
    DRY_RUN = "dry run"


@dataclass(frozen=True)
class Submission:
    id: str
    created_at: float
    file_path: str
    file_size: int
    file_sha256: str
    s3_uri: str
    mode: str
    queue: str
    definition: str
    job_name: str
    name_prefix: str
    rows: int
    rows_per_child: int
    connection: str
    parent_id: str
    state: str
    results_table: str
    message: str
    changes: str = ""  # a resubmission: what it changed, as JSON (parameters, overrides, definition)
    counts: dict[str, int] = field(default_factory=dict)  # item state -> count
    statuses: dict[str, int] = field(default_factory=dict)  # job status -> count (last refresh)

    @property
    def submitted(self) -> int:
        return self.counts.get(ItemState.SUBMITTED, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def resumable(self) -> bool:
        """Resume has something to send: requests not sent yet (refused ones are not sent again)."""
        unsent = self.counts.get(ItemState.PENDING, 0) + self.counts.get(ItemState.SENDING, 0)
        return self.state != SubmissionState.DRY_RUN and unsent > 0


@dataclass(frozen=True)
class Unit:
    """One job or array child of a submission, with the rows it covers and its last known status."""

    submission_id: str
    seq: int
    index: int  # array index, -1 for a plain job
    job_id: str
    first_row: int
    row_count: int
    status: str
    exit_code: int | None = None
    reason: str = ""
    log_stream: str = ""

    @property
    def key(self) -> str:
        return f"{self.seq}:{self.index}"

    @property
    def rows_text(self) -> str:
        if self.row_count <= 1:
            return str(self.first_row)
        return f"{self.first_row}-{self.first_row + self.row_count - 1}"


class Journal:
    """The SQLite journal; thread-safe (one connection behind a lock; WAL so readers don't wait)."""

    def __init__(self, path: Path) -> None:
        # Nothing touches the disk here: the file is opened (and its schema made) on first use, which
        # is always on a runner thread, so building the application never waits for the disk.
        self.path = path
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened on first use (callers hold the lock or run before anyone shares it)."""
        with self._lock:
            if self._connection is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = open_versioned(self.path, MIGRATIONS, _newer)
            return self._connection

    @property
    def opened(self) -> bool:
        return self._connection is not None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- writing ------------------------------------------------------------------------------
    def create(self, sub: Submission, items: Iterable[tuple[int, int, int, str, dict[str, Any]]]) -> int:
        """Store a submission and its items (seq, first_row, row_count, job_name, request), atomically."""
        count = 0
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        sub.id,
                        sub.created_at,
                        sub.file_path,
                        sub.file_size,
                        sub.file_sha256,
                        sub.s3_uri,
                        sub.mode,
                        sub.queue,
                        sub.definition,
                        sub.job_name,
                        sub.name_prefix,
                        sub.rows,
                        sub.rows_per_child,
                        sub.connection,
                        sub.parent_id,
                        sub.state,
                        sub.results_table,
                        sub.message,
                        sub.changes,
                    ),
                )
                batch: list[tuple[Any, ...]] = []
                for seq, first, rows, name, request in items:
                    size = (request.get("arrayProperties") or {}).get("size")
                    batch.append(
                        (sub.id, seq, first, rows, name, json.dumps(request), ItemState.PENDING, size, now)
                    )
                    count += 1
                    if len(batch) >= INSERT_BATCH:
                        self._insert_items(batch)
                        batch = []
                self._insert_items(batch)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return count

    def _insert_items(self, batch: list[tuple[Any, ...]]) -> None:
        self._db.executemany(
            "INSERT INTO items (submission_id, seq, first_row, row_count, job_name, request, state, "
            "array_size, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            batch,
        )

    def set_item(self, submission_id: str, seq: int, state: str, job_id: str = "", error: str = "") -> None:
        self._exec(
            "UPDATE items SET state=?, job_id=?, error=?, updated_at=? WHERE submission_id=? AND seq=?",
            (state, job_id, error, time.time(), submission_id, seq),
        )

    def set_state(self, submission_id: str, state: str, message: str = "") -> None:
        self._exec("UPDATE submissions SET state=?, message=? WHERE id=?", (state, message, submission_id))

    def save_units(self, units: Sequence[Unit]) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        u.submission_id,
                        u.seq,
                        u.index,
                        u.job_id,
                        u.first_row,
                        u.row_count,
                        u.status,
                        u.exit_code,
                        u.reason,
                        u.log_stream,
                        now,
                    )
                    for u in units
                ],
            )
            self._db.execute("COMMIT")

    # --- reading ------------------------------------------------------------------------------
    def submissions(self) -> list[Submission]:
        rows = self._exec("SELECT * FROM submissions ORDER BY created_at DESC")
        counts: dict[str, dict[str, int]] = {}
        for sid, state, n in self._exec("SELECT submission_id, state, COUNT(*) FROM items GROUP BY 1, 2"):
            counts.setdefault(sid, {})[state] = n
        statuses: dict[str, dict[str, int]] = {}
        for sid, status, n in self._exec(
            "SELECT submission_id, status, SUM(row_count) FROM units GROUP BY 1, 2"
        ):
            statuses.setdefault(sid, {})[status] = n
        names = [f for f in Submission.__dataclass_fields__ if f not in ("counts", "statuses")]
        return [
            Submission(
                **dict(zip(names, r, strict=True)),
                counts=counts.get(r[0], {}),
                statuses=statuses.get(r[0], {}),
            )
            for r in rows
        ]

    def remember_choice(self, connection: str, queue: str, definition: str) -> None:
        """The queue and definition last submitted to on `connection` (proposed next time)."""
        self._exec(
            "INSERT OR REPLACE INTO choices VALUES (?,?,?,?)", (connection, queue, definition, time.time())
        )

    def last_choice(self, connection: str) -> tuple[str, str] | None:
        rows = self._exec("SELECT queue, definition FROM choices WHERE connection=?", (connection,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def family(self, submission_id: str) -> list[str]:
        """The submission, the ones it resubmits and those resubmitting it: oldest first."""
        parents = dict(self._exec("SELECT id, parent_id FROM submissions"))
        root = submission_id
        while parents.get(root):
            root = parents[root]
        found, todo = [], [root]
        while todo:
            current = todo.pop(0)
            found.append(current)
            todo.extend(sorted(i for i, p in parents.items() if p == current))
        return found

    def row_history(self, submission_id: str, row: int) -> list[tuple[Submission, Unit]]:
        """Every attempt at data row `row` across the submission's resubmissions, oldest first."""
        family = self.family(submission_id)
        subs = {s.id: s for s in self.submissions() if s.id in family}
        marks = ",".join("?" for _ in family)
        rows = self._exec(
            "SELECT submission_id, seq, idx, job_id, first_row, row_count, status, exit_code, reason, "
            f"log_stream FROM units WHERE submission_id IN ({marks}) AND first_row <= ? "
            "AND first_row + row_count > ?",
            (*family, row, row),
        )
        units = [Unit(*r) for r in rows]
        units.sort(key=lambda u: (subs[u.submission_id].created_at, u.seq, u.index))
        return [(subs[u.submission_id], u) for u in units]

    def submission(self, submission_id: str) -> Submission:
        for sub in self.submissions():
            if sub.id == submission_id:
                return sub
        raise KeyError(submission_id)

    def items(self, submission_id: str, states: Sequence[str] | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT seq, first_row, row_count, job_name, request, state, job_id, error, array_size "
            "FROM items WHERE submission_id=?"
        )
        args: list[Any] = [submission_id]
        if states:
            sql += f" AND state IN ({','.join('?' for _ in states)})"
            args.extend(states)
        sql += " ORDER BY seq"
        names = ("seq", "first_row", "row_count", "job_name", "request", "state", "job_id", "error", "size")
        return [dict(zip(names, row, strict=True)) for row in self._exec(sql, args)]

    def item_state(self, submission_id: str, seq: int) -> str:
        rows = self._exec("SELECT state FROM items WHERE submission_id=? AND seq=?", (submission_id, seq))
        return str(rows[0][0]) if rows else ""

    def job_ids(self, submission_id: str) -> list[str]:
        rows = self._exec(
            "SELECT job_id FROM items WHERE submission_id=? AND job_id != '' ORDER BY seq", (submission_id,)
        )
        return [r[0] for r in rows]

    def units(self, submission_id: str) -> list[Unit]:
        rows = self._exec(
            "SELECT submission_id, seq, idx, job_id, first_row, row_count, status, exit_code, reason, "
            "log_stream FROM units WHERE submission_id=? ORDER BY first_row, idx",
            (submission_id,),
        )
        return [Unit(*r) for r in rows]
