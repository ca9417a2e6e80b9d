"""The engine's side of consumable resources: which RUNNABLE jobs may start now, what running jobs
hold, and what they give back.

A job (each child of an array job) needs the quantities its `consumableResourceProperties` name.
Before placement the engine asks `admit()`: a job whose quantities are not all free stays RUNNABLE
with `WAITING_REASON`, and the jobs ahead of it in the queue keep what they were admitted with;
placed jobs `hold()` their quantities from STARTING until they end (`release()`), as AWS
documents ("Resources are locked once the job moves to STARTING and are then unlocked when the job
moves to SUCCEEDED or FAILED"). A NON_REPLENISHABLE resource does not come back: its total goes
down by what the job used.

Holdings are kept in memory: jobs that were STARTING or RUNNING when the sandbox stopped are
retried or failed at the next start (engine.recover_after_restart), so none holds anything then.
With no consumable resource defined, `admit()` costs one attribute check.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from batchgui.sandbox.placement import Candidate

Json = dict[str, Any]
WAITING_REASON = "RESOURCE:CONSUMABLE_RESOURCE_UNAVAILABLE - waiting for consumable resource"
ALL = "SELECT data FROM consumable_resources"
SAVE = "UPDATE consumable_resources SET data = ? WHERE arn = ?"
SET_REASON = "UPDATE jobs SET status_reason = ? WHERE job_id = ? AND status = 'RUNNABLE'"


def requirements(spec: Json) -> list[tuple[str, int]]:
    items = (spec.get("consumableResourceProperties") or {}).get("consumableResourceList") or []
    return [(str(i["consumableResource"]), int(i.get("quantity", 1))) for i in items]


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resources: dict[str, Json] | None = None  # by name and by ARN; None: read again
        self._held: dict[str, list[tuple[str, int]]] = {}  # job id -> (resource ARN, quantity)

    def changed(self) -> None:
        """A resource was created, updated or deleted (API threads)."""
        with self._lock:
            self._resources = None

    def _load(self, conn: sqlite3.Connection) -> dict[str, Json]:
        with self._lock:
            if self._resources is None:
                table: dict[str, Json] = {}
                for (text,) in conn.execute(ALL):
                    data = json.loads(text)
                    table[data["consumableResourceName"]] = data
                    table[data["consumableResourceArn"]] = data
                self._resources = table
            return self._resources

    def in_use(self, arn: str) -> int:
        with self._lock:
            return sum(q for held in self._held.values() for a, q in held if a == arn)

    def holders(self, arn: str) -> set[str]:
        with self._lock:
            return {job for job, held in self._held.items() if any(a == arn for a, _ in held)}

    def admit(
        self,
        conn: sqlite3.Connection,
        runnable: dict[str, list[Candidate]],
        spec_for: Callable[[sqlite3.Connection, str, str | None], Json],
    ) -> dict[str, list[tuple[str, int]]]:
        """Drop from `runnable` (queue -> candidates) the jobs whose consumable resources are not
        free; return what each admitted job would hold."""
        resources = self._load(conn)
        if not resources:
            return {}
        with self._lock:
            used: dict[str, int] = {}
            for held in self._held.values():
                for arn, qty in held:
                    used[arn] = used.get(arn, 0) + qty
        admitted: dict[str, list[tuple[str, int]]] = {}
        for queue_arn, candidates in runnable.items():
            kept = []
            for job in candidates:
                needs = requirements(spec_for(conn, job.job_id, job.parent_id))
                if not needs:
                    kept.append(job)
                    continue
                wanted = []
                ok = True
                for ref, qty in needs:
                    data = resources.get(ref)
                    if data is None:
                        ok = False
                        break
                    arn = data["consumableResourceArn"]
                    wanted.append((arn, qty))
                    if int(data.get("totalQuantity", 0)) - used.get(arn, 0) < qty:
                        ok = False
                if ok:
                    for arn, qty in wanted:
                        used[arn] = used.get(arn, 0) + qty
                    admitted[job.job_id] = wanted
                    kept.append(job)
                elif job.status_reason != WAITING_REASON:
                    conn.execute(SET_REASON, (WAITING_REASON, job.job_id))
            runnable[queue_arn] = kept
        return admitted

    def hold(self, job_id: str, admitted: dict[str, list[tuple[str, int]]]) -> None:
        wanted = admitted.get(job_id)
        if wanted:
            with self._lock:
                self._held[job_id] = wanted

    def release(self, conn: sqlite3.Connection, job_id: str) -> None:
        with self._lock:
            held = self._held.pop(job_id, None)
        if not held:
            return
        resources = self._load(conn)
        for arn, qty in held:
            data = resources.get(arn)
            if data is not None and data.get("resourceType") == "NON_REPLENISHABLE":
                data["totalQuantity"] = max(0, int(data.get("totalQuantity", 0)) - qty)
                conn.execute(SAVE, (json.dumps(data), arn))
