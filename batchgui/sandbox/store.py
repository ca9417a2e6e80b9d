"""SQLite storage for the sandbox's Batch and CloudWatch Logs state.

One database file (`DATA_DIR/sandbox.sqlite3`) in WAL mode. All writes go through one connection
guarded by a lock (`Store.write()`), and each API call commits before it answers, so a crash loses
nothing a client was told had happened. Reads use a small pool of read-only connections: WAL lets
them proceed while a write is in progress.

Checkpoints (copying the WAL back into the database file, with an fsync) run on a thread of their
own every CHECKPOINT_EVERY_S, on a connection of their own, never inside a commit: SQLite's
automatic checkpoint ran in whichever API call's commit crossed 1000 pages, and cost SubmitJob
about 150 us a call on average. What a commit guarantees is unchanged (WAL with synchronous=NORMAL:
a commit survives a crash of the process, as it is in the WAL before the answer leaves).

Jobs are rows with the mutable fields as columns (status, timestamps, exit code...) and the
immutable part of the DescribeJobs answer as a JSON `spec` column; array children have no spec
of their own and borrow their parent's. Nothing keeps all jobs in Python memory: 100,000 stored
jobs cost only SQLite's page cache.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from batchgui.sandbox import sql

log = logging.getLogger(__name__)

# The database layout this code writes (PRAGMA user_version); `migrate` brings older files to it.
SCHEMA_VERSION: int = max(
    [step for step, *_ in sql.ADDED_COLUMNS]
    + [step for step, _ in (*sql.ADDED_TABLES, *sql.ADDED_INDEXES, *sql.BACKFILLS)]
)

TERMINAL = ("SUCCEEDED", "FAILED")
ACTIVE = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


CHECKPOINT_EVERY_S = 1.0


class Store:
    """The sandbox database. Thread-safe: `write()` serialises writers, `read()` pools readers."""

    def __init__(self, path: Path, read_pool: int = 4) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._writer = self._connect()
        migrate(self._writer)
        self._writer.execute(sql.NO_AUTOCHECKPOINT)
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_readers: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._max_readers = read_pool
        self._closed = False
        self.checkpoints = 0  # checkpoints the thread has run (tests read it)
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(self._connect(),), name="sandbox-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, conn: sqlite3.Connection) -> None:
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_EVERY_S):
                try:
                    conn.execute(sql.CHECKPOINT).fetchall()
                except sqlite3.Error:  # busy or closing: the next round checkpoints
                    log.debug("sandbox checkpoint skipped", exc_info=True)
                    continue
                self.checkpoints += 1
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        for pragma in sql.CONNECTION_PRAGMAS:
            conn.execute(pragma)
        return conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the writer connection, committed on success, rolled back on error."""
        with self._write_lock:
            conn = self._writer
            conn.execute(sql.BEGIN)
            try:
                yield conn
            except BaseException:
                conn.execute(sql.ROLLBACK)
                raise
            conn.execute(sql.COMMIT)

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            with self._reader_lock:
                if self._closed:
                    raise RuntimeError("store closed") from None
                conn = self._connect()
                conn.execute(sql.QUERY_ONLY)
                self._all_readers.append(conn)
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute(sql.ROLLBACK)
            if self._readers.qsize() < self._max_readers:
                self._readers.put(conn)
            else:
                with self._reader_lock:
                    self._all_readers.remove(conn)
                conn.close()

    def meta_get(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute(sql.META_GET, (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_set(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(sql.META_SET, (key, value))

    def close(self) -> None:
        self._stop_checkpoints.set()
        self._checkpointer.join(5.0)
        with self._reader_lock:
            self._closed = True
            readers = list(self._all_readers)
            self._all_readers.clear()
        for conn in readers:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        with self._write_lock:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute(sql.CHECKPOINT)
            self._writer.close()


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to SCHEMA_VERSION, one step at a time, in one transaction.

    Version 0 is a file from before the version was kept: the base tables may exist already
    (CREATE IF NOT EXISTS) and a later column may be there or not, so each step checks first.
    A file newer than this code is refused rather than guessed at.
    """
    version = int(conn.execute(sql.GET_USER_VERSION).fetchone()[0])
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"{conn.execute(sql.DATABASE_FILE).fetchone()[0]} has layout {version}; this sandbox "
            f"knows layouts up to {SCHEMA_VERSION}: use a newer batchgui or another data directory"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute(sql.BEGIN)
    try:
        if version < 1:
            for statement in sql.BASE_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        # Tables first: a later column may belong to a table added after the first layout.
        for step, create in sql.ADDED_TABLES:
            if version < step:
                conn.execute(create)
        for step, table, column, declaration in sql.ADDED_COLUMNS:
            if version < step:
                columns = {row[0] for row in conn.execute(sql.TABLE_COLUMNS, (table,))}
                if column not in columns:
                    conn.execute(sql.add_column(table, column, declaration))
        for step, statement in (*sql.ADDED_INDEXES, *sql.BACKFILLS):
            if version < step:
                conn.execute(statement)
        conn.execute(sql.META_SET_DEFAULT, ("schema_version", str(SCHEMA_VERSION)))
        conn.execute(sql.SET_USER_VERSION.format(version=SCHEMA_VERSION))
    except BaseException:
        conn.execute(sql.ROLLBACK)
        raise
    conn.execute(sql.COMMIT)


def summary_delta(conn: sqlite3.Connection, parent_id: str, old: str | None, new: str) -> None:
    """Keep an array parent's per-status child counts (its statusSummary) in step with a child."""
    if old == new:
        return
    if old is not None:
        conn.execute(sql.SUMMARY_DECREMENT, (parent_id, old))
    conn.execute(sql.SUMMARY_INCREMENT, (parent_id, new))


def array_summary(conn: sqlite3.Connection, parent_id: str) -> dict[str, int]:
    counts = dict.fromkeys(
        ("STARTING", "FAILED", "RUNNING", "SUCCEEDED", "RUNNABLE", "SUBMITTED", "PENDING"), 0
    )
    for status, n in conn.execute(sql.SUMMARY_OF, (parent_id,)):
        counts[str(status)] = int(n)
    return counts
