"""Fixtures for the sandbox tests: an isolated environment, a running sandbox, signed clients.

Every client made through `clients` validates each Batch and Logs response against botocore's
output shape (see `shapes.py`), so every scenario test also checks the wire format.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from batchgui.sandbox import RunningSandbox, SandboxSettings, start_in_process
from tests.sandbox.shapes import install_output_validation

FAST = SandboxSettings(
    transition_delay_s=0.05,
    fargate_start_delay_s=0.05,
    ec2_provision_delay_s=0.2,
    ec2_start_delay_s=0.05,
    ec2_idle_drain_s=0.6,
    kill_grace_s=0.5,
    min_timeout_s=1,
    tick_s=0.02,
)


def isolate_environment(mp: pytest.MonkeyPatch, home: Path) -> None:
    """No test reads the real ~/.aws or home directory."""
    home.mkdir(parents=True, exist_ok=True)
    empty = home / "aws-config"
    empty.write_text("")
    mp.setenv("HOME", str(home))
    for key in list(os.environ):
        if key.startswith("AWS_"):
            mp.delenv(key)
    mp.setenv("AWS_CONFIG_FILE", str(empty))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


class Clients:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.session = boto3.session.Session(
            aws_access_key_id=sandbox.access_key_id,
            aws_secret_access_key=sandbox.secret_access_key,
            region_name=sandbox.region,
        )
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        self.batch: Any = self.session.client("batch", endpoint_url=sandbox.endpoint_url, config=config)
        self.logs: Any = self.session.client("logs", endpoint_url=sandbox.endpoint_url, config=config)
        self.s3: Any = self.session.client("s3", endpoint_url=sandbox.endpoint_url, config=config)
        self.dynamodb: Any = self.session.client("dynamodb", endpoint_url=sandbox.endpoint_url, config=config)
        install_output_validation(self.batch)
        install_output_validation(self.logs)

    def wait_job(
        self, job_id: str, statuses: tuple[str, ...] = ("SUCCEEDED", "FAILED"), timeout: float = 20
    ) -> Any:
        return wait_for(lambda: self._job_in(job_id, statuses), timeout, f"job {job_id} to reach {statuses}")

    def _job_in(self, job_id: str, statuses: tuple[str, ...]) -> Any:
        jobs = self.batch.describe_jobs(jobs=[job_id])["jobs"]
        return jobs[0] if jobs and jobs[0]["status"] in statuses else None


def wait_for(check: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def assert_no_sandbox_threads(existing: frozenset[threading.Thread] = frozenset()) -> None:
    """Fail if a thread started since `existing` was taken is still running (other fixtures'
    session-wide servers, such as the shared moto server, were there before)."""
    deadline = time.monotonic() + 2
    while True:
        left = [
            t.name
            for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and t not in existing
        ]
        left = [n for n in left if "pytest_timeout" not in n]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads left running: {left}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One seeded sandbox per test module (tests use their own resource names)."""
    existing = frozenset(threading.enumerate())
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("sandbox")
    isolate_environment(mp, base / "home")
    sb = start_in_process(base / "data", settings=FAST)
    try:
        assert sb.wait_services(60)
        yield sb
    finally:
        started = time.monotonic()
        sb.stop()
        assert time.monotonic() - started < 2.0
        mp.undo()
        assert_no_sandbox_threads(existing)


@pytest.fixture(scope="module")
def clients(sandbox: RunningSandbox) -> Clients:
    return Clients(sandbox)
