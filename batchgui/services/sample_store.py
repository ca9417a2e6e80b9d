"""Monitoring history on disk: one SQLite file per connection, the last 24 hours, kept across restarts.

Called on the runner's worker threads (never on the GUI thread): `await runner.run(store.append, s)`.
One connection object shared by those threads, serialised by a lock.
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
import threading
from pathlib import Path

from batchgui.domain.batch import Platform
from batchgui.domain.connection import ConnectionKind, ConnectionSpec
from batchgui.domain.history import HISTORY_S
from batchgui.domain.samples import QUEUE_FIELDS, CapacitySample, QueueSample, Sample

SCHEMA_VERSION = 1
# Prune old rows every this many appends (pruning on every append would rewrite the index each tick).
PRUNE_EVERY = 120


def store_path(data_dir: Path, spec: ConnectionSpec) -> Path:
    """The history file of one connection: readable name plus a hash of what makes it unique."""
    if spec.kind is ConnectionKind.LOCAL:
        return data_dir / "monitor" / "local-sandbox.sqlite3"
    key = f"{spec.profile or 'default'}|{spec.region}|{spec.endpoint_url or ''}"
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{spec.profile or 'default'}-{spec.region}")[:60]
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return data_dir / "monitor" / f"{readable}-{digest}.sqlite3"


def _nullable(value: float) -> float | None:
    return None if math.isnan(value) else value


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)


class SampleStore:
    def __init__(self, path: Path, keep_s: float = HISTORY_S) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._appends = 0
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._setup()
        except sqlite3.DatabaseError:
            # Not a database we can read (damaged, or another program's file): start afresh.
            self._db.close()
            path.unlink(missing_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._setup()

    def _setup(self) -> None:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            db.executescript(
                "DROP TABLE IF EXISTS ticks; DROP TABLE IF EXISTS queue_rows; DROP TABLE IF EXISTS ce_rows;"
            )
        columns = ", ".join(f'"{name}" REAL' for name in QUEUE_FIELDS)
        db.executescript(
            f"""
            CREATE TABLE IF NOT EXISTS ticks (t REAL PRIMARY KEY, interval REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS queue_rows (
                t REAL NOT NULL, queue TEXT NOT NULL, {columns},
                oldest_job TEXT NOT NULL DEFAULT '', oldest_reason TEXT NOT NULL DEFAULT '');
            CREATE INDEX IF NOT EXISTS queue_rows_t ON queue_rows (t);
            CREATE TABLE IF NOT EXISTS ce_rows (
                t REAL NOT NULL, ce TEXT NOT NULL, platform TEXT NOT NULL,
                max_vcpus REAL, desired_vcpus REAL, queues TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS ce_rows_t ON ce_rows (t);
            PRAGMA user_version = {SCHEMA_VERSION};
            """
        )

    def append(self, sample: Sample) -> None:
        placeholders = ", ".join("?" for _ in range(len(QUEUE_FIELDS) + 4))
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.execute("INSERT OR REPLACE INTO ticks VALUES (?, ?)", (sample.t, sample.interval_s))
                db.executemany(
                    f"INSERT INTO queue_rows VALUES ({placeholders})",
                    [
                        (
                            sample.t,
                            q.queue,
                            *(_nullable(v) for v in q.values),
                            q.oldest_runnable_job,
                            q.oldest_runnable_reason,
                        )
                        for q in sample.queues
                    ],
                )
                db.executemany(
                    "INSERT INTO ce_rows VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            sample.t,
                            c.environment,
                            c.platform.value if c.platform else "",
                            _nullable(c.max_vcpus),
                            _nullable(c.desired_vcpus),
                            "\n".join(c.queues),
                        )
                        for c in sample.capacity
                    ],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._appends += 1
            if self._appends % PRUNE_EVERY == 0:
                self._prune(sample.t - self.keep_s)

    def _prune(self, before: float) -> None:
        for table in ("ticks", "queue_rows", "ce_rows"):
            self._db.execute(f"DELETE FROM {table} WHERE t < ?", (before,))

    def load(self, since: float) -> list[Sample]:
        """Samples at or after `since`, oldest first (older rows are pruned on the way)."""
        with self._lock:
            self._prune(since)
            ticks = self._db.execute(
                "SELECT t, interval FROM ticks WHERE t >= ? ORDER BY t", (since,)
            ).fetchall()
            queue_rows = self._db.execute(
                "SELECT * FROM queue_rows WHERE t >= ? ORDER BY t", (since,)
            ).fetchall()
            ce_rows = self._db.execute("SELECT * FROM ce_rows WHERE t >= ? ORDER BY t", (since,)).fetchall()
        queues: dict[float, list[QueueSample]] = {}
        width = len(QUEUE_FIELDS)
        for row in queue_rows:
            values = tuple(_float(v) for v in row[2 : 2 + width])
            queues.setdefault(row[0], []).append(QueueSample(row[1], values, row[2 + width], row[3 + width]))
        capacity: dict[float, list[CapacitySample]] = {}
        for t, ce, platform, max_vcpus, desired, users in ce_rows:
            capacity.setdefault(t, []).append(
                CapacitySample(
                    ce,
                    Platform(platform) if platform in Platform.__members__ else None,
                    _float(max_vcpus),
                    _float(desired),
                    tuple(u for u in users.split("\n") if u),
                )
            )
        return [
            Sample(t, interval, tuple(queues.get(t, ())), tuple(capacity.get(t, ()))) for t, interval in ticks
        ]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM ticks").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(data_dir: Path, spec: ConnectionSpec) -> SampleStore:
    return SampleStore(store_path(data_dir, spec))
