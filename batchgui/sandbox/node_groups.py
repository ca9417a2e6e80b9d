"""The engine's side of multi-node parallel jobs (api/multinode.py stores them): the job ends when
its main node does, with the main node's status, exit code and reason, and the nodes still running
or waiting are then stopped ("Main node exited"), as AWS does.

The job's own row stays PENDING until then (so nothing ever places or retries it as a job of its
own); DescribeJobs shows RUNNABLE, STARTING or RUNNING from its nodes.

Its nodes start all at once, as AWS places a multi-node job only when all its nodes fit: `together()`
keeps a pass's placements of a job's nodes only when every RUNNABLE node of it was placed. Otherwise
none of them starts; the room they were given in that pass stays unused (the job at the queue's
front keeps it, as AWS holds instances for it), and the unplaced ones are the demand the fleet scales
for.

The engine calls `sync()` once per pass, inside its write transaction; it costs nothing while no
multi-node job is active (the set of active ones is read once at start, then kept as jobs are
submitted and end).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from typing import TYPE_CHECKING

from batchgui.sandbox import lifecycle, sql
from batchgui.sandbox.placement import Decisions
from batchgui.sandbox.store import ACTIVE, TERMINAL

if TYPE_CHECKING:
    from batchgui.sandbox.engine import Engine

MAIN_EXITED = "Main node exited"


class NodeGroups:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] | None = None  # None: not read from the store yet
        self._main: dict[str, int] = {}

    def add(self, job_id: str) -> None:
        """A multi-node job was submitted (API threads)."""
        with self._lock:
            if self._active is not None:
                self._active.add(job_id)

    def together(self, conn: sqlite3.Connection, decisions: Decisions) -> Decisions:
        """The pass's placements, less those of multi-node jobs not all of whose nodes were placed."""
        with self._lock:
            active = set(self._active or ())
        placed = Counter(d.job.parent_id for d in decisions.placed if d.job.parent_id in active)
        partial = {
            job_id
            for job_id, count in placed.items()
            if count < conn.execute(sql.NODES_RUNNABLE, (job_id,)).fetchone()[0]
        }
        if partial:
            decisions.placed = [d for d in decisions.placed if d.job.parent_id not in partial]
        return decisions

    def sync(self, conn: sqlite3.Connection, engine: Engine, now: int) -> None:
        with self._lock:
            if self._active is None:
                self._active = {job_id for (job_id,) in conn.execute(sql.ACTIVE_MULTINODE)}
            active = list(self._active)
        for job_id in active:
            if self._sync_one(conn, engine, job_id, now):
                with self._lock:
                    self._active.discard(job_id)
                    self._main.pop(job_id, None)

    def _sync_one(self, conn: sqlite3.Connection, engine: Engine, job_id: str, now: int) -> bool:
        """End one job when its main node has ended; True when the job has ended."""
        row = conn.execute(sql.MULTINODE_PARENT, (job_id,)).fetchone()
        if row is None:
            return True
        status = str(row[0])
        main = self._main.get(job_id)
        if main is None:
            main = int(json.loads(row[1])["nodeProperties"]["mainNode"])
            self._main[job_id] = main
        node = conn.execute(sql.MULTINODE_MAIN_NODE, (f"{job_id}#{main}",)).fetchone()
        if node is None or node[0] not in TERMINAL:
            return status in TERMINAL
        to_kill: list[str] = []
        for (other,) in conn.execute(sql.NODES_ACTIVE, (job_id, *ACTIVE)).fetchall():
            to_kill += engine.stop_job_locked(conn, other, MAIN_EXITED, terminate=True)
        if to_kill:
            engine.kill(to_kill, MAIN_EXITED)
        if status != node[0]:
            # Also when every node ended in this pass and the array rule ended the job already.
            started = conn.execute(sql.MULTINODE_FIRST_START, (job_id,)).fetchone()[0]
            lifecycle.set_status(
                conn,
                job_id,
                None,
                status,
                str(node[0]),
                status_reason=node[1],
                stopped_at=now,
                started_at=started,
            )
            if status not in TERMINAL:
                lifecycle.propagate(conn, [job_id], now)
        conn.execute(sql.MULTINODE_SET_ENDED, (node[2], node[3], job_id))
        return True
