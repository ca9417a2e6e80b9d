"""Job state transitions shared by the API (cancel/terminate) and the engine (dependencies, arrays).

Every status change goes through `set_status`, which also keeps an array parent's statusSummary
counts in step. `propagate` walks the consequences of jobs reaching SUCCEEDED/FAILED: array parents
complete when all their children have, dependents become RUNNABLE when all their dependencies have
succeeded, and fail ("Dependent Job failed", as AWS says) when one has failed. It uses a work list,
not recursion, because a failed child of a 10,000-child SEQUENTIAL array fails every later child.
"""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from typing import Any

from batchgui.sandbox import sql
from batchgui.sandbox.store import summary_delta

DEPENDENT_FAILED = "Dependent Job failed"
ARRAY_CHILD_FAILED = "Array Child Job failed"


def set_status(
    conn: sqlite3.Connection,
    job_id: str,
    parent_id: str | None,
    old: str | None,
    new: str,
    **cols: Any,
) -> bool:
    """Move a job from `old` to `new` (only if it is still `old`); False if it had moved on already."""
    args: list[Any] = [new, *cols.values(), job_id]
    if old is not None:
        args.append(old)
    if conn.execute(sql.set_job_status(tuple(cols), old is not None), args).rowcount != 1:
        return False
    if parent_id is not None:
        summary_delta(conn, parent_id, old, new)
    return True


def _job(conn: sqlite3.Connection, job_id: str) -> tuple[str, str | None, int | None, int] | None:
    row = conn.execute(sql.JOB_LIFECYCLE, (job_id,)).fetchone()
    return None if row is None else (str(row[0]), row[1], row[2], int(row[3]))


def deps_state(conn: sqlite3.Connection, job_id: str) -> str:
    """'ready' if all dependencies succeeded, 'failed' if one failed, else 'waiting'."""
    waiting = False
    for (status,) in conn.execute(sql.JOB_DEPS_STATUS, (job_id,)):
        if status == "FAILED" or status is None:
            return "failed"
        if status != "SUCCEEDED":
            waiting = True
    return "waiting" if waiting else "ready"


def make_ready(conn: sqlite3.Connection, job_id: str, now: int) -> list[str]:
    """A job whose dependencies are met: RUNNABLE, or for an array parent, create its children.

    Returns jobs that reached a terminal state as a consequence (for `propagate`).
    """
    info = _job(conn, job_id)
    if info is None or info[0] not in ("SUBMITTED", "PENDING"):
        return []
    status, parent_id, size, child = info
    if size is None or child:
        set_status(conn, job_id, parent_id, status, "RUNNABLE", runnable_at=now)
        return []
    spec_row = conn.execute(sql.JOB_ARRAY_TEMPLATE, (job_id,)).fetchone()
    spec = json.loads(spec_row[0])
    sequential = any(d.get("type") == "SEQUENTIAL" for d in spec.get("dependsOn") or [])
    n_to_n = [d["jobId"] for d in spec.get("dependsOn") or [] if d.get("type") == "N_TO_N"]
    rows = []
    deps = []
    for index in range(size):
        child_id = f"{job_id}:{index}"
        waits = (sequential and index > 0) or bool(n_to_n)
        rows.append(
            (
                child_id,
                spec_row[3],
                spec_row[1],
                "PENDING" if waits else "RUNNABLE",
                spec_row[6],
                None if waits else now,
                spec_row[2],
                job_id,
                index,
                spec_row[4],
                spec_row[5],
                spec_row[7],
            )
        )
        if sequential and index > 0:
            deps.append((child_id, f"{job_id}:{index - 1}", "SEQUENTIAL"))
        deps.extend((child_id, f"{other}:{index}", "N_TO_N") for other in n_to_n)
    conn.executemany(sql.CHILD_INSERT, rows)
    conn.executemany(sql.DEPS_INSERT, deps)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[3]] = counts.get(r[3], 0) + 1
    conn.executemany(sql.SUMMARY_SET, [(job_id, s, n) for s, n in counts.items()])
    set_status(conn, job_id, None, status, "PENDING")
    done: list[str] = []
    if n_to_n:
        # The other array's children may have finished already.
        for index in range(size):
            done += _evaluate_dependent(conn, f"{job_id}:{index}", now)
    return done


def _evaluate_dependent(conn: sqlite3.Connection, job_id: str, now: int) -> list[str]:
    info = _job(conn, job_id)
    if info is None or info[0] != "PENDING":
        return []
    state = deps_state(conn, job_id)
    if state == "failed":
        set_status(conn, job_id, info[1], "PENDING", "FAILED", status_reason=DEPENDENT_FAILED, stopped_at=now)
        return [job_id]
    if state == "ready":
        return make_ready(conn, job_id, now)
    return []


def propagate(conn: sqlite3.Connection, finished: list[str], now: int) -> None:
    """Apply the consequences of `finished` jobs reaching SUCCEEDED or FAILED."""
    work = deque(finished)
    while work:
        job_id = work.popleft()
        info = _job(conn, job_id)
        if info is None:
            continue
        status, parent_id, _size, _child = info
        if parent_id is not None:
            work.extend(_maybe_complete_parent(conn, parent_id, now))
        for (dependent,) in conn.execute(sql.JOB_DEPENDENTS, (job_id,)).fetchall():
            dinfo = _job(conn, dependent)
            if dinfo is None or dinfo[0] != "PENDING":
                continue  # SUBMITTED jobs are evaluated by the engine's next pass
            if status == "FAILED":
                if set_status(
                    conn,
                    dependent,
                    dinfo[1],
                    "PENDING",
                    "FAILED",
                    status_reason=DEPENDENT_FAILED,
                    stopped_at=now,
                ):
                    work.append(dependent)
            else:
                work.extend(_evaluate_dependent(conn, dependent, now))


def _maybe_complete_parent(conn: sqlite3.Connection, parent_id: str, now: int) -> list[str]:
    row = conn.execute(sql.JOB_STATUS_SIZE, (parent_id,)).fetchone()
    if row is None or row[0] in ("SUCCEEDED", "FAILED"):
        return []
    counts = dict(conn.execute(sql.SUMMARY_OF, (parent_id,)).fetchall())
    succeeded = int(counts.get("SUCCEEDED", 0))
    failed = int(counts.get("FAILED", 0))
    if succeeded + failed < int(row[1]):
        return []
    started = conn.execute(sql.CHILDREN_FIRST_START, (parent_id,)).fetchone()[0]
    if failed:
        set_status(
            conn,
            parent_id,
            None,
            row[0],
            "FAILED",
            status_reason=ARRAY_CHILD_FAILED,
            stopped_at=now,
            started_at=started,
        )
    else:
        set_status(conn, parent_id, None, row[0], "SUCCEEDED", stopped_at=now, started_at=started)
    return [parent_id]
