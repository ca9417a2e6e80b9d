"""The job launcher: a small process, started with an empty environment, that starts the sandbox's
jobs and makes sure none outlives the sandbox.

Why a separate process: a job reading its parent's environment (`/proc/$PPID/environ`) must find no
secret of the host (the app may have been started with AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN ...);
the launcher's own environment is empty, and each job gets only the environment the sandbox gives it.
And the launcher holds one end of a socket pair whose other end only the sandbox holds: when the
sandbox dies, however it dies (kill -9 included), the socket reads end-of-file and the launcher
kills every job's process group, then exits. Should the launcher itself die, the sandbox sees its
end of the socket close and kills the jobs' process groups itself (under bubblewrap a job also dies
with its launcher: --die-with-parent); should both die at once, the next start kills what is left.

Protocol (SOCK_SEQPACKET, one JSON object per message):
- sandbox -> launcher: {"op": "spawn", "id", "argv", "env", "cwd"} with the write end of the job's
  output pipe attached (SCM_RIGHTS); the launcher makes the work dir `cwd`, and argv[0] is looked
  up on the job's PATH. Up to SPAWNERS jobs are started at once, on threads.
- launcher -> sandbox: {"op": "started", "id", "pid", "start"} (`start`: the process's start time
  from /proc/PID/stat, so a reused pid is never taken for the job), {"op": "failed", "id", "errno",
  "error"}, {"op": "exit", "pid", "status"} (`status` as subprocess's returncode: -N for signal N).

Standard library only: it runs as `python -I -S launcher.py FD` (or `-m batchgui.sandbox.launcher FD`
in a frozen app). The helpers at the bottom (start time, leftover process groups) are used by the
sandbox too.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MAX_MESSAGE = 1 << 20
# Jobs started at once: a start waits until the new process has called exec (vfork), and under
# bubblewrap that exec is a whole sandbox's set-up, so starting one job after another capped the
# dispatch rate at what one start takes.
SPAWNERS = 4
# An exit reaped before its start was recorded is kept this long (seconds) for the start to claim.
EARLY_EXIT_KEEP_S = 30.0


def resolve(argv0: str, env: dict[str, str], cwd: str) -> str | None:
    """The executable a job's argv[0] names: a path (relative to its work dir) or a PATH lookup."""
    if "/" in argv0:
        path = os.path.join(cwd, argv0)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(argv0, path=env.get("PATH", os.defpath))


def make_workdir(path: str) -> None:
    """The job attempt's work directory (and the jobs folder above it, the first time)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.mkdir(path)
    except FileExistsError:
        pass


class Launcher:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.control.setblocking(False)
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.early_exits: dict[int, tuple[int, float]] = {}  # pid -> (status, when reaped)
        self.outbox: deque[bytes] = deque()
        self.selector = selectors.DefaultSelector()
        self.wakeup_r, self.wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(self.wakeup_w, False)
        signal.set_wakeup_fd(self.wakeup_w)
        self.spawners = ThreadPoolExecutor(SPAWNERS, thread_name_prefix="spawn")
        # (request id, the started process or None, the message for the sandbox), from the spawners.
        self.spawned: queue.SimpleQueue[tuple[subprocess.Popen[bytes] | None, dict[str, Any]]] = (
            queue.SimpleQueue()
        )
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: None)  # handled through the wakeup fd
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sandbox's to handle
        self.selector.register(self.control, selectors.EVENT_READ, "control")
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, "signal")
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.running = True

    def serve(self) -> None:
        while self.running:
            for key, mask in self.selector.select(1.0):
                if key.data == "control" and mask & selectors.EVENT_READ:
                    self._read_control()
                elif key.data == "control" and mask & selectors.EVENT_WRITE:
                    self._flush()
                elif key.data == "signal":
                    self._on_signal()
            self._take_spawned()
            self._reap()
        self.shutdown()

    def _on_signal(self) -> None:
        with contextlib.suppress(BlockingIOError):
            data = os.read(self.wakeup_r, 512)
            if signal.SIGTERM in data:
                self.running = False

    def _read_control(self) -> None:
        while self.running:
            try:
                message, fds, _flags, _addr = socket.recv_fds(self.control, MAX_MESSAGE, 4)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message:  # the sandbox is gone
                for fd in fds:
                    os.close(fd)
                self.running = False
                return
            request = json.loads(message)
            if request.get("op") == "spawn" and fds:
                self.spawners.submit(self._spawn_closing, request, fds)
            else:
                for fd in fds:
                    os.close(fd)

    def _spawn_closing(self, request: dict[str, Any], fds: list[int]) -> None:
        """On a spawner thread: start the job, hand the result to the main loop, wake it."""
        try:
            self._spawn(request, fds[0])
        except BaseException as exc:  # never lose a request: the sandbox waits for its answer
            self._started(None, {"op": "failed", "id": request.get("id"), "errno": 0, "error": str(exc)})
        finally:
            for fd in fds:
                os.close(fd)

    def _started(self, proc: subprocess.Popen[bytes] | None, message: dict[str, Any]) -> None:
        self.spawned.put((proc, message))
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.wakeup_w, b"\0")  # not a signal number: only wakes the loop

    def _take_spawned(self) -> None:
        """Record started jobs (main thread), then send any exit reaped before its start."""
        now = time.monotonic()
        while True:
            try:
                proc, message = self.spawned.get_nowait()
            except queue.Empty:
                break
            self._send(message)
            if proc is None:
                continue
            early = self.early_exits.pop(proc.pid, None)
            if early is not None:
                proc.returncode = early[0]
                self._send({"op": "exit", "pid": proc.pid, "status": early[0]})
            else:
                self.children[proc.pid] = proc
        for pid, (_status, when) in list(self.early_exits.items()):
            if now - when > EARLY_EXIT_KEEP_S:  # an exec that failed: Popen reaped it and raised
                del self.early_exits[pid]

    def _spawn(self, request: dict[str, Any], out_fd: int) -> None:
        argv = [str(a) for a in request["argv"]]
        env = {str(k): str(v) for k, v in request["env"].items()}
        cwd = str(request["cwd"])
        try:
            make_workdir(cwd)
        except OSError as exc:
            self._started(
                None,
                {
                    "op": "failed",
                    "id": request["id"],
                    "errno": exc.errno or 0,
                    "error": exc.strerror or str(exc),
                },
            )
            return
        # With a sandbox wrapper (bwrap) in front, check the job's own command here, so a missing
        # one is reported the same way with or without the wrapper.
        command = request.get("command") or argv
        executable = resolve(str(command[0]), env, cwd) if command else None
        if executable is None:
            self._started(
                None, {"op": "failed", "id": request["id"], "errno": errno.ENOENT, "error": "not found"}
            )
            return
        program = argv[0] if request.get("command") else executable
        try:
            # vfork/exec through subprocess: several times faster than os.fork of this interpreter.
            proc = subprocess.Popen(
                argv,
                executable=program,
                stdin=self.devnull,
                stdout=out_fd,
                stderr=out_fd,
                cwd=cwd,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            error = {"errno": exc.errno or 0, "error": exc.strerror or str(exc)}
            self._started(None, {"op": "failed", "id": request["id"], **error})
            return
        message = {"op": "started", "id": request["id"], "pid": proc.pid, "start": start_time(proc.pid)}
        self._started(proc, message)

    def _reap(self) -> None:
        """Every child that has exited, one waitpid each (not one poll per running job)."""
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            status = os.waitstatus_to_exitcode(wait_status)  # as Popen.returncode: -N for signal N
            proc = self.children.pop(pid, None)
            if proc is None:  # its start is still on the way from a spawner thread
                self.early_exits[pid] = (status, time.monotonic())
                continue
            proc.returncode = status
            self._send({"op": "exit", "pid": pid, "status": status})

    def _send(self, message: dict[str, Any]) -> None:
        self.outbox.append(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        while self.outbox:
            try:
                self.control.send(self.outbox[0])
            except BlockingIOError:
                self.selector.modify(self.control, selectors.EVENT_READ | selectors.EVENT_WRITE, "control")
                return
            except OSError:
                self.outbox.clear()
                self.running = False
                return
            self.outbox.popleft()
        self.selector.modify(self.control, selectors.EVENT_READ, "control")

    def shutdown(self) -> None:
        """Kill every job's process group, wait for them (briefly), and leave."""
        self.spawners.shutdown(wait=True, cancel_futures=True)
        self._take_spawned()
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.01)


# ---- shared with the sandbox: process start times and leftover process groups --------------------
def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat fields from the state on (field 3), or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (/proc/PID/stat field 22)."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def group_leftovers(pgid: int, started: int) -> list[int]:
    """Live processes of the job's process group `pgid`, whose leader started at `started`.

    When the leader is alive it must be that very process (same start time), else the pid was
    reused and nothing is ours. When it has exited, its group id cannot have been handed out
    again while members remain; members started before the leader are not its children.
    """
    leader = _stat_fields(pgid)
    if leader is not None and leader[0] != "Z" and int(leader[19]) != started:
        return []
    members: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None or fields[0] == "Z" or int(fields[2]) != pgid:
            continue
        if int(fields[19]) >= started:
            members.append(int(entry.name))
    return members


def groups_of_jobs(job_ids: Collection[str]) -> dict[str, dict[int, int]]:
    """For jobs whose process was never recorded (the sandbox died between the spawn and writing
    its pid down): the live process groups whose members' environment names the job
    (AWS_BATCH_JOB_ID, set for every job), as {job id: {group id: earliest member start time}}."""
    wanted = set(job_ids)
    found: dict[str, dict[int, int]] = {}
    if not wanted:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        for variable in environ.split(b"\0"):
            if variable.startswith(b"AWS_BATCH_JOB_ID="):
                job_id = variable[len(b"AWS_BATCH_JOB_ID=") :].decode(errors="replace")
                fields = _stat_fields(int(entry.name))
                if job_id in wanted and fields is not None and fields[0] != "Z":
                    groups = found.setdefault(job_id, {})
                    group, started = int(fields[2]), int(fields[19])
                    groups[group] = min(started, groups.get(group, started))
                break
    return found


def kill_leftovers(pgid: int, started: int, timeout: float = 5.0) -> bool:
    """SIGKILL what is left of a job's process group; True once none of it is alive."""
    deadline = time.monotonic() + timeout
    while members := group_leftovers(pgid, started):
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[1]))
    Launcher(control).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
