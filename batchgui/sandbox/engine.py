"""The scheduler and executor: one thread that places RUNNABLE jobs and runs them as host processes.

Scheduling (each pass, when something changed): job queues by priority (highest first), each
queue's RUNNABLE jobs in FIFO order, each job onto the first compute environment in the queue's
order with free capacity.
- FARGATE / FARGATE_SPOT: the vCPUs of STARTING+RUNNING jobs stay within maxvCpus; a job starts
  `fargate_start_delay_s` after placement.
- EC2 / SPOT: a simulated fleet of instances of the CE's types (`optimal` = c5/m5/r5 families).
  Jobs are bin-packed by vCPU and memory onto ready instances (best fit); unmet demand launches
  instances (up to maxvCpus) that become ready after `ec2_provision_delay_s`; idle instances are
  drained after `ec2_idle_drain_s`, down to minvCpus. `desiredvCpus` reports the fleet.
- A job that fits no CE of its queue even when empty stays RUNNABLE with AWS's statusReason
  `MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ...`; the queue's jobStateTimeLimitActions cancel it.

Execution: the container command runs in exec form as a host process in its own session/process
group, with the job's environment, the sandbox's endpoint/region/credentials and AWS_BATCH_* set,
stdin from /dev/null and stdout+stderr merged into one pipe that the engine reads with a selector
(one thread for all jobs). Exits are noticed through pidfds (polled where unavailable). Output
lines are written to CloudWatch Logs every tick while the job runs. A bare `python`/`python3`
command resolves to the sandbox's own interpreter (`sys.executable`, or `SandboxSettings.python` /
the BATCHGUI_SANDBOX_PYTHON environment variable where that is not a Python, e.g. a frozen app),
and the interpreter's
directory leads PATH, the way a container image supplies its own Python.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import json
import logging
import math
import os
import queue
import selectors
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchgui.sandbox import instances, lifecycle, logs_api
from batchgui.sandbox.settings import ACCOUNT_ID, SandboxSettings
from batchgui.sandbox.store import ACTIVE, Store

log = logging.getLogger(__name__)

Json = dict[str, Any]
FARGATE_TYPES = ("FARGATE", "FARGATE_SPOT")
CANNOT_START = 'CannotStartContainerError: Error response from daemon: failed to create task: exec: "'
ESSENTIAL_EXITED = "Essential container in task exited"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
MAX_RESOURCE_REASON = (
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the "
    "CPU requirement of the job."
)
MISCONFIG_REASON = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) "
    "is higher than "
    "that can be met by the CE(s) attached to the job queue."
)
MAX_LINE = 256 * 1024
# Process start (fork/exec) releases the GIL: a few threads start processes in parallel.
SPAWN_THREADS = 4
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def python_executable(configured: str | None) -> str:
    """The interpreter a job's bare `python` runs."""
    return configured or os.environ.get("BATCHGUI_SANDBOX_PYTHON") or sys.executable


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Instance:
    instance_id: str
    itype: instances.InstanceType
    ready_at: float
    used_vcpus: float = 0.0
    used_mem: int = 0
    jobs: set[str] = field(default_factory=set)
    idle_since: float = field(default_factory=time.monotonic)

    def free(self) -> tuple[float, int]:
        return self.itype.vcpus - self.used_vcpus, self.itype.memory_mib - self.used_mem


@dataclass
class Placement:
    job_id: str
    parent_id: str | None
    index: int | None
    queue_arn: str
    ce_arn: str
    vcpus: float
    memory: int
    ready_at: float
    instance: Instance | None = None


@dataclass
class Running:
    placement: Placement
    proc: subprocess.Popen[bytes]
    fd: int
    pidfd: int | None
    stream_key: tuple[str, str]
    started_ms: int
    task_arn: str
    deadline: float | None
    workdir: Path
    partial: bytes = b""
    eof: bool = False
    exited: bool = False
    term_at: float | None = None
    stop_reason: str | None = None
    terminated: bool = False


@dataclass
class SpawnRequest:
    placement: Placement
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    stream_key: tuple[str, str]
    task_arn: str
    timeout: int | None


@dataclass
class SpawnResult:
    request: SpawnRequest
    proc: subprocess.Popen[bytes] | None
    pidfd: int | None
    error: OSError | None
    started_ms: int


@dataclass
class Finished:
    placement: Placement
    started_ms: int
    stopped_ms: int
    exit_code: int | None
    status_reason: str
    container_reason: str | None
    stream: str | None
    task_arn: str | None
    terminated: bool


class Engine:
    def __init__(  # noqa: PLR0917
        self,
        store: Store,
        settings: SandboxSettings,
        data_dir: Path,
        endpoint_url: str,
        region: str,
        access_key: str,
        secret_key: str,
    ) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = data_dir
        self._python = python_executable(settings.python)
        self._job_env_base = self._base_env(endpoint_url, region, access_key, secret_key, self._python)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", ""))
        self._lock = threading.Lock()
        self._kill_requests: list[tuple[str, str]] = []
        self._wake_pending = False
        self._sleeping_until = float("inf")
        self._stop_deadline = time.monotonic() + 5.0
        self._fds_closed = False
        self._cleanup: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._cleaner: threading.Thread | None = None
        self._spawn_queue: queue.SimpleQueue[SpawnRequest | None] = queue.SimpleQueue()
        self._spawners: list[threading.Thread] = []
        self._spawning: dict[str, Placement] = {}
        self._spawned: queue.SimpleQueue[SpawnResult] = queue.SimpleQueue()
        self._kill_after_spawn: dict[str, str] = {}
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._dirty = True
        self._resources_dirty = True
        self._placed: dict[str, Placement] = {}  # STARTING, waiting for ready_at
        self._running: dict[str, Running] = {}
        self._finished: list[Finished] = []
        self._started: list[Running] = []
        self._logs: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self._stream_ids: dict[tuple[str, str], int] = {}
        self._fleet: dict[str, list[Instance]] = {}
        self._ce_cache: dict[str, Json] = {}
        self._queue_cache: list[Json] = []
        self._spec_cache: dict[str, Json] = {}
        self._usage: dict[str, float] = {}  # Fargate CE arn -> vCPUs of placed jobs
        self._next_transition: float | None = None
        self._last_flush = 0.0
        self._has_pidfd = hasattr(os, "pidfd_open")
        self._max_processes = self._process_cap()
        self._pending_demand: dict[str, list[tuple[float, int]]] = {}
        self._share_usage: dict[tuple[str, str], tuple[float, float]] = {}
        self._requested_desired: dict[str, int] = {}

    # ---- public, thread-safe --------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-engine", daemon=True)
        self._thread.start()
        self._cleaner = threading.Thread(target=self._cleanup_loop, name="sandbox-cleanup", daemon=True)
        self._cleaner.start()
        for n in range(SPAWN_THREADS):
            spawner = threading.Thread(target=self._spawn_loop, name=f"sandbox-spawn-{n}", daemon=True)
            spawner.start()
            self._spawners.append(spawner)

    def wake(self, resources_changed: bool = False) -> None:
        self._dirty = True
        if resources_changed:
            self._resources_dirty = True
        # One byte in the pipe is enough, and none if the engine looks again within a tick anyway:
        # API threads should not pay for a syscall (and a thread switch) per request.
        if time.monotonic() + self.settings.tick_s >= self._sleeping_until:
            return
        if not self._wake_pending and not self._fds_closed:
            self._wake_pending = True
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._wake_w, b"x")

    def kill(self, job_ids: list[str], reason: str) -> None:
        with self._lock:
            self._kill_requests.extend((j, reason) for j in job_ids)
        self.wake()

    def stop(self, deadline: float) -> None:
        self._stop_deadline = deadline
        self._stop_event.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        if self._thread is None or not self._thread.is_alive():
            self._kill_all()
            with contextlib.suppress(OSError):
                self._selector.close()
            self._fds_closed = True
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._cleaner is not None:
            # Leftover empty directories are harmless; don't let them delay stop().
            while True:
                try:
                    self._cleanup.get_nowait()
                except queue.Empty:
                    break
            self._cleanup.put(None)
            self._cleaner.join(max(0.1, deadline - time.monotonic()))

    def workdir(self, job_id: str, attempt: int) -> Path:
        """The job attempt's working directory (removed afterwards if the job left it empty)."""
        return self.data_dir / "jobs" / f"{job_id.replace(':', '_')}-attempt-{attempt}"

    def _cleanup_loop(self) -> None:
        # rmdir costs milliseconds on some filesystems: keep it off the dispatch thread.
        while True:
            path = self._cleanup.get()
            if path is None:
                return
            with contextlib.suppress(OSError):
                path.rmdir()

    def stop_job_locked(
        self, conn: sqlite3.Connection, job_id: str, reason: str, terminate: bool
    ) -> list[str]:
        """Cancel/terminate one job inside the caller's write transaction.

        Queued jobs fail at once; STARTING/RUNNING ones are returned for `kill` when terminating
        (CancelJob leaves them running, as AWS does).
        """
        row = conn.execute("SELECT status, parent_id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
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
            conn.execute("UPDATE jobs SET is_terminated = 1 WHERE job_id = ?", (job_id,))
            return [job_id]
        return []

    # ---- start-up recovery ----------------------------------------------------------------------
    def recover_after_restart(self) -> None:
        """Jobs that were STARTING/RUNNING when the sandbox last stopped: retry or fail them."""
        now = now_ms()
        with self.store.write() as conn:
            queues = [r[0] for r in conn.execute("SELECT arn FROM job_queues")]
            rows: list[tuple[Any, ...]] = []
            for q in queues:
                rows += conn.execute(
                    "SELECT job_id, parent_id, status, attempts, started_at, log_stream, task_arn, ce "
                    "FROM jobs WHERE queue = ? AND status IN ('STARTING', 'RUNNING')",
                    (q,),
                ).fetchall()
            finished: list[str] = []
            for job_id, parent_id, status, attempts_text, started, stream, task_arn, ce in rows:
                ce_data = self._load_ce(conn, ce) if ce else None
                fargate = bool(ce_data and ce_data.get("computeResources", {}).get("type") in FARGATE_TYPES)
                reason = (
                    "Task stopped: the local sandbox stopped while the job was running"
                    if fargate
                    else "Host EC2 terminated: the local sandbox stopped while the job was running"
                )
                attempts = json.loads(attempts_text)
                if status == "RUNNING":
                    attempt: Json = {
                        "container": {
                            "logStreamName": stream or "",
                            "taskArn": task_arn or "",
                            "networkInterfaces": [],
                        },
                        "startedAt": started or now,
                        "stoppedAt": now,
                        "statusReason": reason,
                    }
                    attempts.append(attempt)
                spec = self._spec_for(conn, job_id, parent_id)
                if status == "STARTING":
                    # Placed but never started: nothing ran, so no attempt is used up.
                    lifecycle.set_status(
                        conn, job_id, parent_id, status, "RUNNABLE", runnable_at=now, ce=None, instance=None
                    )
                    continue
                if self._should_retry(spec, attempts, reason, None, None):
                    lifecycle.set_status(
                        conn,
                        job_id,
                        parent_id,
                        status,
                        "RUNNABLE",
                        attempts=json.dumps(attempts),
                        runnable_at=now,
                        status_reason=None,
                        ce=None,
                        instance=None,
                    )
                else:
                    lifecycle.set_status(
                        conn,
                        job_id,
                        parent_id,
                        status,
                        "FAILED",
                        attempts=json.dumps(attempts),
                        status_reason=reason,
                        stopped_at=now,
                        container_reason=None,
                    )
                    finished.append(job_id)
            lifecycle.propagate(conn, finished, now)

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
            self._kill_all()

    def _iterate(self) -> None:
        # Published before `_timeout()` reads `_dirty`, so a wake() racing with it always writes.
        self._sleeping_until = float("inf")
        timeout = self._timeout()
        self._sleeping_until = time.monotonic() + timeout
        for key, _mask in self._selector.select(timeout):
            kind, job_id = key.data
            if kind == "wake":
                self._wake_pending = False
                with contextlib.suppress(BlockingIOError, OSError):
                    while os.read(self._wake_r, 4096):
                        pass
            elif kind == "out":
                self._read_output(job_id)
            elif kind == "exit":
                self._on_exit(job_id)
        if self._stop_event.is_set():
            return
        self._collect_spawned()
        self._poll_without_pidfd()
        self._handle_kills()
        now = time.monotonic()
        self._enforce_deadlines(now)
        self._spawn_due(now)
        if (
            self._finished
            or self._started
            or self._logs
            or self._dirty
            or self._timers_due(now)
            or now - self._last_flush > 1.0
        ):
            self._flush_and_schedule(now)

    def _timers_due(self, now: float) -> bool:
        """A CE/queue transition, an instance becoming ready, or an idle instance to drain."""
        if self._next_transition is not None and self._next_transition <= now:
            return True
        last = self._last_flush
        for fleet in self._fleet.values():
            for inst in fleet:
                if last < inst.ready_at <= now:
                    return True
                if not inst.jobs and last < inst.idle_since + self.settings.ec2_idle_drain_s <= now:
                    return True
        return False

    def _timeout(self) -> float:
        if self._dirty or self._finished or self._started:
            return (
                0.0 if time.monotonic() - self._last_flush >= self.settings.tick_s else self.settings.tick_s
            )
        deadlines = [p.ready_at for p in self._placed.values()]
        deadlines += [r.deadline for r in self._running.values() if r.deadline is not None]
        deadlines += [r.term_at + self.settings.kill_grace_s for r in self._running.values() if r.term_at]
        if self._next_transition is not None:
            deadlines.append(self._next_transition)
        for fleet in self._fleet.values():
            deadlines += [i.ready_at for i in fleet if i.ready_at > time.monotonic()]
            deadlines += [i.idle_since + self.settings.ec2_idle_drain_s for i in fleet if not i.jobs]
        if self._logs:
            deadlines.append(self._last_flush + self.settings.tick_s)
        if not self._has_pidfd and self._running:
            deadlines.append(time.monotonic() + self.settings.tick_s)
        wait = min(deadlines, default=time.monotonic() + 1.0) - time.monotonic()
        return min(max(wait, 0.0), 1.0)

    # ---- processes ------------------------------------------------------------------------------
    @staticmethod
    def _process_cap() -> int:
        try:
            import resource

            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft < hard:
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                    soft = hard
            return max(8, (soft - 256) // 3)
        except ImportError:  # pragma: no cover - not POSIX
            return 256

    @staticmethod
    def _base_env(
        endpoint_url: str, region: str, access_key: str, secret_key: str, python: str
    ) -> dict[str, str]:
        interpreter_dir = str(Path(python).parent)
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        env = {
            "PATH": interpreter_dir + os.pathsep + path,
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": PACKAGE_ROOT,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            # No shared config: a job must reach the sandbox, never the user's real AWS profile.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for key in ("TZ", "TMPDIR", "LC_ALL", "SYSTEMROOT"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def _spec_for(self, conn: sqlite3.Connection, job_id: str, parent_id: str | None) -> Json:
        key = parent_id or job_id
        spec = self._spec_cache.get(key)
        if spec is None:
            row = conn.execute("SELECT spec FROM jobs WHERE job_id = ?", (key,)).fetchone()
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
            for placement in sorted(due, key=lambda p: p.ready_at):
                del self._placed[placement.job_id]
                self._spawn(conn, placement)

    def _spawn(self, conn: sqlite3.Connection, placement: Placement) -> None:
        job_id = placement.job_id
        spec = self._spec_for(conn, job_id, placement.parent_id)
        row = conn.execute("SELECT attempts FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        attempt_no = len(json.loads(row[0])) + 1 if row else 1
        container: Json = spec.get("container", {})
        ce = self._ce_cache.get(placement.ce_arn, {})
        queue = next((q for q in self._queue_cache if q["jobQueueArn"] == placement.queue_arn), {})
        task_id = uuid.uuid4().hex
        stream = f"{spec.get('_streamPrefix', 'default')}/default/{task_id}"
        group = str(spec.get("_logGroup", "/aws/batch/job"))
        task_arn = f"arn:aws:ecs:{self._job_env_base['AWS_DEFAULT_REGION']}:{ACCOUNT_ID}:task/{task_id}"
        env = dict(self._job_env_base)
        for item in container.get("environment") or []:
            env[str(item["name"])] = str(item.get("value", ""))
        env.update(
            {
                "AWS_BATCH_JOB_ID": job_id,
                "AWS_BATCH_JOB_ATTEMPT": str(attempt_no),
                "AWS_BATCH_JQ_NAME": str(queue.get("jobQueueName", "")),
                "AWS_BATCH_CE_NAME": str(ce.get("computeEnvironmentName", "")),
            }
        )
        if placement.index is not None:
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(placement.index)
            env["AWS_BATCH_JOB_ARRAY_SIZE"] = str((spec.get("arrayProperties") or {}).get("size", ""))
        if placement.instance is not None:
            env["AWS_BATCH_JOB_INSTANCE_ID"] = placement.instance.instance_id
        workdir = self.workdir(job_id, attempt_no)
        argv = [str(a) for a in container.get("command") or []]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = self._python
        timeout = (spec.get("timeout") or {}).get("attemptDurationSeconds")
        env.setdefault("HOME", str(workdir))
        request = SpawnRequest(placement, argv, env, workdir, (group, stream), task_arn, timeout)
        self._spawning[job_id] = placement
        self._spawn_queue.put(request)

    def _spawn_loop(self) -> None:
        while True:
            request = self._spawn_queue.get()
            if request is None:
                return
            self._spawn_worker(request)

    def _spawn_worker(self, request: SpawnRequest) -> None:
        """On a spawner thread: process start (fork/exec) is the cost, and it runs in parallel."""
        proc: subprocess.Popen[bytes] | None = None
        pidfd: int | None = None
        error: OSError | None = None
        started = now_ms()
        try:
            if not request.argv:
                raise FileNotFoundError(
                    errno.ENOENT, "no command given and the sandbox has no image entrypoint"
                )
            try:
                request.workdir.mkdir()
            except FileNotFoundError:
                request.workdir.parent.mkdir(parents=True, exist_ok=True)
                request.workdir.mkdir()
            except FileExistsError:
                pass
            proc = subprocess.Popen(
                request.argv,
                cwd=request.workdir,
                env=request.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                bufsize=0,
            )
            if self._has_pidfd:
                with contextlib.suppress(OSError):
                    pidfd = os.pidfd_open(proc.pid)
        except OSError as exc:
            error = exc
        self._spawned.put(SpawnResult(request, proc, pidfd, error, started))
        self.wake()

    def _collect_spawned(self) -> None:
        while True:
            try:
                result = self._spawned.get_nowait()
            except queue.Empty:
                return
            request = result.request
            placement = request.placement
            job_id = placement.job_id
            self._spawning.pop(job_id, None)
            if result.proc is None:
                exc = result.error
                what = request.argv[0] if request.argv else "(none)"
                message = f'{CANNOT_START}{what}": {(exc.strerror if exc else None) or exc}'
                if isinstance(exc, FileNotFoundError) and request.argv:
                    message = f'{CANNOT_START}{what}": executable file not found in $PATH'
                self._finished.append(
                    Finished(
                        placement, result.started_ms, now_ms(), None, message, message, None, None, False
                    )
                )
                self._cleanup.put(request.workdir)
                continue
            proc = result.proc
            assert proc.stdout is not None
            fd = proc.stdout.fileno()
            os.set_blocking(fd, False)
            running = Running(
                placement=placement,
                proc=proc,
                fd=fd,
                pidfd=result.pidfd,
                stream_key=request.stream_key,
                started_ms=result.started_ms,
                task_arn=request.task_arn,
                deadline=(time.monotonic() + request.timeout) if request.timeout else None,
                workdir=request.workdir,
            )
            self._running[job_id] = running
            self._selector.register(fd, selectors.EVENT_READ, ("out", job_id))
            if result.pidfd is not None:
                self._selector.register(result.pidfd, selectors.EVENT_READ, ("exit", job_id))
            self._started.append(running)
            reason = self._kill_after_spawn.pop(job_id, None)
            if reason is not None:
                running.stop_reason = reason
                running.terminated = True
                running.term_at = time.monotonic()
                self._signal(running, signal.SIGTERM)

    def _read_output(self, job_id: str) -> None:
        running = self._running.get(job_id)
        if running is None or running.eof:
            return
        while True:
            try:
                data = os.read(running.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                running.eof = True
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(running.fd)
                self._emit(running, b"", final=True)
                if running.exited or running.pidfd is None:
                    self._maybe_finish(job_id)
                return
            self._emit(running, data, final=False)
            if len(data) < 65536:
                return

    def _emit(self, running: Running, data: bytes, final: bool) -> None:
        buf = running.partial + data
        lines = buf.split(b"\n")
        running.partial = b"" if final else lines.pop()
        if final and lines and lines[-1] == b"":
            lines.pop()
        if len(running.partial) > MAX_LINE:
            lines.append(running.partial)
            running.partial = b""
        if not lines:
            return
        ts = now_ms()
        events = self._logs.setdefault(running.stream_key, [])
        for line in lines:
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            for start in range(0, max(len(text), 1), MAX_LINE):
                events.append((ts, text[start : start + MAX_LINE]))

    def _on_exit(self, job_id: str) -> None:
        running = self._running.get(job_id)
        if running is None:
            return
        running.exited = True
        if running.pidfd is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(running.pidfd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.proc.wait(timeout=1.0)
        # Anything the process wrote just before exiting, then end leftovers in its process group
        # (a container's other processes die with it).
        self._read_output(job_id)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.proc.pid, signal.SIGKILL)
        if not running.eof:
            running.eof = True
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(running.fd)
            self._emit(running, b"", final=True)
        self._maybe_finish(job_id)

    def _poll_without_pidfd(self) -> None:
        if self._has_pidfd:
            return
        for job_id, running in list(self._running.items()):
            if running.pidfd is None and running.proc.poll() is not None:
                self._on_exit(job_id)

    def _maybe_finish(self, job_id: str) -> None:
        running = self._running.get(job_id)
        if running is None or running.proc.poll() is None:
            return
        del self._running[job_id]
        if running.pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(running.pidfd)
        if running.proc.stdout is not None:
            running.proc.stdout.close()
        rc = running.proc.returncode
        exit_code = 128 - rc if rc < 0 else rc
        reason = running.stop_reason or ESSENTIAL_EXITED
        self._finished.append(
            Finished(
                running.placement,
                running.started_ms,
                now_ms(),
                exit_code,
                reason,
                None,
                running.stream_key[1],
                running.task_arn,
                running.terminated,
            )
        )
        self._cleanup.put(running.workdir)

    def _signal(self, running: Running, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.proc.pid, sig)

    def _handle_kills(self) -> None:
        with self._lock:
            requests, self._kill_requests = self._kill_requests, []
        for job_id, reason in requests:
            running = self._running.get(job_id)
            if running is not None:
                if running.term_at is None:
                    running.stop_reason = reason
                    running.terminated = True
                    running.term_at = time.monotonic()
                    self._signal(running, signal.SIGTERM)
                continue
            if job_id in self._spawning:
                self._kill_after_spawn[job_id] = reason
                continue
            placement = self._placed.pop(job_id, None)
            if placement is not None:
                now = now_ms()
                self._finished.append(Finished(placement, now, now, None, reason, None, None, None, True))

    def _enforce_deadlines(self, now: float) -> None:
        for running in list(self._running.values()):
            if running.term_at is None and running.deadline is not None and now >= running.deadline:
                running.stop_reason = TIMEOUT_REASON
                running.term_at = now
                self._signal(running, signal.SIGTERM)
            elif running.term_at is not None and now >= running.term_at + self.settings.kill_grace_s:
                self._signal(running, signal.SIGKILL)

    def _time_left(self) -> float:
        """What remains of stop()'s time budget (a little at least, so SIGKILLed children are reaped)."""
        return max(0.05, self._stop_deadline - time.monotonic())

    def _stop_spawners(self) -> None:
        while True:  # requests not started yet are dropped; their jobs fail over at the next start
            try:
                self._spawn_queue.get_nowait()
            except queue.Empty:
                break
        for _ in self._spawners:
            self._spawn_queue.put(None)
        for spawner in self._spawners:
            spawner.join(self._time_left())
        self._spawners = []

    def _kill_all(self) -> None:
        self._stop_spawners()
        self._collect_spawned()
        for running in list(self._running.values()):
            self._signal(running, signal.SIGKILL)
        for running in list(self._running.values()):
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                running.proc.wait(timeout=self._time_left())
            if running.pidfd is not None:
                with contextlib.suppress(OSError):
                    os.close(running.pidfd)
            if running.proc.stdout is not None:
                with contextlib.suppress(OSError):
                    running.proc.stdout.close()
        self._running.clear()

    # ---- retry rules ----------------------------------------------------------------------------
    @staticmethod
    def _should_retry(
        spec: Json, attempts: list[Json], status_reason: str, reason: str | None, exit_code: int | None
    ) -> bool:
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

    # ---- database side --------------------------------------------------------------------------
    def _flush_and_schedule(self, now: float) -> None:
        self._dirty = False
        self._last_flush = now
        stamp = now_ms()
        with self.store.write() as conn:
            self._write_started(conn)
            self._write_logs(conn, stamp)
            self._write_finished(conn, stamp)
            self._transitions(conn)
            self._advance_submitted(conn, stamp)
            self._apply_time_limits(conn, stamp)
            self._schedule(conn, stamp)
            self._scale_fleets(conn)

    def _write_started(self, conn: sqlite3.Connection) -> None:
        started, self._started = self._started, []
        for running in started:
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
        pending, self._logs = self._logs, {}
        for (group, stream), events in pending.items():
            logs_api.append_events(conn, self._stream_id(conn, group, stream, stamp), events, stamp)

    def _release(self, placement: Placement) -> None:
        if placement.instance is not None:
            inst = placement.instance
            inst.used_vcpus -= placement.vcpus
            inst.used_mem -= placement.memory
            inst.jobs.discard(placement.job_id)
            if not inst.jobs:
                inst.idle_since = time.monotonic()
        else:
            self._usage[placement.ce_arn] = max(0.0, self._usage.get(placement.ce_arn, 0.0) - placement.vcpus)

    def _write_finished(self, conn: sqlite3.Connection, stamp: int) -> None:
        finished, self._finished = self._finished, []
        done: list[str] = []
        for f in finished:
            p = f.placement
            self._release(p)
            row = conn.execute("SELECT status, attempts FROM jobs WHERE job_id = ?", (p.job_id,)).fetchone()
            if row is None or row[0] not in ("STARTING", "RUNNING"):
                continue
            status, attempts_text = row
            attempts = json.loads(attempts_text)
            container: Json = {"networkInterfaces": []}
            if f.exit_code is not None:
                container["exitCode"] = f.exit_code
            if f.container_reason:
                container["reason"] = f.container_reason
            if f.stream:
                container["logStreamName"] = f.stream
            if f.task_arn:
                container["taskArn"] = f.task_arn
            if p.instance is not None:
                container["containerInstanceArn"] = (
                    f"arn:aws:ecs:{self._job_env_base['AWS_DEFAULT_REGION']}:{ACCOUNT_ID}:"
                    f"container-instance/{p.instance.instance_id}"
                )
            attempts.append(
                {
                    "container": container,
                    "startedAt": f.started_ms,
                    "stoppedAt": f.stopped_ms,
                    "statusReason": f.status_reason,
                }
            )
            common: dict[str, Any] = {
                "attempts": json.dumps(attempts),
                "exit_code": f.exit_code,
                "container_reason": f.container_reason,
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
            if not f.terminated and self._should_retry(
                spec, attempts, f.status_reason, f.container_reason, f.exit_code
            ):
                lifecycle.set_status(
                    conn,
                    p.job_id,
                    p.parent_id,
                    status,
                    "RUNNABLE",
                    runnable_at=stamp,
                    status_reason=None,
                    ce=None,
                    instance=None,
                    **common,
                )
                continue
            lifecycle.set_status(
                conn,
                p.job_id,
                p.parent_id,
                status,
                "FAILED",
                stopped_at=f.stopped_ms,
                status_reason=f.status_reason,
                **common,
            )
            done.append(p.job_id)
        if done:
            lifecycle.propagate(conn, done, stamp)
            self._dirty = True

    def _load_ce(self, conn: sqlite3.Connection, ce_arn: str) -> Json | None:
        row = conn.execute("SELECT data FROM compute_environments WHERE arn = ?", (ce_arn,)).fetchone()
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
        for table, label in (("compute_environments", "Compute environment"), ("job_queues", "JobQueue")):
            for name, status, data_text in conn.execute(
                f"SELECT name, status, data FROM {table} "
                "WHERE transition_at IS NOT NULL AND transition_at <= ?",
                (wall,),
            ).fetchall():
                data = json.loads(data_text)
                data["status"] = "DELETED" if status == "DELETING" else "VALID"
                data["statusReason"] = f"{label} {'deleted' if status == 'DELETING' else 'is VALID'}"
                if table == "compute_environments" and status != "DELETING":
                    data["statusReason"] = "ComputeEnvironment Healthy"
                conn.execute(
                    f"UPDATE {table} SET status = ?, transition_at = NULL, data = ? WHERE name = ?",
                    (data["status"], json.dumps(data), name),
                )
                if table == "job_queues" and status == "DELETING":
                    self._fail_queue_jobs(conn, data["jobQueueArn"])
                changed = True
        row = conn.execute(
            "SELECT MIN(t) FROM (SELECT MIN(transition_at) AS t FROM compute_environments "
            "WHERE transition_at IS NOT NULL"
            " UNION ALL SELECT MIN(transition_at) FROM job_queues WHERE transition_at IS NOT NULL)"
        ).fetchone()
        self._next_transition = None if row[0] is None else time.monotonic() + max(0.0, float(row[0]) - wall)
        if changed or self._resources_dirty:
            self._resources_dirty = False
            self._ce_cache = {}
            for (data_text,) in conn.execute(
                "SELECT data FROM compute_environments WHERE status != 'DELETED'"
            ):
                ce = json.loads(data_text)
                self._ce_cache[ce["computeEnvironmentArn"]] = ce
            self._queue_cache = [
                json.loads(d)
                for (d,) in conn.execute("SELECT data FROM job_queues WHERE status != 'DELETED'")
            ]
            self._queue_cache.sort(key=lambda q: (-int(q["priority"]), q["jobQueueName"]))
            for ce_arn in list(self._fleet):
                if ce_arn not in self._ce_cache:
                    del self._fleet[ce_arn]
            for ce_arn, ce in self._ce_cache.items():
                res = ce.get("computeResources") or {}
                fleet_vcpus = sum(i.itype.vcpus for i in self._fleet.get(ce_arn, []))
                if res.get("type") in ("EC2", "SPOT") and int(res.get("desiredvCpus", 0)) > fleet_vcpus:
                    self._requested_desired[ce_arn] = int(res["desiredvCpus"])
            self._dirty = True

    def _fail_queue_jobs(self, conn: sqlite3.Connection, queue_arn: str) -> None:
        stamp = now_ms()
        reason = "Job queue was deleted"
        failed: list[str] = []
        for status in ("SUBMITTED", "PENDING", "RUNNABLE"):
            for job_id, parent_id in conn.execute(
                "SELECT job_id, parent_id FROM jobs WHERE queue = ? AND status = ?", (queue_arn, status)
            ).fetchall():
                lifecycle.set_status(
                    conn, job_id, parent_id, status, "FAILED", status_reason=reason, stopped_at=stamp
                )
                failed.append(job_id)
        lifecycle.propagate(conn, failed, stamp)
        running = [j for j, r in self._running.items() if r.placement.queue_arn == queue_arn]
        running += [j for j, p in self._placed.items() if p.queue_arn == queue_arn]
        running += [j for j, p in self._spawning.items() if p.queue_arn == queue_arn]
        with self._lock:
            self._kill_requests.extend((j, reason) for j in running)

    def _advance_submitted(self, conn: sqlite3.Connection, stamp: int) -> None:
        done: list[str] = []
        for q in self._queue_cache:
            for (job_id,) in conn.execute(
                "SELECT job_id FROM jobs WHERE queue = ? AND status = 'SUBMITTED' ORDER BY seq LIMIT 2000",
                (q["jobQueueArn"],),
            ).fetchall():
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
                    "SELECT job_id, parent_id FROM jobs WHERE queue = ? AND status = 'RUNNABLE' "
                    "AND runnable_at <= ? "
                    "AND status_reason LIKE ?",
                    (q["jobQueueArn"], cutoff, action["reason"] + "%"),
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
    def _ce_usable(self, ce: Json) -> bool:
        return ce.get("state") == "ENABLED" and ce.get("status") in ("VALID", "UPDATING")

    def _fargate_full(self, ce: Json) -> bool:
        res = ce.get("computeResources")
        if res is None or res["type"] not in FARGATE_TYPES:
            return False
        # 0.25 vCPU is the smallest Fargate job.
        return self._usage.get(ce["computeEnvironmentArn"], 0.0) + 0.25 > float(res["maxvCpus"]) + 1e-9

    def _misfit_reason(self, ces: list[Json], vcpus: float, memory: int) -> str | None:
        """AWS's RUNNABLE statusReason for a job no CE of its queue could ever run, else None."""
        if any(self._ce_max_fit(ce, vcpus, memory) for ce in ces):
            return None
        for ce in ces:
            res = ce.get("computeResources")
            if res is None:
                continue
            if res["type"] in FARGATE_TYPES:
                return MAX_RESOURCE_REASON
            if any(
                t.vcpus >= vcpus and t.memory_mib >= memory
                for t in instances.expand(list(res.get("instanceTypes") or []))
            ):
                return MAX_RESOURCE_REASON  # an instance type would do, but maxvCpus is too small
        return MISCONFIG_REASON

    def _ce_max_fit(self, ce: Json, vcpus: float, memory: int) -> bool:
        """Could the CE ever run this job (empty, at maxvCpus)?"""
        res = ce.get("computeResources")
        if res is None:
            return vcpus <= float(ce.get("unmanagedvCpus", 0))
        if res["type"] in FARGATE_TYPES:
            return vcpus <= float(res["maxvCpus"])
        return any(
            t.vcpus >= vcpus and t.memory_mib >= memory and t.vcpus <= res["maxvCpus"]
            for t in instances.expand(list(res.get("instanceTypes") or []))
        )

    def _schedule(self, conn: sqlite3.Connection, stamp: int) -> None:
        demand: dict[str, list[tuple[float, int]]] = {}
        delay_fargate = self.settings.fargate_start_delay_s
        delay_ec2 = self.settings.ec2_start_delay_s
        now = time.monotonic()
        for q in self._queue_cache:
            if q.get("state") != "ENABLED" or q.get("status") not in ("VALID", "UPDATING"):
                continue
            ces = [
                self._ce_cache[o["computeEnvironment"]]
                for o in q["computeEnvironmentOrder"]
                if o["computeEnvironment"] in self._ce_cache
            ]
            usable = [ce for ce in ces if self._ce_usable(ce)]
            if not usable or all(self._fargate_full(ce) for ce in usable):
                continue
            misses = 0
            rows = conn.execute(
                "SELECT job_id, parent_id, array_index, vcpus, memory, status_reason, share FROM jobs "
                "WHERE queue = ? AND status = 'RUNNABLE' ORDER BY seq LIMIT 300",
                (q["jobQueueArn"],),
            ).fetchall()
            if q.get("schedulingPolicyArn"):
                rows = self._fair_share_order(conn, q, rows)
            for job_id, parent_id, index, vcpus, memory, reason, share in rows:
                if len(self._running) + len(self._placed) + len(self._spawning) >= self._max_processes:
                    return
                placed = False
                for ce in usable:
                    placement = self._try_place(
                        ce,
                        job_id,
                        parent_id,
                        index,
                        q["jobQueueArn"],
                        float(vcpus),
                        int(memory),
                        now,
                        delay_fargate,
                        delay_ec2,
                    )
                    if placement is not None:
                        if lifecycle.set_status(
                            conn,
                            job_id,
                            parent_id,
                            "RUNNABLE",
                            "STARTING",
                            ce=ce["computeEnvironmentArn"],
                            instance=placement.instance.instance_id if placement.instance else None,
                            status_reason=None,
                        ):
                            self._placed[job_id] = placement
                            if q.get("schedulingPolicyArn"):
                                self._note_share_usage(q["jobQueueArn"], str(share or ""), float(vcpus))
                        else:
                            self._release(placement)
                        placed = True
                        break
                if placed:
                    misses = 0
                    continue
                misfit = self._misfit_reason(ces, float(vcpus), int(memory))
                if misfit is not None:
                    if not reason:
                        conn.execute("UPDATE jobs SET status_reason = ? WHERE job_id = ?", (misfit, job_id))
                    continue
                for ce in usable:
                    if ce.get("computeResources", {}).get("type") in ("EC2", "SPOT"):
                        demand.setdefault(ce["computeEnvironmentArn"], []).append((float(vcpus), int(memory)))
                        break
                misses += 1
                if misses >= 64:
                    break
        self._pending_demand = demand

    def _fair_share_order(
        self, conn: sqlite3.Connection, q: Json, rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Fair share: the next job comes from the share with the least usage times its weightFactor
        (a smaller weight gets more), FIFO within a share. Usage is the vCPUs in use, plus, with a
        shareDecaySeconds, the vCPUs placed recently, decaying over that time."""
        row = conn.execute(
            "SELECT data FROM scheduling_policies WHERE arn = ?", (q["schedulingPolicyArn"],)
        ).fetchone()
        policy = json.loads(row[0]) if row else {}
        distribution = (policy.get("fairsharePolicy") or {}).get("shareDistribution") or []
        decay = float((policy.get("fairsharePolicy") or {}).get("shareDecaySeconds") or 0)

        def weight(share: str) -> float:
            for entry in distribution:
                ident = str(entry["shareIdentifier"])
                if share == ident or (ident.endswith("*") and share.startswith(ident[:-1])):
                    return float(entry.get("weightFactor", 1.0)) or 1.0
            return 1.0

        usage: dict[str, float] = {}
        for status in ("STARTING", "RUNNING"):
            for share, vcpus in conn.execute(
                "SELECT share, SUM(vcpus) FROM jobs WHERE queue = ? AND status = ? GROUP BY share",
                (q["jobQueueArn"], status),
            ):
                usage[str(share or "")] = usage.get(str(share or ""), 0.0) + float(vcpus or 0)
        if decay > 0:
            for share, recent in self._decayed_usage(q["jobQueueArn"], decay).items():
                usage[share] = usage.get(share, 0.0) + recent
        queues: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        for position, r in enumerate(rows):  # rows come in FIFO (seq) order
            queues.setdefault(str(r[6] or ""), []).append((position, r))
        ordered: list[tuple[Any, ...]] = []
        heads = dict.fromkeys(queues, 0)
        while len(ordered) < len(rows):
            share = min(
                (s for s in queues if heads[s] < len(queues[s])),
                key=lambda s: (usage.get(s, 0.0) * weight(s), queues[s][heads[s]][0]),
            )
            job = queues[share][heads[share]][1]
            heads[share] += 1
            ordered.append(job)
            usage[share] = usage.get(share, 0.0) + float(job[3])
        return ordered

    def _decayed_usage(self, queue_arn: str, decay: float) -> dict[str, float]:
        now = time.monotonic()
        out: dict[str, float] = {}
        for (owner, share), (value, stamp) in list(self._share_usage.items()):
            if owner != queue_arn:
                continue
            decayed = value * math.exp(-(now - stamp) / decay)
            self._share_usage[(owner, share)] = (decayed, now)
            out[share] = decayed
        return out

    def _note_share_usage(self, queue_arn: str, share: str, vcpus: float) -> None:
        value, stamp = self._share_usage.get((queue_arn, share), (0.0, time.monotonic()))
        self._share_usage[(queue_arn, share)] = (value + vcpus, stamp)

    def _try_place(  # noqa: PLR0917
        self,
        ce: Json,
        job_id: str,
        parent_id: str | None,
        index: int | None,
        queue_arn: str,
        vcpus: float,
        memory: int,
        now: float,
        delay_fargate: float,
        delay_ec2: float,
    ) -> Placement | None:
        ce_arn = ce["computeEnvironmentArn"]
        res = ce.get("computeResources")
        if res is None or res["type"] in FARGATE_TYPES:
            cap = float(res["maxvCpus"]) if res is not None else float(ce.get("unmanagedvCpus", 0))
            used = self._usage.get(ce_arn, 0.0)
            if used + vcpus > cap + 1e-9:
                return None
            self._usage[ce_arn] = used + vcpus
            return Placement(job_id, parent_id, index, queue_arn, ce_arn, vcpus, memory, now + delay_fargate)
        best: Instance | None = None
        for inst in self._fleet.get(ce_arn, []):
            if inst.ready_at > now:
                continue
            free_v, free_m = inst.free()
            if free_v + 1e-9 >= vcpus and free_m >= memory and (best is None or free_v < best.free()[0]):
                best = inst
        if best is None:
            return None
        best.used_vcpus += vcpus
        best.used_mem += memory
        best.jobs.add(job_id)
        return Placement(job_id, parent_id, index, queue_arn, ce_arn, vcpus, memory, now + delay_ec2, best)

    def _scale_fleets(self, conn: sqlite3.Connection) -> None:
        demand = self._pending_demand
        now = time.monotonic()
        for ce_arn, ce in self._ce_cache.items():
            res = ce.get("computeResources")
            if res is None or res["type"] not in ("EC2", "SPOT"):
                continue
            fleet = self._fleet.setdefault(ce_arn, [])
            before = sum(i.itype.vcpus for i in fleet)
            types = instances.expand(list(res.get("instanceTypes") or []))
            max_v = int(res["maxvCpus"])
            min_v = int(res.get("minvCpus", 0))
            usable = self._ce_usable(ce)
            # Unmet demand: first pack it into instances still provisioning, then launch more.
            unmet = sorted(demand.get(ce_arn, []), reverse=True) if usable else []
            spare = [[i.free()[0], i.free()[1]] for i in fleet if i.ready_at > now]
            remaining: list[tuple[float, int]] = []
            for v, m in unmet:
                slot = next((s for s in spare if s[0] + 1e-9 >= v and s[1] >= m), None)
                if slot is None:
                    remaining.append((v, m))
                else:
                    slot[0] -= v
                    slot[1] -= m
            launches = 0
            while remaining and launches < 50:
                total_v = sum(i.itype.vcpus for i in fleet)
                headroom = max_v - total_v
                want_v = sum(v for v, _ in remaining)
                biggest = remaining[0]
                fitting = [
                    t
                    for t in types
                    if t.vcpus <= headroom and t.vcpus >= biggest[0] and t.memory_mib >= biggest[1]
                ]
                if not fitting:
                    break
                itype = next((t for t in fitting if t.vcpus >= want_v), fitting[-1])
                inst = Instance(
                    f"i-{uuid.uuid4().hex[:17]}", itype, now + self.settings.ec2_provision_delay_s
                )
                fleet.append(inst)
                launches += 1
                free_v, free_m = float(itype.vcpus), itype.memory_mib
                rest: list[tuple[float, int]] = []
                for v, m in remaining:
                    if free_v + 1e-9 >= v and free_m >= m:
                        free_v -= v
                        free_m -= m
                    else:
                        rest.append((v, m))
                remaining = rest
            # Keep at least minvCpus, and launch up to a desiredvCpus the user asked for.
            floor = max(min_v, min(max_v, self._requested_desired.pop(ce_arn, 0)))
            while sum(i.itype.vcpus for i in fleet) < floor and types:
                need = floor - sum(i.itype.vcpus for i in fleet)
                itype = next((t for t in types if t.vcpus >= need), types[-1])
                fleet.append(
                    Instance(f"i-{uuid.uuid4().hex[:17]}", itype, now + self.settings.ec2_provision_delay_s)
                )
            # Drain idle instances down to minvCpus.
            for inst in sorted(fleet, key=lambda i: i.idle_since):
                total_v = sum(i.itype.vcpus for i in fleet)
                idle = not inst.jobs and inst.ready_at <= now
                if (
                    idle
                    and now - inst.idle_since >= self.settings.ec2_idle_drain_s
                    and total_v - inst.itype.vcpus >= min_v
                ):
                    fleet.remove(inst)
            after = sum(i.itype.vcpus for i in fleet)
            if after != before or res.get("desiredvCpus") != after:
                res["desiredvCpus"] = after
                row = conn.execute(
                    "SELECT data FROM compute_environments WHERE arn = ?", (ce_arn,)
                ).fetchone()
                if row is not None:
                    data = json.loads(row[0])
                    if "computeResources" in data:
                        data["computeResources"]["desiredvCpus"] = after
                        conn.execute(
                            "UPDATE compute_environments SET data = ? WHERE arn = ?",
                            (json.dumps(data), ce_arn),
                        )
            if any(i.ready_at > now for i in fleet) or demand.get(ce_arn):
                self._dirty = self._dirty or any(i.ready_at <= now and not i.jobs for i in fleet)

    def active_statuses(self) -> tuple[str, ...]:
        return ACTIVE


def _glob(pattern: str | None, value: str) -> bool:
    if pattern is None:
        return True
    return fnmatch.fnmatchcase(value, pattern)
