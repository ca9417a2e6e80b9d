from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import JobStatus
from batchgui.services.budget import TokenBucket as RequestBudget
from batchgui.services.job_monitor import (
    FinishedJob,
    JobMonitor,
    MonitorSettings,
    MonitorState,
    MonitorStatus,
)
from batchgui.services.runner import Runner
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.support import MotoEndpoint, endpoint_client, seed_batch


def moto_backend(moto: MotoEndpoint) -> FakeBackend:
    return FakeBackend(BatchGateway(endpoint_client("batch", moto.local())))


def test_budget_spaces_requests_to_the_rate(run_async: Callable[..., Any]) -> None:
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    budget = RequestBudget(10, monotonic=lambda: now[0], sleep=fake_sleep)

    async def take(count: int) -> None:
        for _ in range(count):
            await budget.take()

    run_async(take(30))
    # The first 10 come from the burst, the next 20 at 10 per second.
    assert now[0] == pytest.approx(2.0, abs=0.01)
    assert budget.total == 30


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_budgets_and_intervals_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="request budget"):
        RequestBudget(bad)
    with pytest.raises(ValueError, match="request budget"):
        MonitorSettings(requests_per_s=bad)
    with pytest.raises(ValueError, match="interval"):
        MonitorSettings(interval_s=bad)


def test_a_poll_on_moto_counts_new_and_finished_jobs(
    moto: MotoEndpoint, runner: Runner, run_async: Callable[..., Any]
) -> None:
    ids = seed_batch(moto)
    client = moto.client("batch")
    client.submit_job(jobName="before", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    backend = moto_backend(moto)
    monitor = JobMonitor(
        runner, connections_for(backend), settings=MonitorSettings(interval_s=1, requests_per_s=50)
    )
    seen: list[Any] = []
    monitor.samples.add(seen.append)
    first = run_async(monitor.poll_once())
    assert [q.queue for q in first.queues] == ["demo-queue"]
    assert first.queues[0].get("submitted") == 0  # there before monitoring began: not "submitted now"
    assert [c.environment for c in first.capacity] == ["demo-fargate"]
    assert first.capacity[0].max_vcpus == 16
    client.submit_job(jobName="after", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    second = run_async(monitor.poll_once())
    assert second.queues[0].get("submitted") == 1
    assert monitor.counters.submitted == 1
    assert seen == [first, second]
    assert len(monitor.history) == 2
    # A third poll counts nothing twice.
    third = run_async(monitor.poll_once())
    assert third.queues[0].get("submitted") == 0
    assert third.queues[0].get("succeeded") == 0
    assert monitor.counters.last_poll_requests >= 7  # queues, CEs, created-since, five statuses


@pytest.mark.timeout(60)
def test_a_running_job_is_described_once_and_its_failure_reported(
    sandbox_batch: BatchGateway,
    runner: Runner,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    gateway = sandbox_batch
    client = gateway.client
    ce = client.create_compute_environment(
        computeEnvironmentName="f",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": ["s"], "securityGroupIds": ["g"]},
    )["computeEnvironmentArn"]
    client.create_job_queue(
        jobQueueName="q", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}]
    )
    client.register_job_definition(
        jobDefinitionName="fails-later",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["sh", "-c", "sleep 1.5; exit 3"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.5"}, {"type": "MEMORY", "value": "1024"}],
        },
    )
    backend = FakeBackend(gateway)
    monitor = JobMonitor(
        runner, connections_for(backend), settings=MonitorSettings(interval_s=0.2, requests_per_s=100)
    )
    failures: list[list[FinishedJob]] = []
    monitor.jobs_failed.add(failures.append)
    run_async(monitor.poll_once())
    client.submit_job(jobName="doomed", jobQueue="q", jobDefinition="fails-later")

    def poll_until(predicate: Callable[[], bool], what: str) -> None:
        async def loop() -> None:
            while not predicate():
                await monitor.poll_once()
                await asyncio.sleep(0.1)

        run_async(loop(), timeout=30)

    poll_until(
        lambda: any(j.status is JobStatus.RUNNING and j.resources for j in monitor.tracked()), "running"
    )
    assert monitor.tracked_ids() == [j.job_id for j in monitor.tracked()]
    sample = monitor.history.last_sample
    assert sample is not None
    assert sample.queues[0].get("vcpus_FARGATE") == 0.5
    assert sample.queues[0].get("memory_FARGATE") == 1024
    described = monitor.counters.described
    poll_until(lambda: monitor.counters.failed == 1, "failed")
    assert monitor.counters.described <= described + 1  # the leaver, once
    assert monitor.counters.submitted == 1
    assert monitor.active_jobs == 0
    assert [(j.name, j.queue, j.status) for batch in failures for j in batch] == [
        ("doomed", "q", JobStatus.FAILED)
    ]


def throttle(stubber: Stubber, operation: str, times: int) -> None:
    for _ in range(times):
        stubber.add_client_error(
            operation,
            service_error_code="TooManyRequestsException",
            service_message="Too Many Requests",
            http_status_code=429,
        )


@pytest.mark.timeout(30)
def test_throttled_answers_slow_the_budget_and_say_so_instead_of_an_error(
    runner: Runner, wait_until: Callable[..., None]
) -> None:
    client = boto3.client(
        "batch", region_name="us-east-1", aws_access_key_id="AKIAX", aws_secret_access_key="not-a-secret"
    )
    stubber = Stubber(client)
    # Two throttled answers, then the call goes through: the poll carries on at a slower rate.
    throttle(stubber, "describe_job_queues", 2)
    stubber.add_response("describe_job_queues", {"jobQueues": []})
    stubber.add_response("describe_compute_environments", {"computeEnvironments": []})
    # Then every try of a whole poll is throttled: the poll waits, and says why.
    throttle(stubber, "describe_compute_environments", 4)
    stubber.activate()
    monitor = JobMonitor(
        runner, connections_for(), settings=MonitorSettings(interval_s=0.05, max_backoff_s=60)
    )
    statuses: list[MonitorStatus] = []
    monitor.status.add(statuses.append)
    monitor.attach(FakeBackend(BatchGateway(client)))  # type: ignore[arg-type]
    monitor.start()
    wait_until(lambda: monitor.counters.throttled >= 1, what="a poll throttled on every try")
    monitor.stop()
    assert monitor.counters.polls == 1
    states = [s.state for s in statuses]
    assert MonitorState.ERROR not in states
    throttled = [s for s in statuses if s.state is MonitorState.THROTTLED]
    assert throttled[0].message.startswith("Throttled by AWS — polling slower (4.9 of 10 requests/s)")
    assert "next poll in" in throttled[1].message
    assert monitor.budget.per_s == pytest.approx(10 * 0.7**6)
    assert monitor.budget.throttles == 6


@pytest.mark.timeout(30)
def test_pause_suspend_and_resume(
    moto: MotoEndpoint, runner: Runner, wait_until: Callable[..., None], tmp_path: Path
) -> None:
    seed_batch(moto)
    monitor = JobMonitor(
        runner, connections_for(), tmp_path, settings=MonitorSettings(interval_s=0.1, requests_per_s=100)
    )
    monitor.attach(moto_backend(moto))  # type: ignore[arg-type]
    monitor.start()
    wait_until(lambda: monitor.counters.polls >= 2, what="polling")
    monitor.pause()
    assert monitor.last_status.state is MonitorState.PAUSED
    wait_until(lambda: not monitor._wake.is_set(), what="paused")
    polls = monitor.counters.polls

    async def idle() -> None:
        await asyncio.sleep(0.5)

    wait_until(partial(lambda: True), what="nothing")
    asyncio.get_event_loop().run_until_complete(idle())
    assert monitor.counters.polls <= polls + 1  # at most the poll already under way
    monitor.set_suspended(True)
    monitor.resume()
    assert not monitor._wake.is_set()  # still minimised
    monitor.set_suspended(False)
    wait_until(lambda: monitor.counters.polls > polls + 1, what="polling again")
    monitor.stop()
    assert (tmp_path / "monitor" / "local-sandbox.sqlite3").exists()


def test_adaptive_interval_stretches_and_recovers(runner: Runner) -> None:
    monitor = JobMonitor(runner, connections_for(), settings=MonitorSettings(interval_s=5, max_interval_s=30))
    monitor._adapt_interval(12)
    assert monitor.interval_s == 15
    monitor._adapt_interval(100)
    assert monitor.interval_s == 30
    monitor._adapt_interval(1)
    assert monitor.interval_s == 5
