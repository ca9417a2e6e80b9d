"""The job store against the real sandbox: array children counted by the monitor as the sandbox counts
them, peak vCPUs bounded by the compute environment, children listed, aged-out children gone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_tracking import ArrayProgress
from batchgui.services.job_monitor import JobMonitor, MonitorSettings
from batchgui.services.job_store import JobChanges, JobStore
from batchgui.services.runner import Runner

# The monitor tests' fixtures: a runner and a sandbox with quick transitions.
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.support import fargate_queues

pytestmark = pytest.mark.timeout(120)


def fargate_queue(gateway: BatchGateway, max_vcpus: int = 8, seconds: float = 1.5) -> None:
    """A maxvCpus-`max_vcpus` Fargate environment, queue `q`, and a 1-vCPU definition `one` sleeping."""
    fargate_queues(gateway.client, max_vcpus, ("q",), seconds)


def summary_of(gateway: BatchGateway, parent: str) -> dict[str, int]:
    (job,) = gateway.describe_jobs([parent])
    return {str(k): int(v) for k, v in (job.get("arrayProperties") or {}).get("statusSummary", {}).items()}


def test_monitor_counts_array_children_as_the_sandbox_does_and_peaks_at_the_environments_vcpus(
    sandbox_batch: BatchGateway, runner: Runner, run_async: Callable[..., Any]
) -> None:
    gateway = sandbox_batch
    fargate_queue(gateway)
    monitor = JobMonitor(
        runner,
        connections_for(FakeBackend(gateway)),
        settings=MonitorSettings(interval_s=0.2, requests_per_s=200),
    )
    run_async(monitor.poll_once())  # the baseline: nothing yet
    parent = gateway.client.submit_job(
        jobName="fifty", jobQueue="q", jobDefinition="one", arrayProperties={"size": 50}
    )["jobId"]
    peaks = {"vcpus": 0.0, "running": 0}
    compared = [0]

    async def run() -> None:
        while True:
            before = await asyncio.to_thread(summary_of, gateway, parent)
            sample = await monitor.poll_once()
            after = await asyncio.to_thread(summary_of, gateway, parent)
            (queue,) = sample.queues
            peaks["vcpus"] = max(peaks["vcpus"], queue.get("vcpus_FARGATE"))
            peaks["running"] = max(peaks["running"], queue.count(JobStatus.RUNNING))
            if before == after and before:
                # Nothing moved while the monitor read: its counts are the sandbox's own.
                compared[0] += 1
                for status in (JobStatus.RUNNABLE, JobStatus.STARTING, JobStatus.RUNNING):
                    assert queue.count(status) == before.get(status.value, 0), (status, before)
                assert queue.get("vcpus_FARGATE") == before.get("RUNNING", 0)
                assert queue.get("memory_FARGATE") == 2048 * before.get("RUNNING", 0)
                assert queue.count(JobStatus.PENDING) == 0  # the parent is not counted as a job
            if after.get("SUCCEEDED", 0) == 50:
                return
            await asyncio.sleep(0.05)

    run_async(run(), timeout=100)
    run_async(monitor.poll_once())
    assert peaks == {"vcpus": 8.0, "running": 8}
    assert compared[0] >= 1
    assert monitor.counters.succeeded == 50  # throughput counts children finishing, not the parent
    assert monitor.history.now().running == 0
    store = monitor.store
    progress = store.progress(parent)
    assert progress == ArrayProgress(50, (("SUCCEEDED", 50),))
    assert "0 failed of 50" in progress.text()


def test_expanding_an_array_lists_its_children_and_aged_out_children_are_gone(
    sandbox_batch: BatchGateway,
    runner: Runner,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    gateway = sandbox_batch
    fargate_queue(gateway, seconds=0)
    store = JobStore(runner, connections_for(FakeBackend(gateway)))
    heard: list[JobChanges] = []
    unsubscribe = store.subscribe(heard.append)
    parent = gateway.client.submit_job(
        jobName="five", jobQueue="q", jobDefinition="one", arrayProperties={"size": 5}
    )["jobId"]
    store.put([JobSummary(parent, "five", JobStatus.PENDING, queue="q", array_size=5)])
    # Children that are still moving can be listed under two statuses in one expansion (the store
    # keeps one entry each); once they have all finished, each is heard exactly once.
    wait_until(
        lambda: len(gateway.list_array_children(parent, JobStatus.SUCCEEDED)) == 5, 30, "children finished"
    )
    pages: list[list[JobSummary]] = []
    children = run_async(store.expand(parent, pages.append))
    assert [c.array_index for c in children] == [0, 1, 2, 3, 4]
    assert {c.queue for c in children} == {"q"}  # children's rows do not name it: the parent's
    assert store.get(f"{parent}:3") == children[3]
    assert store.children(parent) == children
    assert sum(len(p) for p in pages) == 5
    # A child AWS no longer knows (finished jobs are kept about 7 days) is gone, not an error.
    store.put([JobSummary(f"{parent}:9", "five", JobStatus.SUCCEEDED, array_index=9)])
    heard.clear()
    run_async(store.describe([f"{parent}:9", f"{parent}:0"]))
    assert store.get(f"{parent}:9") is None
    assert any(f"{parent}:9" in changes.gone for changes in heard)
    unsubscribe()
    heard.clear()
    store.put([JobSummary("other", "x", JobStatus.RUNNING, queue="q")])
    assert heard == []
