"""The process executor: runs placed jobs as host processes and turns what they do into events.

Jobs are started by the launcher (launcher.py), a process of the sandbox's with an empty
environment that holds one end of a socket pair: when the sandbox dies, however it dies, the
launcher kills every job's process group, and each job dies with the launcher. The container
command runs in exec form in its own session/process group, with the job's environment (the
sandbox's endpoint/region/credentials and AWS_BATCH_* set, nothing of the host's secrets), stdin
from /dev/null and stdout+stderr merged into one pipe that is read with a selector (one thread for
all jobs). Output lines are buffered per log stream until the engine writes them to CloudWatch Logs;
timeouts and TerminateJob send SIGTERM to the job's process group, then SIGKILL after `kill_grace_s`.

Isolation (`BATCHGUI_SANDBOX_ISOLATION`: auto, bwrap or none; auto = bwrap when it is installed and
works): under bubblewrap a job sees read-only system directories (/usr, /bin, /lib*, /sbin, /etc,
/opt), the Python it runs and the batchgui package read-only, its own work directory writable, a
private /tmp, /proc of its own, and no home directory (so no ~/.aws). Without it a job is a plain
host process of the same user.

A bare `python`/`python3` command resolves to the sandbox's own interpreter (`sys.executable`, or
`SandboxSettings.python` / the BATCHGUI_SANDBOX_PYTHON environment variable where that is not a
Python, e.g. a frozen app), and the interpreter's directory leads PATH, the way a container image
supplies its own Python.

The engine drives it from its one thread: `wait()` sleeps in the selector until output, an exit or a
`wake()`; `take_started()` / `take_finished()` / `take_logs()` hand over what happened since.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import queue
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchgui.sandbox import ecs_metadata, launcher
from batchgui.sandbox.api.multinode import node_view
from batchgui.sandbox.fleet import Placed
from batchgui.sandbox.isolation import BWRAP, bwrap_prefix, isolation_mode, readable_roots, uncovered
from batchgui.sandbox.settings import ACCOUNT_ID, Endpoint, SandboxSettings

log = logging.getLogger(__name__)

CANNOT_START = 'CannotStartContainerError: Error response from daemon: failed to create task: exec: "'
ESSENTIAL_EXITED = "Essential container in task exited"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
LAUNCHER_GONE = "Task stopped: the sandbox's job launcher stopped"
MAX_LINE = 256 * 1024
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
LogEvents = dict[tuple[str, str], list[tuple[int, str]]]
LAUNCHER = ("launcher", "")


def python_executable(configured: str | None) -> str:
    """The interpreter a job's bare `python` runs."""
    return configured or os.environ.get("BATCHGUI_SANDBOX_PYTHON") or sys.executable


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Running:
    placement: Placed
    pid: int
    start: int | None  # /proc/PID/stat start time: the process group's identity across restarts
    fd: int
    stream_key: tuple[str, str]
    started_ms: int
    task_arn: str
    deadline: float | None
    workdir: Path
    partial: bytes = b""
    eof: bool = False
    exited: bool = False
    returncode: int | None = None
    term_at: float | None = None
    stop_reason: str | None = None
    terminated: bool = False


@dataclass(frozen=True)
class JobToRun:
    """What the executor needs from the job's record to start an attempt."""

    spec: dict[str, Any]
    attempt: int
    queue_name: str
    ce_name: str
    cluster_arn: str = ""


@dataclass
class SpawnRequest:
    placement: Placed
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    stream_key: tuple[str, str]
    task_arn: str
    timeout: int | None


@dataclass
class Finished:
    placement: Placed
    started_ms: int
    stopped_ms: int
    exit_code: int | None
    status_reason: str
    container_reason: str | None
    stream: str | None
    task_arn: str | None
    terminated: bool


@dataclass
class _Pending:
    request: SpawnRequest
    read_fd: int
    asked_ms: int


class Executor:
    def __init__(self, settings: SandboxSettings, data_dir: Path, endpoint: Endpoint) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.region = endpoint.region
        self._python = python_executable(settings.python)
        self._job_env_base = self.base_env(endpoint.url, endpoint.region, self._python)
        self.tasks = ecs_metadata.TaskEndpoints()  # ECS's metadata and credentials endpoints
        self.isolation = isolation_mode()
        self._bwrap = shutil.which(BWRAP) if self.isolation == BWRAP else None
        self._roots = uncovered(readable_roots(self._python))
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", ""))
        self._wake_pending = False
        self._sleeping_until = float("inf")
        self._stop_deadline = time.monotonic() + 5.0
        self._fds_closed = False
        self._cleanup: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._cleaner: threading.Thread | None = None
        self._control: socket.socket | None = None
        self._launcher: subprocess.Popen[bytes] | None = None
        self._inbox = b""
        self._spawning: dict[str, _Pending] = {}
        self._outbox: deque[tuple[str, bytes, int]] = deque()  # (job id, message, output pipe's write end)
        self._want_write = False
        self._kill_after_spawn: dict[str, str] = {}
        self._running: dict[str, Running] = {}
        self._by_pid: dict[int, str] = {}
        self._finished: list[Finished] = []
        self._started: list[Running] = []
        self._logs: LogEvents = {}
        self.max_processes = self.process_cap()

    def start(self) -> None:
        self._cleaner = threading.Thread(target=self._cleanup_loop, name="sandbox-cleanup", daemon=True)
        self._cleaner.start()
        self.tasks.start()
        self._start_launcher()

    def _start_launcher(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        frozen = getattr(sys, "frozen", False)
        script = ["-m", "batchgui.sandbox.launcher"] if frozen else ["-I", "-S", launcher.__file__]
        try:
            # An empty environment: what a job reads in /proc/$PPID/environ.
            self._launcher = subprocess.Popen(
                [sys.executable, *script, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env={},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            theirs.close()
        self._control = ours
        self._selector.register(ours, selectors.EVENT_READ, LAUNCHER)
        self._want_write = False
        log.info("sandbox jobs run with isolation: %s", self.isolation)

    # ---- the engine's view ----------------------------------------------------------------------
    def wake(self) -> None:
        # One byte in the pipe is enough, and none if the engine looks again within a tick anyway:
        # API threads should not pay for a syscall (and a thread switch) per request.
        if time.monotonic() + self.settings.tick_s >= self._sleeping_until:
            return
        if not self._wake_pending and not self._fds_closed:
            self._wake_pending = True
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._wake_w, b"x")

    def begin_wait(self) -> None:
        """Called before the engine computes its timeout, so a wake() racing with it always writes."""
        self._sleeping_until = float("inf")

    def wait(self, timeout: float) -> None:
        """Sleep until output, an exit, a wake() or `timeout`; read what arrived."""
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
            elif kind == "launcher":
                if _mask & selectors.EVENT_WRITE:
                    self._flush_outbox()
                if _mask & selectors.EVENT_READ:
                    self._read_launcher()

    def busy(self) -> int:
        """Processes running or starting."""
        return len(self._running) + len(self._spawning)

    def has_events(self) -> bool:
        return bool(self._finished or self._started)

    def has_logs(self) -> bool:
        return bool(self._logs)

    def take_started(self) -> list[Running]:
        started, self._started = self._started, []
        return started

    def take_finished(self) -> list[Finished]:
        finished, self._finished = self._finished, []
        return finished

    def take_logs(self) -> LogEvents:
        logs, self._logs = self._logs, {}
        return logs

    def finish_unstarted(self, placement: Placed, reason: str) -> None:
        """A placed job stopped before its process was asked for."""
        now = now_ms()
        self._finished.append(Finished(placement, now, now, None, reason, None, None, None, True))

    def jobs_in_queue(self, queue_arn: str) -> list[str]:
        running = [j for j, r in self._running.items() if r.placement.queue_arn == queue_arn]
        return running + [j for j, p in self._spawning.items() if p.request.placement.queue_arn == queue_arn]

    def deadlines(self) -> list[float]:
        out = [r.deadline for r in self._running.values() if r.deadline is not None]
        out += [r.term_at + self.settings.kill_grace_s for r in self._running.values() if r.term_at]
        return out

    def kill(self, job_id: str, reason: str) -> bool:
        """SIGTERM a running (or starting) job; False if it has no process."""
        running = self._running.get(job_id)
        if running is not None:
            if running.term_at is None:
                self._terminate(running, reason)
            return True
        if job_id in self._spawning:
            self._kill_after_spawn[job_id] = reason
            return True
        return False

    def _terminate(self, running: Running, reason: str) -> None:
        running.stop_reason = reason
        running.terminated = True
        running.term_at = time.monotonic()
        self._signal(running, signal.SIGTERM)

    def set_stop_deadline(self, deadline: float) -> None:
        self._stop_deadline = deadline

    def workdir(self, job_id: str, attempt: int) -> Path:
        """The job attempt's working directory (removed afterwards if the job left it empty)."""
        return self.data_dir / "jobs" / f"{job_id.replace(':', '_')}-attempt-{attempt}"

    def request(self, placement: Placed, job: JobToRun) -> SpawnRequest:
        """What to start for a placed job: its command, environment, work dir and log stream."""
        spec, node_env = node_view(job.spec, placement.index)  # a multi-node job's node
        container: dict[str, Any] = spec.get("container", {})
        task_id = uuid.uuid4().hex
        stream = f"{spec.get('_streamPrefix', 'default')}/default/{task_id}"
        group = str(spec.get("_logGroup", "/aws/batch/job"))
        task_arn = f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:task/{task_id}"
        env = dict(self._job_env_base)
        for item in container.get("environment") or []:
            env[str(item["name"])] = str(item.get("value", ""))
        env.update(
            {
                "AWS_BATCH_JOB_ID": placement.job_id,
                "AWS_BATCH_JOB_ATTEMPT": str(job.attempt),
                "AWS_BATCH_JQ_NAME": job.queue_name,
                "AWS_BATCH_CE_NAME": job.ce_name,
            }
        )
        env.update(node_env)
        if placement.index is not None and not node_env:
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(placement.index)
            env["AWS_BATCH_JOB_ARRAY_SIZE"] = str((spec.get("arrayProperties") or {}).get("size", ""))
        if placement.instance is not None:
            env["AWS_BATCH_JOB_INSTANCE_ID"] = placement.instance.instance_id
        instance_id = placement.instance.instance_id if placement.instance else None
        task = ecs_metadata.task_for(
            placement.job_id, spec, task_arn, job.cluster_arn, group, stream, self.region, instance_id
        )
        env.update(self.tasks.register(task))
        workdir = self.workdir(placement.job_id, job.attempt)
        argv = [str(a) for a in container.get("command") or []]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = self._python
        timeout = (spec.get("timeout") or {}).get("attemptDurationSeconds")
        env.setdefault("HOME", str(workdir))
        if self.isolation == BWRAP:
            env["TMPDIR"] = "/tmp"
        return SpawnRequest(placement, argv, env, workdir, (group, stream), task_arn, timeout)

    def _cleanup_loop(self) -> None:
        # rmdir costs milliseconds on some filesystems: keep it off the dispatch thread.
        while True:
            path = self._cleanup.get()
            if path is None:
                return
            with contextlib.suppress(OSError):
                path.rmdir()

    @staticmethod
    def process_cap() -> int:
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
    def base_env(endpoint_url: str, region: str, python: str) -> dict[str, str]:
        interpreter_dir = str(Path(python).parent)
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        env = {
            "PATH": interpreter_dir + os.pathsep + path,
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": PACKAGE_ROOT,
            "AWS_ENDPOINT_URL": endpoint_url,
            # No keys: botocore fetches the job's short-lived ones from the credentials endpoint.
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            # No shared config: a job must reach the sandbox, never the user's real AWS profile.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for key in ("TZ", "TMPDIR", "LC_ALL"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    # ---- processes ------------------------------------------------------------------------------
    def spawn(self, request: SpawnRequest) -> None:
        """Ask the launcher to start the job; its answer arrives through `wait()`."""
        job_id = request.placement.job_id
        asked = now_ms()
        if not request.argv:
            self._cannot_start(
                request,
                asked,
                FileNotFoundError(errno.ENOENT, "no command given and the sandbox has no image entrypoint"),
            )
            return
        # The launcher makes the work dir (a mkdir took milliseconds here, on the engine's thread).
        message: dict[str, Any] = {
            "op": "spawn",
            "id": job_id,
            "argv": request.argv,
            "env": request.env,
            "cwd": str(request.workdir),
        }
        if self._bwrap is not None:
            message["argv"] = [*bwrap_prefix(self._bwrap, request.workdir, self._roots), *request.argv]
            message["command"] = request.argv
        if self._control is None:
            self._cannot_start(request, asked, OSError(errno.EPIPE, "the job launcher is not running"))
            return
        read_fd, write_fd = os.pipe()
        self._spawning[job_id] = _Pending(request, read_fd, asked)
        # Never wait for the launcher here (the engine's one thread would stall with it): what
        # does not fit in the socket now is sent when it is writable again (wait()).
        self._outbox.append((job_id, json.dumps(message).encode(), write_fd))
        self._flush_outbox()

    def _flush_outbox(self) -> None:
        while self._outbox:
            job_id, payload, write_fd = self._outbox[0]
            try:
                if self._control is None:
                    raise OSError(errno.EPIPE, "the job launcher is not running")
                socket.send_fds(self._control, [payload], [write_fd], socket.MSG_DONTWAIT)
            except BlockingIOError:
                if not self._want_write and self._control is not None:
                    self._want_write = True
                    self._selector.modify(
                        self._control, selectors.EVENT_READ | selectors.EVENT_WRITE, LAUNCHER
                    )
                return
            except OSError as exc:
                self._outbox.popleft()
                os.close(write_fd)
                pending = self._spawning.pop(job_id, None)
                if pending is not None:
                    os.close(pending.read_fd)
                    self._cannot_start(pending.request, pending.asked_ms, exc)
                continue
            self._outbox.popleft()
            os.close(write_fd)
        if self._want_write and self._control is not None:
            self._want_write = False
            self._selector.modify(self._control, selectors.EVENT_READ, LAUNCHER)

    def _cannot_start(self, request: SpawnRequest, asked_ms: int, exc: OSError) -> None:
        what = request.argv[0] if request.argv else "(none)"
        message = f'{CANNOT_START}{what}": {exc.strerror or exc}'
        if exc.errno == errno.ENOENT and request.argv:
            message = f'{CANNOT_START}{what}": executable file not found in $PATH'
        self._finished.append(
            Finished(request.placement, asked_ms, now_ms(), None, message, message, None, None, False)
        )
        self.tasks.forget(request.placement.job_id)
        self._cleanup.put(request.workdir)

    def _read_launcher(self) -> None:
        assert self._control is not None
        while True:
            try:
                data = self._control.recv(launcher.MAX_MESSAGE, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._launcher_gone()
                return
            message = json.loads(data)
            op = message["op"]
            if op == "started":
                self._on_started(message)
            elif op == "failed":
                pending = self._spawning.pop(message["id"], None)
                if pending is not None:
                    os.close(pending.read_fd)
                    self._kill_after_spawn.pop(message["id"], None)
                    error = OSError(int(message["errno"]), str(message["error"]))
                    self._cannot_start(pending.request, pending.asked_ms, error)
            elif op == "exit":
                job_id = self._by_pid.pop(int(message["pid"]), None)
                if job_id is not None:
                    self._on_exit(job_id, int(message["status"]))

    def _on_started(self, message: dict[str, Any]) -> None:
        job_id = str(message["id"])
        pending = self._spawning.pop(job_id, None)
        if pending is None:
            return
        request = pending.request
        fd = pending.read_fd
        os.set_blocking(fd, False)
        running = Running(
            placement=request.placement,
            pid=int(message["pid"]),
            start=message.get("start"),
            fd=fd,
            stream_key=request.stream_key,
            started_ms=pending.asked_ms,
            task_arn=request.task_arn,
            deadline=(time.monotonic() + request.timeout) if request.timeout else None,
            workdir=request.workdir,
        )
        self._running[job_id] = running
        self._by_pid[running.pid] = job_id
        self._selector.register(fd, selectors.EVENT_READ, ("out", job_id))
        self._started.append(running)
        self.tasks.started(job_id, running.pid)
        reason = self._kill_after_spawn.pop(job_id, None)
        if reason is not None:
            self._terminate(running, reason)

    def _close_control(self) -> None:
        """Our end of the launcher's socket; unsent messages' pipes' write ends are ours to close."""
        if self._control is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(self._control)
            self._control.close()
            self._control = None
        self._drop_outbox()

    def _drop_outbox(self) -> None:
        while self._outbox:
            _job_id, _payload, write_fd = self._outbox.popleft()
            with contextlib.suppress(OSError):
                os.close(write_fd)
        self._want_write = False

    def _launcher_gone(self) -> None:
        """The launcher died (it killed its jobs as it went, or the kernel did): they failed."""
        self._close_control()
        for job_id, running in list(self._running.items()):
            self._signal(running, signal.SIGKILL)
            running.stop_reason = running.stop_reason or LAUNCHER_GONE
            self._on_exit(job_id, -signal.SIGKILL)
        for pending in list(self._spawning.values()):
            os.close(pending.read_fd)
            error = OSError(errno.EPIPE, "the job launcher stopped")
            self._cannot_start(pending.request, pending.asked_ms, error)
        self._spawning.clear()
        self._by_pid.clear()
        if self._launcher is not None and not self._fds_closed:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._launcher.wait(timeout=1.0)
            log.warning("the sandbox's job launcher stopped; starting a new one")
            self._start_launcher()

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
                if running.exited:
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

    def _on_exit(self, job_id: str, returncode: int) -> None:
        running = self._running.get(job_id)
        if running is None:
            return
        running.exited = True
        running.returncode = returncode
        # Anything the process wrote just before exiting, then end leftovers in its process group
        # (a container's other processes die with it).
        self._read_output(job_id)
        self._signal(running, signal.SIGKILL)
        if not running.eof:
            running.eof = True
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(running.fd)
            self._emit(running, b"", final=True)
        self._maybe_finish(job_id)

    def _maybe_finish(self, job_id: str) -> None:
        running = self._running.get(job_id)
        if running is None or not running.exited or running.returncode is None:
            return
        del self._running[job_id]
        self.tasks.forget(job_id)
        with contextlib.suppress(OSError):
            os.close(running.fd)
        rc = running.returncode
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

    @staticmethod
    def _signal(running: Running, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(running.pid, sig)

    def enforce_deadlines(self, now: float) -> None:
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

    def kill_all(self) -> None:
        """Stop: SIGKILL every job's process group; closing the socket makes the launcher finish
        them off, reap them and exit."""
        for running in list(self._running.values()):
            self._signal(running, signal.SIGKILL)
        self._close_control()
        if self._launcher is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._launcher.wait(timeout=self._time_left())
            self._launcher = None
        for running in self._running.values():
            with contextlib.suppress(OSError):
                os.close(running.fd)
        for pending in self._spawning.values():
            with contextlib.suppress(OSError):
                os.close(pending.read_fd)
        self._running.clear()
        self._spawning.clear()
        self._by_pid.clear()

    def close_fds(self) -> None:
        self._fds_closed = True
        with contextlib.suppress(OSError):
            self._selector.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def stop_cleaner(self, deadline: float) -> None:
        if self._cleaner is not None:
            # Leftover empty directories are harmless; don't let them delay stop().
            while True:
                try:
                    self._cleanup.get_nowait()
                except queue.Empty:
                    break
            self._cleanup.put(None)
            self._cleaner.join(max(0.1, deadline - time.monotonic()))
