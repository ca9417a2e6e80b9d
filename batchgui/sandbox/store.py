"""SQLite storage for the sandbox's Batch and CloudWatch Logs state.

One database file (`DATA_DIR/sandbox.sqlite3`) in WAL mode. All writes go through one connection
guarded by a lock (`Store.write()`), and each API call commits before it answers, so a crash loses
nothing a client was told had happened. Reads use a small pool of read-only connections: WAL lets
them proceed while a write is in progress.

Jobs are rows with the mutable fields as columns (status, timestamps, exit code...) and the
immutable part of the DescribeJobs answer as a JSON `spec` column; array children have no spec
of their own and borrow their parent's. Nothing keeps all jobs in Python memory: 100,000 stored
jobs cost only SQLite's page cache.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS compute_environments (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    transition_at REAL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_queues (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    transition_at REAL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_definitions (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (name, revision)
);
CREATE TABLE IF NOT EXISTS scheduling_policies (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at INTEGER NOT NULL,
    runnable_at INTEGER,
    started_at INTEGER,
    stopped_at INTEGER,
    job_def TEXT NOT NULL,
    child INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT,
    array_index INTEGER,
    array_size INTEGER,
    vcpus REAL NOT NULL,
    memory INTEGER NOT NULL,
    attempts TEXT NOT NULL DEFAULT '[]',
    exit_code INTEGER,
    container_reason TEXT,
    log_stream TEXT,
    task_arn TEXT,
    ce TEXT,
    instance TEXT,
    is_cancelled INTEGER NOT NULL DEFAULT 0,
    is_terminated INTEGER NOT NULL DEFAULT 0,
    pending_deps INTEGER NOT NULL DEFAULT 0,
    spec TEXT
);
CREATE INDEX IF NOT EXISTS jobs_queue_status ON jobs (queue, status, seq, child);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs (parent_id, array_index) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_deps (
    job_id TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    type TEXT,
    PRIMARY KEY (job_id, depends_on)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS job_deps_target ON job_deps (depends_on);
CREATE TABLE IF NOT EXISTS array_summary (
    parent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (parent_id, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_groups (
    name TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    retention INTEGER,
    log_class TEXT NOT NULL DEFAULT 'STANDARD'
);
CREATE TABLE IF NOT EXISTS log_streams (
    id INTEGER PRIMARY KEY,
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    first_ts INTEGER,
    last_ts INTEGER,
    last_ingest INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_name, name)
);
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ingest INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_stream ON log_events (stream_id, id);
"""

TERMINAL = ("SUCCEEDED", "FAILED")
ACTIVE = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


class Store:
    """The sandbox database. Thread-safe: `write()` serialises writers, `read()` pools readers."""

    def __init__(self, path: Path, read_pool: int = 4) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._writer = self._connect()
        self._writer.executescript(SCHEMA)
        columns = {row[1] for row in self._writer.execute("PRAGMA table_info(jobs)")}
        if "share" not in columns:  # fair-share identifier, added after the first schema
            self._writer.execute("ALTER TABLE jobs ADD COLUMN share TEXT")
        self._writer.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        self._writer.commit()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_readers: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._max_readers = read_pool
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a crash of this process (not a power cut) and costs
        # no fsync, which is what lets SubmitJob commit before answering at hundreds of calls/s.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-16000")
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the writer connection, committed on success, rolled back on error."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            with self._reader_lock:
                if self._closed:
                    raise RuntimeError("store closed") from None
                conn = self._connect()
                conn.execute("PRAGMA query_only=ON")
                self._all_readers.append(conn)
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if self._readers.qsize() < self._max_readers:
                self._readers.put(conn)
            else:
                with self._reader_lock:
                    self._all_readers.remove(conn)
                conn.close()

    def meta_get(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_set(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._reader_lock:
            self._closed = True
            readers = list(self._all_readers)
            self._all_readers.clear()
        for conn in readers:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        with self._write_lock:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._writer.close()


def summary_delta(conn: sqlite3.Connection, parent_id: str, old: str | None, new: str) -> None:
    """Keep an array parent's per-status child counts (its statusSummary) in step with a child."""
    if old == new:
        return
    if old is not None:
        conn.execute(
            "UPDATE array_summary SET n = n - 1 WHERE parent_id = ? AND status = ?", (parent_id, old)
        )
    conn.execute(
        "INSERT INTO array_summary (parent_id, status, n) VALUES (?, ?, 1) "
        "ON CONFLICT (parent_id, status) DO UPDATE SET n = n + 1",
        (parent_id, new),
    )


def array_summary(conn: sqlite3.Connection, parent_id: str) -> dict[str, int]:
    counts = dict.fromkeys(
        ("STARTING", "FAILED", "RUNNING", "SUCCEEDED", "RUNNABLE", "SUBMITTED", "PENDING"), 0
    )
    for status, n in conn.execute("SELECT status, n FROM array_summary WHERE parent_id = ?", (parent_id,)):
        counts[str(status)] = int(n)
    return counts
