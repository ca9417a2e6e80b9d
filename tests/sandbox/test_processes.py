"""Jobs never outlive the sandbox, a restart never runs two attempts of a job at once, and a job
cannot read the host's secrets (its parent's environment, the home directory, the host's /tmp)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from batchgui.sandbox import RunningSandbox, start_in_process
from tests.sandbox.conftest import FAST, Clients, wait_for

pytestmark = pytest.mark.timeout(120)

HAVE_BWRAP = shutil.which("bwrap") is not None
SIZE = [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}]


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[tuple[int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ppid == pid:
            out.append((int(entry.name), cmdline))
    return out


class Served:
    """`batchgui-sandbox serve` in a child process, as a user runs it."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "batchgui.sandbox.cli", "serve", "--no-seed", "--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the sandbox did not start"
        info = json.loads(line)
        self.info: dict[str, str] = info
        session = boto3.session.Session(
            aws_access_key_id=info["access_key_id"],
            aws_secret_access_key=info["secret_access_key"],
            region_name=info["region"],
        )
        config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
        self.batch: Any = session.client("batch", endpoint_url=info["endpoint_url"], config=config)
        self.logs: Any = session.client("logs", endpoint_url=info["endpoint_url"], config=config)

    def launcher_pids(self) -> list[int]:
        return [p for p, cmd in children_of(self.proc.pid) if "launcher" in cmd]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()


def served_env(home: Path, isolation: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(home), "BATCHGUI_SANDBOX_ISOLATION": isolation})
    return env


def fargate_queue(batch: Any, retry_attempts: int, command: list[str]) -> None:
    batch.create_compute_environment(
        computeEnvironmentName="ce",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-1"]},
    )
    wait_for(
        lambda: (
            batch.describe_compute_environments(computeEnvironments=["ce"])["computeEnvironments"][0][
                "status"
            ]
            == "VALID"
        ),
        10,
        "the compute environment",
    )
    batch.create_job_queue(
        jobQueueName="q", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "ce"}]
    )
    batch.register_job_definition(
        jobDefinitionName="d",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={"image": "x", "command": command, "resourceRequirements": SIZE},
        retryStrategy={"attempts": retry_attempts},
    )
    wait_for(
        lambda: batch.describe_job_queues(jobQueues=["q"])["jobQueues"][0]["status"] == "VALID",
        10,
        "the queue",
    )


def marker() -> str:
    return f"{random.randint(10**6, 9 * 10**6)}.{random.randint(10, 99)}"


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_kill_9_of_the_sandbox_leaves_no_job_process_alive(tmp_path: Path, isolation: str) -> None:
    mark = marker()
    served = Served(tmp_path / "data", served_env(tmp_path / "home", isolation))
    try:
        # Two processes per job: one in the background, one in front.
        fargate_queue(served.batch, 1, ["sh", "-c", f"sleep {mark} & sleep {mark}; wait"])
        for n in range(2):
            served.batch.submit_job(jobName=f"j{n}", jobQueue="q", jobDefinition="d")
        wait_for(lambda: len(processes_with(f"sleep {mark}")) >= 4, 30, "4 job processes")
        served.kill()
        wait_for(lambda: not processes_with(f"sleep {mark}"), 10, "every job process to end")
    finally:
        served.kill()
        for pid in processes_with(f"sleep {mark}"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_restart_never_runs_two_attempts_of_a_job_at_once(tmp_path: Path) -> None:
    """The sandbox and its launcher both die at once (kill -9), so a job's background process
    survives as an orphan; the restarted sandbox kills it before it starts attempt 2."""
    mark = marker()
    data = tmp_path / "data"
    env = served_env(tmp_path / "home", "none")
    command = ["sh", "-c", f"sleep {mark}$AWS_BATCH_JOB_ATTEMPT & wait"]
    attempt = {n: f"sleep {mark}{n}" for n in (1, 2)}
    served = Served(data, env)
    try:
        fargate_queue(served.batch, 2, command)
        job_id = served.batch.submit_job(jobName="twice", jobQueue="q", jobDefinition="d")["jobId"]
        wait_for(lambda: processes_with(attempt[1]), 30, "attempt 1 to run")
        launchers = served.launcher_pids()
        os.kill(served.proc.pid, signal.SIGSTOP)  # nothing of the sandbox reacts in between
        for pid in launchers:
            os.kill(pid, signal.SIGKILL)
        served.kill()
        time.sleep(0.5)
        assert processes_with(attempt[1]), "the orphan of attempt 1 should outlive the crash"
        served = Served(data, env)
        deadline = time.monotonic() + 40
        while not processes_with(attempt[2]):
            assert not (processes_with(attempt[1]) and processes_with(attempt[2]))
            assert time.monotonic() < deadline, "attempt 2 never started"
            time.sleep(0.02)
        assert not processes_with(attempt[1]), "attempt 2 started while attempt 1 was still running"
        (job,) = served.batch.describe_jobs(jobs=[job_id])["jobs"]
        assert len(job["attempts"]) == 1
        assert job["attempts"][0]["statusReason"].startswith("Task stopped")
    finally:
        served.kill()
        for pid in processes_with(f"sleep {mark}"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def private_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[RunningSandbox]:
    """A sandbox started by a process that holds host secrets in its environment."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret-key-do-not-leak")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "host-session-token-do-not-leak")
    monkeypatch.setenv("BATCHGUI_HOST_ONLY_VARIABLE", "host-variable-do-not-leak")
    monkeypatch.setenv("BATCHGUI_SANDBOX_ISOLATION", request.param)
    sb = start_in_process(tmp_path / "data", settings=FAST)
    try:
        assert sb.wait_services(60)
        yield sb
    finally:
        sb.stop()


def run_and_read_log(clients: Clients, command: list[str]) -> tuple[dict[str, Any], str]:
    batch = clients.batch
    name = f"probe-{uuid.uuid4().hex[:8]}"
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={"image": "x", "command": command, "resourceRequirements": SIZE},
    )
    job_id = batch.submit_job(jobName=name, jobQueue="fargate-queue", jobDefinition=name)["jobId"]
    job = clients.wait_job(job_id, timeout=30)
    events = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=job["container"]["logStreamName"], startFromHead=True
    )["events"]
    return job, "\n".join(e["message"] for e in events)


HOST_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "host-secret-key-do-not-leak",
    "AWS_SESSION_TOKEN": "host-session-token-do-not-leak",
    "BATCHGUI_HOST_ONLY_VARIABLE": "host-variable-do-not-leak",
}


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_a_job_reading_its_parents_environment_finds_no_host_secret(tmp_path: Path, isolation: str) -> None:
    # The secrets must be in the sandbox process's own environment (what /proc/PID/environ shows).
    served = Served(tmp_path / "data", {**served_env(tmp_path / "home", isolation), **HOST_SECRETS})
    try:
        probe = 'echo "parent $PPID"; tr "\\0" "\\n" < /proc/$PPID/environ; echo end-of-environ'
        fargate_queue(served.batch, 1, ["sh", "-c", probe])
        job_id = served.batch.submit_job(jobName="probe", jobQueue="q", jobDefinition="d")["jobId"]

        def finished() -> Any:
            (job,) = served.batch.describe_jobs(jobs=[job_id])["jobs"]
            return job if job["status"] in ("SUCCEEDED", "FAILED") else None

        job = wait_for(finished, 30, "the probe job")
        events = served.logs.get_log_events(
            logGroupName="/aws/batch/job", logStreamName=job["container"]["logStreamName"], startFromHead=True
        )["events"]
    finally:
        served.kill()
    output = "\n".join(e["message"] for e in events)
    assert job["status"] == "SUCCEEDED", output
    assert "end-of-environ" in output
    for name, secret in HOST_SECRETS.items():
        assert secret not in output
        assert f"{name}=" not in output or name == "AWS_SECRET_ACCESS_KEY"  # the job's own sandbox key


@pytest.mark.skipif(not HAVE_BWRAP, reason="needs bubblewrap (bwrap)")
@pytest.mark.parametrize("private_sandbox", ["bwrap"], indirect=True)
def test_under_bwrap_a_job_cannot_read_home_and_has_a_private_tmp(
    private_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    home = Path(os.environ["HOME"])
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = home-secret-do-not-leak\n")
    host_tmp = Path("/tmp") / f"batchgui-host-only-{uuid.uuid4().hex}"
    host_tmp.write_text("host tmp file")
    try:
        clients = Clients(private_sandbox)
        job, output = run_and_read_log(
            clients,
            [
                "sh",
                "-c",
                f"cat {home}/.aws/credentials; cat /root/.aws/credentials; ls -a /tmp; "
                f"test -e {host_tmp} && echo HOST-TMP-VISIBLE; echo written > /tmp/own && cat /tmp/own; "
                "echo home=$HOME; touch here && echo workdir-writable",
            ],
        )
    finally:
        host_tmp.unlink()
    assert "home-secret-do-not-leak" not in output
    assert "HOST-TMP-VISIBLE" not in output
    assert host_tmp.name not in output
    assert "written" in output  # its own /tmp works
    assert "workdir-writable" in output
    assert job["status"] == "SUCCEEDED", output
    assert private_sandbox.data_dir.exists()


@pytest.mark.skipif(not HAVE_BWRAP, reason="needs bubblewrap (bwrap)")
@pytest.mark.parametrize("private_sandbox", ["bwrap"], indirect=True)
def test_the_demo_processor_works_under_bwrap(private_sandbox: RunningSandbox) -> None:
    clients = Clients(private_sandbox)
    job_id = clients.batch.submit_job(
        jobName="demo-under-bwrap",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        parameters={"rows_per_child": "5", "delay_ms": "0", "submission_id": "bwrap"},
    )["jobId"]
    job = clients.wait_job(job_id, timeout=60)
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    items = clients.dynamodb.query(
        TableName="batchgui-demo-results",
        KeyConditionExpression="submission_id = :s",
        ExpressionAttributeValues={":s": {"S": "bwrap"}},
    )["Items"]
    assert len(items) == 5


def test_the_store_records_the_isolation_in_force(tmp_path: Path) -> None:
    import sqlite3

    from batchgui.sandbox.isolation import isolation_mode

    start_in_process(tmp_path / "data", settings=FAST, seed=False).stop()
    conn = sqlite3.connect(tmp_path / "data" / "sandbox.sqlite3")
    try:
        (value,) = conn.execute("SELECT value FROM meta WHERE key = 'job_isolation'").fetchone()
    finally:
        conn.close()
    assert value == isolation_mode()
    assert value == ("bwrap" if HAVE_BWRAP else "none")


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_the_serve_line_says_the_isolation_in_force(tmp_path: Path, isolation: str) -> None:
    from batchgui.sandbox.isolation import isolation_mode

    served = Served(tmp_path / "data", served_env(tmp_path / "home", isolation))
    try:
        expected = "none" if isolation == "none" else ("bwrap" if HAVE_BWRAP else "none")
        assert served.info["isolation"] == expected
        if isolation == "auto":
            assert expected == isolation_mode()
        saved = json.loads((tmp_path / "data" / "connection.json").read_text())
        assert saved["isolation"] == expected
    finally:
        served.kill()


def test_a_job_spawned_before_its_pid_was_written_is_found_by_its_environment() -> None:
    """The crash window the restart test hits now and then: the launcher has started a job but the
    sandbox died before writing its pid down. Its processes are found by AWS_BATCH_JOB_ID and killed."""
    from batchgui.sandbox import launcher

    job_id = f"job-{marker()}"
    other = subprocess.Popen(
        ["sh", "-c", "sleep 60 & wait"],
        env={"AWS_BATCH_JOB_ID": "someone-else", "PATH": os.environ["PATH"]},
        start_new_session=True,
    )
    orphan = subprocess.Popen(
        ["sh", "-c", "sleep 60 & wait"],
        env={"AWS_BATCH_JOB_ID": job_id, "PATH": os.environ["PATH"]},
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: len(launcher.group_leftovers(orphan.pid, launcher.start_time(orphan.pid) or 0)) == 2,
            10,
            "sh and sleep",
        )
        found = launcher.groups_of_jobs([job_id, "not-running"])
        assert list(found) == [job_id]
        assert list(found[job_id]) == [orphan.pid]  # one group, led by the job's first process
        ((group, started),) = found[job_id].items()
        assert launcher.kill_leftovers(group, started)
        orphan.wait(5)
        assert other.poll() is None  # another job's processes are left alone
    finally:
        for process in (orphan, other):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
