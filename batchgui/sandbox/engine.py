"""The engine: one thread that moves jobs through their states, asking placement where they go,
the fleet for room and the executor to run them, and writing every change to the store.

Each pass (when something changed, at most every `tick_s`): record processes that started and
finished (with their logs), finish CE/queue status transitions, move SUBMITTED jobs on (PENDING
while dependencies wait), cancel jobs past their queue's jobStateTimeLimitActions, place RUNNABLE
jobs (placement.py, a pure function of queues, environments, jobs and capacity), then scale the
simulated EC2 fleets (fleet.py) for what could not be placed. A placed job is STARTING until its
start delay (`fargate_start_delay_s`, `ec2_start_delay_s`) is over; then the executor
(executor.py) starts its process and it is RUNNING. Retries follow the job's retryStrategy.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from batchgui.sandbox import consumables, launcher, lifecycle, logs_api, node_groups, placement, sql
from batchgui.sandbox.executor import Executor, Finished, JobToRun, now_ms
from batchgui.sandbox.fleet import Fleet, Placed, is_ec2
from batchgui.sandbox.settings import ACCOUNT_ID, Endpoint, SandboxSettings
from batchgui.sandbox.store import ACTIVE, Store

log = logging.getLogger(__name__)

Json = dict[str, Any]
RESTART_REASON_FARGATE = "Task stopped: the local sandbox stopped while the job was running"
RESTART_REASON_EC2 = "Host EC2 terminated: the local sandbox stopped while the job was running"


class Engine:
    def __init__(self, store: Store, settings: SandboxSettings, data_dir: Path, endpoint: Endpoint) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = data_dir
        self.region = endpoint.region
        self.executor = Executor(settings, data_dir, endpoint)
        self.fleet = Fleet(settings)
        self._lock = threading.Lock()
        self._kill_requests: list[tuple[str, str]] = []
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._dirty = True
        self._resources_dirty = True
        self._placed: dict[str, Placed] = {}  # STARTING, waiting for ready_at
        self._stream_ids: dict[tuple[str, str], int] = {}
        self._ce_cache: dict[str, Json] = {}
        self._queue_cache: list[Json] = []
        self._spec_cache: dict[str, Json] = {}
        self._next_transition: float | None = None
        self._last_flush = 0.0
        self._max_processes = self.executor.max_processes
        self._pending_demand: dict[str, list[tuple[float, int]]] = {}
        self._share_usage = placement.ShareUsage()
        self.consumables = consumables.Ledger()
        self.node_groups = node_groups.NodeGroups()

    # ---- public, thread-safe --------------------------------------------------------------------
    def start(self) -> None:
        with self.store.write() as conn:
            self.store.meta_set(conn, "job_isolation", self.isolation)
        self._thread = threading.Thread(target=self._run, name="sandbox-engine", daemon=True)
        self._thread.start()
        self.executor.start()

    def wake(self, resources_changed: bool = False) -> None:
        self._dirty = True
        if resources_changed:
            self._resources_dirty = True
        self.executor.wake()

    def kill(self, job_ids: list[str], reason: str) -> None:
        with self._lock:
            self._kill_requests.extend((j, reason) for j in job_ids)
        self.wake()

    def stop(self, deadline: float) -> None:
        self.executor.set_stop_deadline(deadline)
        self._stop_event.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        if self._thread is None or not self._thread.is_alive():
            self.executor.kill_all()
            self.executor.close_fds()
        self.executor.stop_cleaner(deadline)
        self.executor.tasks.stop()

    def workdir(self, job_id: str, attempt: int) -> Path:
        """The job attempt's working directory (removed afterwards if the job left it empty)."""
        return self.executor.workdir(job_id, attempt)

    def stop_job_locked(
        self, conn: sqlite3.Connection, job_id: str, reason: str, terminate: bool
    ) -> list[str]:
        """Cancel/terminate one job inside the caller's write transaction.

        Queued jobs fail at once; STARTING/RUNNING ones are returned for `kill` when terminating
        (CancelJob leaves them running, as AWS does).
        """
        row = conn.execute(sql.JOB_STATUS_PARENT, (job_id,)).fetchone()
        if row is None:
            return []
        status, parent_id = row
        if status in ("SUBMITTED", "PENDING", "RUNNABLE"):
            now = now_ms()
            lifecycle.set_status(
                conn,
                job_id,
                parent_id,
                status,
                "FAILED",
                status_reason=reason,
                stopped_at=now,
                is_cancelled=int(not terminate),
                is_terminated=int(terminate),
            )
            lifecycle.propagate(conn, [job_id], now)
            return []
        if status in ("STARTING", "RUNNING") and terminate:
            conn.execute(sql.JOB_MARK_TERMINATED, (job_id,))
            return [job_id]
        return []

    @property
    def isolation(self) -> str:
        """How jobs are isolated: `bwrap` (bubblewrap) or `none` (plain host processes)."""
        return self.executor.isolation

    def active_statuses(self) -> tuple[str, ...]:
        return ACTIVE

    # ---- start-up recovery ----------------------------------------------------------------------
    def recover_after_restart(self) -> None:
        """Jobs that were STARTING/RUNNING when the sandbox last stopped: first kill what is left of
        their processes (a process group whose leader is that very process, by start time), then
        retry or fail them, so two attempts of one job never run at once."""
        now = now_ms()
        with self.store.write() as conn:
            queues = [r[0] for r in conn.execute(sql.QUEUE_ARNS)]
            rows: list[tuple[Any, ...]] = []
            for q in queues:
                rows += conn.execute(sql.JOBS_ACTIVE_IN_QUEUE, (q,)).fetchall()
            groups = [
                (pid, pid_start) for *_, pid, pid_start in rows if pid is not None and pid_start is not None
            ]
            # A job placed just before the crash may have been spawned with its pid not yet written:
            # found by its environment, it ran, so it is handled as a running job.
            spawned = launcher.groups_of_jobs([r[0] for r in rows if r[2] == "STARTING" and r[-2] is None])
            groups += [group for found in spawned.values() for group in found.items()]
            for pgid, started_at in groups:
                if not launcher.kill_leftovers(pgid, started_at):
                    log.warning("process group %s of a job from before the restart would not die", pgid)
            finished: list[str] = []
            for job_id, parent_id, status, attempts_text, started, stream, task_arn, ce, *_ in rows:
                if status == "STARTING" and job_id not in spawned:
                    # Placed but never started: nothing ran, so no attempt is used up.
                    lifecycle.set_status(
                        conn, job_id, parent_id, status, "RUNNABLE", runnable_at=now, ce=None, instance=None
                    )
                    continue
                ce_data = self._load_ce(conn, ce) if ce else None
                fargate = placement.resource_type(ce_data or {}) in placement.FARGATE_TYPES
                reason = RESTART_REASON_FARGATE if fargate else RESTART_REASON_EC2
                attempts = json.loads(attempts_text)
                attempts.append(
                    {
                        "container": {
                            "logStreamName": stream or "",
                            "taskArn": task_arn or "",
                            "networkInterfaces": [],
                        },
                        "startedAt": started or now,
                        "stoppedAt": now,
                        "statusReason": reason,
                    }
                )
                spec = self._spec_for(conn, job_id, parent_id)
                common: Json = {"attempts": json.dumps(attempts)}
                if should_retry(spec, attempts, reason, None, None):
                    self._retry(conn, job_id, parent_id, status, now, common)
                else:
                    common["container_reason"] = None
                    self._fail(conn, job_id, parent_id, status, now, reason, common)
                    finished.append(job_id)
            lifecycle.propagate(conn, finished, now)

    @staticmethod
    def _retry(  # noqa: PLR0917
        conn: sqlite3.Connection, job_id: str, parent_id: str | None, status: str, stamp: int, cols: Json
    ) -> None:
        lifecycle.set_status(
            conn,
            job_id,
            parent_id,
            status,
            "RUNNABLE",
            runnable_at=stamp,
            status_reason=None,
            ce=None,
            instance=None,
            **cols,
        )

    @staticmethod
    def _fail(  # noqa: PLR0917
        conn: sqlite3.Connection,
        job_id: str,
        parent_id: str | None,
        status: str,
        stopped: int,
        reason: str,
        cols: Json,
    ) -> None:
        lifecycle.set_status(
            conn, job_id, parent_id, status, "FAILED", stopped_at=stopped, status_reason=reason, **cols
        )

    # ---- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stop_event.is_set():
                try:
                    self._iterate()
                except Exception:  # one bad job or query must not stop every other job
                    log.exception("sandbox engine iteration failed; continuing")
                    self._dirty = True
                    self._stop_event.wait(0.5)
        finally:
            self.executor.kill_all()

    def _iterate(self) -> None:
        executor = self.executor
        executor.begin_wait()
        executor.wait(self._timeout())
        if self._stop_event.is_set():
            return
        self._handle_kills()
        now = time.monotonic()
        executor.enforce_deadlines(now)
        self._spawn_due(now)
        if now - self._last_flush < self.settings.tick_s and not self._stop_event.is_set():
            # At most one pass a tick: a burst of API calls (each wakes the engine) is one pass,
            # not one pass (and one write transaction competing with the API's) per call.
            return
        if (
            executor.has_events()
            or executor.has_logs()
            or self._dirty
            or self._timers_due(now)
            or now - self._last_flush > 1.0
        ):
            self._flush_and_schedule(now)

    def _timers_due(self, now: float) -> bool:
        """A CE/queue transition, an instance becoming ready, or an idle instance to drain."""
        if self._next_transition is not None and self._next_transition <= now:
            return True
        return self.fleet.timers_due(self._last_flush, now)

    def _timeout(self) -> float:
        tick = self.settings.tick_s
        now = time.monotonic()
        if self._dirty or self.executor.has_events():
            return max(0.0, self._last_flush + tick - now)
        deadlines = [p.ready_at for p in self._placed.values()]
        deadlines += self.executor.deadlines()
        if self._next_transition is not None:
            deadlines.append(self._next_transition)
        deadlines += self.fleet.deadlines(now)
        if self.executor.has_logs():
            deadlines.append(self._last_flush + tick)
        wait = min(deadlines, default=now + 1.0) - now
        return min(max(wait, 0.0), 1.0)

    # ---- processes ------------------------------------------------------------------------------
    def _spec_for(self, conn: sqlite3.Connection, job_id: str, parent_id: str | None) -> Json:
        key = parent_id or job_id
        spec = self._spec_cache.get(key)
        if spec is None:
            row = conn.execute(sql.JOB_SPEC, (key,)).fetchone()
            spec = json.loads(row[0]) if row and row[0] else {}
            if parent_id is not None:
                if len(self._spec_cache) > 64:
                    self._spec_cache.clear()
                self._spec_cache[key] = spec
        return spec

    def _spawn_due(self, now: float) -> None:
        due = [p for p in self._placed.values() if p.ready_at <= now]
        if not due:
            return
        with self.store.read() as conn:
            for placed in sorted(due, key=lambda p: p.ready_at):
                del self._placed[placed.job_id]
                self._spawn(conn, placed)

    def _spawn(self, conn: sqlite3.Connection, placed: Placed) -> None:
        row = conn.execute(sql.JOB_ATTEMPTS, (placed.job_id,)).fetchone()
        ce = self._ce_cache.get(placed.ce_arn, {})
        queue = next((q for q in self._queue_cache if q["jobQueueArn"] == placed.queue_arn), {})
        job = JobToRun(
            spec=self._spec_for(conn, placed.job_id, placed.parent_id),
            attempt=len(json.loads(row[0])) + 1 if row else 1,
            queue_name=str(queue.get("jobQueueName", "")),
            ce_name=str(ce.get("computeEnvironmentName", "")),
            cluster_arn=str(ce.get("ecsClusterArn", "")),
        )
        self.executor.spawn(self.executor.request(placed, job))

    def _handle_kills(self) -> None:
        with self._lock:
            requests, self._kill_requests = self._kill_requests, []
        for job_id, reason in requests:
            if self.executor.kill(job_id, reason):
                continue
            placed = self._placed.pop(job_id, None)
            if placed is not None:
                self.executor.finish_unstarted(placed, reason)

    # ---- database side --------------------------------------------------------------------------
    def _flush_and_schedule(self, now: float) -> None:
        self._dirty = False
        self._last_flush = now
        stamp = now_ms()
        with self.store.write() as conn:
            self._write_started(conn)
            self._write_logs(conn, stamp)
            self._write_finished(conn, stamp)
            self.node_groups.sync(conn, self, stamp)  # multi-node jobs end with their main node
            self._transitions(conn)
            self._advance_submitted(conn, stamp)
            self._apply_time_limits(conn, stamp)
            self._schedule(conn)
            self._scale_fleets(conn)

    def _write_started(self, conn: sqlite3.Connection) -> None:
        for running in self.executor.take_started():
            p = running.placement
            group, stream = running.stream_key
            self._stream_id(conn, group, stream, running.started_ms)
            lifecycle.set_status(
                conn,
                p.job_id,
                p.parent_id,
                "STARTING",
                "RUNNING",
                started_at=running.started_ms,
                log_stream=stream,
                task_arn=running.task_arn,
                pid=running.pid,
                pid_start=running.start,
            )

    def _stream_id(self, conn: sqlite3.Connection, group: str, stream: str, stamp: int) -> int:
        key = (group, stream)
        sid = self._stream_ids.get(key)
        if sid is None:
            sid = logs_api.ensure_stream(conn, group, stream, stamp)
            if len(self._stream_ids) > 4096:
                self._stream_ids.clear()
            self._stream_ids[key] = sid
        return sid

    def _write_logs(self, conn: sqlite3.Connection, stamp: int) -> None:
        for (group, stream), events in self.executor.take_logs().items():
            logs_api.append_events(conn, self._stream_id(conn, group, stream, stamp), events, stamp)

    def _attempt(self, f: Finished) -> Json:
        """The attempts[] entry DescribeJobs shows for a finished process."""
        container: Json = {"networkInterfaces": []}
        if f.exit_code is not None:
            container["exitCode"] = f.exit_code
        if f.container_reason:
            container["reason"] = f.container_reason
        if f.stream:
            container["logStreamName"] = f.stream
        if f.task_arn:
            container["taskArn"] = f.task_arn
        if f.placement.instance is not None:
            container["containerInstanceArn"] = (
                f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:container-instance/{f.placement.instance.instance_id}"
            )
        return {
            "container": container,
            "startedAt": f.started_ms,
            "stoppedAt": f.stopped_ms,
            "statusReason": f.status_reason,
        }

    def _write_finished(self, conn: sqlite3.Connection, stamp: int) -> None:
        done: list[str] = []
        now = time.monotonic()
        for f in self.executor.take_finished():
            p = f.placement
            self.fleet.release(p, now)
            self.consumables.release(conn, p.job_id)
            row = conn.execute(sql.JOB_STATUS_ATTEMPTS, (p.job_id,)).fetchone()
            if row is None or row[0] not in ("STARTING", "RUNNING"):
                continue
            status, attempts_text = row
            attempts = [*json.loads(attempts_text), self._attempt(f)]
            common: Json = {
                "attempts": json.dumps(attempts),
                "exit_code": f.exit_code,
                "container_reason": f.container_reason,
                "pid": None,
                "pid_start": None,
            }
            if f.exit_code == 0 and not f.terminated:
                lifecycle.set_status(
                    conn,
                    p.job_id,
                    p.parent_id,
                    status,
                    "SUCCEEDED",
                    stopped_at=f.stopped_ms,
                    status_reason=f.status_reason,
                    **common,
                )
                done.append(p.job_id)
                continue
            spec = self._spec_for(conn, p.job_id, p.parent_id)
            if not f.terminated and should_retry(
                spec, attempts, f.status_reason, f.container_reason, f.exit_code
            ):
                self._retry(conn, p.job_id, p.parent_id, status, stamp, common)
                continue
            self._fail(conn, p.job_id, p.parent_id, status, f.stopped_ms, f.status_reason, common)
            done.append(p.job_id)
        if done:
            lifecycle.propagate(conn, done, stamp)
            self._dirty = True

    @staticmethod
    def _load_ce(conn: sqlite3.Connection, ce_arn: str) -> Json | None:
        row = conn.execute(sql.CE_BY_ARN, (ce_arn,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _transitions(self, conn: sqlite3.Connection) -> None:
        wall = time.time()
        if (
            self._next_transition is not None
            and time.monotonic() < self._next_transition
            and not self._resources_dirty
        ):
            return
        changed = False
        for due, done, label in (
            (sql.CE_TRANSITIONS_DUE, sql.CE_TRANSITION_DONE, "Compute environment"),
            (sql.QUEUE_TRANSITIONS_DUE, sql.QUEUE_TRANSITION_DONE, "JobQueue"),
        ):
            for name, status, data_text in conn.execute(due, (wall,)).fetchall():
                data = json.loads(data_text)
                deleted = status == "DELETING"
                data["status"] = "DELETED" if deleted else "VALID"
                data["statusReason"] = f"{label} {'deleted' if deleted else 'is VALID'}"
                if label != "JobQueue" and not deleted:
                    data["statusReason"] = "ComputeEnvironment Healthy"
                conn.execute(done, (data["status"], json.dumps(data), name))
                if label == "JobQueue" and deleted:
                    self._fail_queue_jobs(conn, data["jobQueueArn"])
                changed = True
        row = conn.execute(sql.NEXT_TRANSITION).fetchone()
        self._next_transition = None if row[0] is None else time.monotonic() + max(0.0, float(row[0]) - wall)
        if changed or self._resources_dirty:
            self._resources_dirty = False
            self._ce_cache = {}
            for (data_text,) in conn.execute(sql.CES_LIVE):
                ce = json.loads(data_text)
                self._ce_cache[ce["computeEnvironmentArn"]] = ce
            self._queue_cache = placement.by_priority(json.loads(d) for (d,) in conn.execute(sql.QUEUES_LIVE))
            self.fleet.environments_changed(self._ce_cache)
            self._dirty = True

    def _fail_queue_jobs(self, conn: sqlite3.Connection, queue_arn: str) -> None:
        stamp = now_ms()
        reason = "Job queue was deleted"
        failed: list[str] = []
        for status in ("SUBMITTED", "PENDING", "RUNNABLE"):
            for job_id, parent_id in conn.execute(
                sql.JOBS_IN_QUEUE_WITH_STATUS, (queue_arn, status)
            ).fetchall():
                lifecycle.set_status(
                    conn, job_id, parent_id, status, "FAILED", status_reason=reason, stopped_at=stamp
                )
                failed.append(job_id)
        lifecycle.propagate(conn, failed, stamp)
        running = self.executor.jobs_in_queue(queue_arn)
        running += [j for j, p in self._placed.items() if p.queue_arn == queue_arn]
        with self._lock:
            self._kill_requests.extend((j, reason) for j in running)

    def _advance_submitted(self, conn: sqlite3.Connection, stamp: int) -> None:
        done: list[str] = []
        for q in self._queue_cache:
            for job_id, size, has_deps in conn.execute(sql.JOBS_SUBMITTED, (q["jobQueueArn"],)).fetchall():
                if size is None and not has_deps:
                    lifecycle.set_status(conn, job_id, None, "SUBMITTED", "RUNNABLE", runnable_at=stamp)
                    continue
                state = lifecycle.deps_state(conn, job_id)
                if state == "failed":
                    lifecycle.set_status(
                        conn,
                        job_id,
                        None,
                        "SUBMITTED",
                        "FAILED",
                        status_reason=lifecycle.DEPENDENT_FAILED,
                        stopped_at=stamp,
                    )
                    done.append(job_id)
                elif state == "waiting":
                    lifecycle.set_status(conn, job_id, None, "SUBMITTED", "PENDING")
                else:
                    done += lifecycle.make_ready(conn, job_id, stamp)
        if done:
            lifecycle.propagate(conn, done, stamp)

    def _apply_time_limits(self, conn: sqlite3.Connection, stamp: int) -> None:
        for q in self._queue_cache:
            for action in q.get("jobStateTimeLimitActions") or []:
                cutoff = stamp - int(action["maxTimeSeconds"]) * 1000
                rows = conn.execute(
                    sql.JOBS_RUNNABLE_SINCE, (q["jobQueueArn"], cutoff, action["reason"] + "%")
                ).fetchall()
                for job_id, parent_id in rows:
                    lifecycle.set_status(
                        conn,
                        job_id,
                        parent_id,
                        "RUNNABLE",
                        "FAILED",
                        stopped_at=stamp,
                        status_reason=action["reason"],
                        is_cancelled=1,
                    )
                if rows:
                    lifecycle.propagate(conn, [r[0] for r in rows], stamp)

    # ---- placement ------------------------------------------------------------------------------
    def _schedule(self, conn: sqlite3.Connection) -> None:
        now = time.monotonic()
        free = self._max_processes - self.executor.busy() - len(self._placed)
        capacity = self.fleet.capacity(now, free)
        runnable: dict[str, list[placement.Candidate]] = {}
        for q in placement.queues_to_fill(self._queue_cache, self._ce_cache, capacity):
            jobs = [
                placement.Candidate(job_id, float(v), int(m), parent, index, reason, str(share or ""))
                for job_id, parent, index, v, m, reason, share in conn.execute(
                    sql.JOBS_RUNNABLE_FRONT, (q["jobQueueArn"],)
                ).fetchall()
            ]
            if q.get("schedulingPolicyArn"):
                jobs = self._fair_share_order(conn, q, jobs, now)
            runnable[q["jobQueueArn"]] = jobs
        admitted = self.consumables.admit(conn, runnable, self._spec_for)
        decisions = placement.place(self._queue_cache, self._ce_cache, runnable, capacity)
        decisions = self.node_groups.together(conn, decisions)  # a multi-node job's nodes start at once
        fair = {q["jobQueueArn"] for q in self._queue_cache if q.get("schedulingPolicyArn")}
        for d in decisions.placed:
            job = d.job
            if not lifecycle.set_status(
                conn,
                job.job_id,
                job.parent_id,
                "RUNNABLE",
                "STARTING",
                ce=d.ce_arn,
                instance=d.instance_id,
                status_reason=None,
            ):
                continue
            self.consumables.hold(job.job_id, admitted)
            delay = self.settings.ec2_start_delay_s if d.instance_id else self.settings.fargate_start_delay_s
            inst = self.fleet.reserve(d.ce_arn, d.instance_id, job.job_id, job.vcpus, job.memory)
            self._placed[job.job_id] = Placed(
                job.job_id,
                job.parent_id,
                job.index,
                d.queue_arn,
                d.ce_arn,
                job.vcpus,
                job.memory,
                now + delay,
                inst,
            )
            if d.queue_arn in fair:
                self._share_usage.note(d.queue_arn, job.share, job.vcpus, now)
        for job_id, reason in decisions.reasons.items():
            conn.execute(sql.JOB_SET_REASON, (reason, job_id))
        if not decisions.exhausted:
            self._pending_demand = decisions.demand

    def _fair_share_order(
        self, conn: sqlite3.Connection, q: Json, jobs: list[placement.Candidate], now: float
    ) -> list[placement.Candidate]:
        """Usage is the vCPUs in use, plus, with a shareDecaySeconds, the vCPUs placed recently,
        decaying over that time."""
        row = conn.execute(sql.POLICY_BY_ARN, (q["schedulingPolicyArn"],)).fetchone()
        fairshare = (json.loads(row[0]) if row else {}).get("fairsharePolicy") or {}
        decay = float(fairshare.get("shareDecaySeconds") or 0)
        usage: dict[str, float] = {}
        for status in ("STARTING", "RUNNING"):
            for share, vcpus in conn.execute(sql.SHARE_USAGE, (q["jobQueueArn"], status)):
                usage[str(share or "")] = usage.get(str(share or ""), 0.0) + float(vcpus or 0)
        if decay > 0:
            for share, recent in self._share_usage.decayed(q["jobQueueArn"], decay, now).items():
                usage[share] = usage.get(share, 0.0) + recent
        return placement.fair_share_order(jobs, usage, fairshare.get("shareDistribution") or [])

    def _scale_fleets(self, conn: sqlite3.Connection) -> None:
        demand = self._pending_demand
        now = time.monotonic()
        for ce_arn, ce in self._ce_cache.items():
            if not is_ec2(ce):
                continue
            res = ce["computeResources"]
            before, after, look_again = self.fleet.scale(
                ce, placement.ce_usable(ce), demand.get(ce_arn, []), now
            )
            if after != before or res.get("desiredvCpus") != after:
                res["desiredvCpus"] = after
                row = conn.execute(sql.CE_BY_ARN, (ce_arn,)).fetchone()
                if row is not None:
                    data = json.loads(row[0])
                    if "computeResources" in data:
                        data["computeResources"]["desiredvCpus"] = after
                        conn.execute(sql.CE_SET_DATA, (json.dumps(data), ce_arn))
            self._dirty = self._dirty or look_again


# ---- retry rules --------------------------------------------------------------------------------
def should_retry(
    spec: Json, attempts: list[Json], status_reason: str, reason: str | None, exit_code: int | None
) -> bool:
    """retryStrategy: attempts left, and the first evaluateOnExit rule that matches says RETRY."""
    strategy = spec.get("retryStrategy") or {}
    if len(attempts) >= int(strategy.get("attempts", 1)):
        return False
    for rule in strategy.get("evaluateOnExit") or []:
        if not _glob(rule.get("onStatusReason"), status_reason):
            continue
        if not _glob(rule.get("onReason"), reason or ""):
            continue
        if "onExitCode" in rule and (exit_code is None or not _glob(rule["onExitCode"], str(exit_code))):
            continue
        return str(rule["action"]).upper() == "RETRY"
    return True


def _glob(pattern: str | None, value: str) -> bool:
    if pattern is None:
        return True
    return fnmatch.fnmatchcase(value, pattern)


__all__ = ["Engine", "should_retry"]
