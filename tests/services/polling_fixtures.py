"""Many queues on the real sandbox, and a count of the Batch requests its server answers.

Shared by tests/services/test_polling_budget.py and tests/benchmarks/test_polling_bench.py.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from tests.support import endpoint_client

THROTTLED_BODY = b'{"__type":"TooManyRequestsException","message":"Too Many Requests"}'


def batch_client(sandbox: Any, *, retries: int = 1) -> Any:
    """A client of the sandbox; one attempt per call by default, so that a throttled answer reaches
    the app's own budget instead of botocore's retries."""
    return endpoint_client("batch", sandbox, Config(retries={"mode": "standard", "max_attempts": retries}))


def make_queues(client: Any, count: int, *, prefix: str = "q") -> list[str]:
    """`count` queues on one Fargate environment, and a job definition `sleeper` (sleeps its
    `seconds` parameter, 600 by default)."""
    ce = client.create_compute_environment(
        computeEnvironmentName=f"{prefix}-fargate",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 64, "subnets": ["s"], "securityGroupIds": ["g"]},
    )["computeEnvironmentArn"]
    client.register_job_definition(
        jobDefinitionName="sleeper",
        type="container",
        platformCapabilities=["FARGATE"],
        parameters={"seconds": "600"},
        containerProperties={
            "image": "busybox",
            "command": ["sleep", "Ref::seconds"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
        },
    )
    names = [f"{prefix}-{i:02d}" for i in range(count)]

    def create(name: str) -> None:
        client.create_job_queue(
            jobQueueName=name, priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, names))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        queues = client.describe_job_queues()["jobQueues"]
        if sum(1 for q in queues if q["status"] == "VALID") >= count:
            break
        time.sleep(0.1)
    return names


def submit(client: Any, queue: str, name: str = "sleeper", seconds: int = 600) -> str:
    return str(
        client.submit_job(
            jobName=name, jobQueue=queue, jobDefinition="sleeper", parameters={"seconds": str(seconds)}
        )["jobId"]
    )


@dataclass
class ServerCount:
    """Batch requests the sandbox's server answered (times on the monotonic clock), and a rate limit
    like AWS's account limit: above `limit_per_s` requests in the last second it answers 429
    TooManyRequestsException (0: no limit)."""

    times: deque[float] = field(default_factory=deque)
    throttled: int = 0
    limit_per_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if self.limit_per_s:
                recent = sum(1 for t in reversed(self.times) if t >= now - 1.0)
                if recent >= self.limit_per_s:
                    self.throttled += 1
                    return False
            self.times.append(now)
            return True

    def rate(self, since: float, until: float | None = None) -> float:
        end = time.monotonic() if until is None else until
        with self._lock:
            count = sum(1 for t in self.times if since <= t < end)
        return count / max(1e-9, end - since)


@contextlib.contextmanager
def counting_server(monkeypatch: Any) -> Iterator[ServerCount]:
    """Count (and, when asked, rate-limit) every Batch request the in-process sandbox answers."""
    from batchgui.sandbox.batch_api import BatchApi

    count = ServerCount()
    original = BatchApi.handle

    def handle(self: BatchApi, environ: dict[str, Any], body: bytes) -> Any:
        if not count.admit():
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "TooManyRequestsException")]
            return 429, headers, THROTTLED_BODY
        return original(self, environ, body)

    monkeypatch.setattr(BatchApi, "handle", handle)
    yield count
