"""Array-job benchmarks (issue 12): the one job store with Jobs and Monitor open on the sandbox.

- monitor_requests_per_s_arrays: ten arrays of 1,000 children running in 5 queues, the app's Jobs
  panel open (one array expanded) and the Monitor polling at its defaults (5 s, 10 requests/s):
  every Batch request the app's client sends, counted by botocore's before-call event, per second
  over a window after the first load.
- array_child_change_to_view_intervals: a RUNNING child terminated; the time until the Jobs table
  shows it FAILED and until a Monitor sample counts the failure, in poll intervals (the worse of
  the two, the max over the children tried).
- monitor_array_running_peak_vcpus: a 50-child array of 1-vCPU jobs on a maxvCpus-8 Fargate
  environment, run to the end: the peak of the Monitor's Fargate vCPU series (and of its Running
  tile, printed beside it).
- jobs_expand_10k_children_ms: expanding a 10,000-child array in the Jobs panel to its first
  painted child rows (median of 3).

Figures go to tests/benchmarks/results.json (BENCH_RESULTS_PATH writes them elsewhere, for a trial).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from batchgui.app import Application, parse_args
from batchgui.domain.batch import JobStatus
from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
from batchgui.domain.samples import Sample
from batchgui.services.job_monitor import JobMonitor
from batchgui.ui.jobs.panel import JobsPanel
from tests.benchmarks.results import RESULTS_PATH, record
from tests.support import fargate_queues

QUEUES = 5
ARRAYS = 10
CHILDREN = 1000
WINDOW_S = float(os.environ.get("ARRAY_BENCH_WINDOW_S", "40"))
PATH = Path(os.environ.get("BENCH_RESULTS_PATH", str(RESULTS_PATH)))


def figure(name: str, value: float, unit: str, target: float, better: Any) -> None:
    record(name, value, unit, target, better, path=PATH)


async def until(predicate: Callable[[], bool], timeout: float = 120, what: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out {what()}"
        await asyncio.sleep(0.002)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    from batchgui.sandbox import SandboxSettings, start_in_process

    running = start_in_process(
        tmp_path / "sandbox", seed=False, settings=SandboxSettings(fargate_start_delay_s=0.2)
    )
    yield running
    running.stop()


def make_app(qapp: QApplication, tmp_path: Path, sandbox: Any, panel: str) -> Application:
    local = LocalEndpoint(
        sandbox.endpoint_url, sandbox.region, sandbox.access_key_id, sandbox.secret_access_key
    )
    args = parse_args(
        ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data"), "--panel", panel]
    )
    app = Application(args, qapp, start_local=lambda: local)
    app.window.resize(1280, 800)
    return app


def client_of(sandbox: Any) -> Any:
    import boto3

    return boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )


def fargate_setup(
    client: Any, max_vcpus: int, queues: int, seconds: float, state: str = "ENABLED"
) -> list[str]:
    names = tuple(f"bench-{q}" for q in range(queues))
    return fargate_queues(client, max_vcpus, names, seconds, state, definition="bench-one")


def shutdown(app: Application) -> None:
    app.window.close()
    app.shutdown()
    app.window.deleteLater()


@pytest.mark.timeout(900)
def test_requests_and_change_to_view_with_ten_running_arrays(
    sandbox: Any, qapp: QApplication, tmp_path: Path, event_loop_qt: Any
) -> None:
    client = client_of(sandbox)
    queues = fargate_setup(client, max_vcpus=32, queues=QUEUES, seconds=600)
    parents = [
        client.submit_job(
            jobName=f"array-{n}",
            jobQueue=queues[n % QUEUES],
            jobDefinition="bench-one",
            arrayProperties={"size": CHILDREN},
        )["jobId"]
        for n in range(ARRAYS)
    ]
    app = make_app(qapp, tmp_path, sandbox, "jobs")
    monitor: JobMonitor = app.facades.monitor
    loop: asyncio.AbstractEventLoop = event_loop_qt

    async def scenario() -> tuple[float, list[float]]:
        app.start(ConnectionSpec.local())
        panel = app.window.current_panel()
        assert isinstance(panel, JobsPanel)
        await until(lambda: panel.load_count >= 1 and panel.model.job(parents[0]) is not None)
        backend = app.connections.backend
        assert backend is not None
        sent: list[float] = []
        backend.batch.client.meta.events.register(
            "before-call.batch", lambda **_: sent.append(time.monotonic())
        )
        monitor.start()  # the Monitor panel open: its loop is the store's one poller
        expand = panel.toggle_children(parents[0])
        assert expand is not None
        await until(expand.done)
        await until(lambda: monitor.counters.polls >= 2)
        began = time.monotonic()
        count_from = len(sent)
        arrivals: list[tuple[float, Sample]] = []
        monitor.samples.add(lambda s: arrivals.append((time.monotonic(), s)))
        intervals: list[float] = []
        for number in range(3):
            running = [c for c in panel.store.children(parents[0]) if c.status is JobStatus.RUNNING]
            assert running, "no RUNNING child to change"
            child = running[number % len(running)].job_id
            failed_before = monitor.counters.failed
            arrivals.clear()
            changed_at = time.monotonic()
            await app.runner.run(client.terminate_job, jobId=child, reason="benchmark")

            def in_table(child: str = child) -> bool:
                panel.model.flush()
                job = panel.model.job(child)
                return job is not None and job.status is JobStatus.FAILED

            await until(in_table, 120)
            table_at = time.monotonic()

            def counted(before: int = failed_before) -> bool:
                drawn = any(sum(q.get("failed") for q in s.queues) > 0 for _at, s in arrivals)
                return monitor.counters.failed > before and drawn

            await until(counted, 120)
            monitor_at = next(at for at, s in arrivals if sum(q.get("failed") for q in s.queues) > 0)
            interval = monitor.interval_s
            intervals.append(max(table_at - changed_at, monitor_at - changed_at) / interval)
        while time.monotonic() - began < WINDOW_S:
            await asyncio.sleep(0.1)
        rate = (len(sent) - count_from) / (time.monotonic() - began)
        monitor.stop()
        return rate, intervals

    try:
        rate, intervals = loop.run_until_complete(scenario())
    finally:
        shutdown(app)
    print(
        f"\n[bench] arrays: {rate:.2f} requests/s; change to view {intervals} intervals; "
        f"load {os.getloadavg()}"
    )
    figure("monitor_requests_per_s_arrays", rate, "req/s", 10, "lower")
    figure("array_child_change_to_view_intervals", max(intervals), "intervals", 2, "lower")


@pytest.mark.timeout(600)
def test_peak_vcpus_of_a_50_child_array_on_8_fargate_vcpus(
    sandbox: Any, qapp: QApplication, tmp_path: Path, event_loop_qt: Any
) -> None:
    client = client_of(sandbox)
    (queue,) = fargate_setup(client, max_vcpus=8, queues=1, seconds=3)
    app = make_app(qapp, tmp_path, sandbox, "monitor")
    monitor: JobMonitor = app.facades.monitor
    loop: asyncio.AbstractEventLoop = event_loop_qt
    tiles: list[int] = []

    async def scenario() -> float:
        app.start(ConnectionSpec.local())
        await until(lambda: app.connections.connected)
        monitor.start()
        await until(lambda: monitor.counters.polls >= 1)
        parent = await app.runner.run(
            client.submit_job,
            jobName="fifty",
            jobQueue=queue,
            jobDefinition="bench-one",
            arrayProperties={"size": 50},
        )
        monitor.samples.add(lambda _s: tiles.append(monitor.history.now().running))

        def finished() -> bool:
            job = app.facades.monitor.store.get(parent["jobId"])
            return job is not None and job.status.is_terminal and monitor.counters.succeeded >= 50

        def state() -> str:
            store = monitor.store
            return f"{monitor.counters} {store.get(parent['jobId'])} {store.progress(parent['jobId'])}"

        await until(finished, float(os.environ.get("ARRAY_PEAK_TIMEOUT_S", "300")), state)
        monitor.stop()
        return float(np.nanmax(monitor.history.view().series("vcpus_FARGATE")))

    try:
        peak = loop.run_until_complete(scenario())
    finally:
        shutdown(app)
    print(f"\n[bench] peak Fargate vCPUs {peak}, peak Running tile {max(tiles)}; load {os.getloadavg()}")
    figure("monitor_array_running_peak_vcpus", peak, "vCPUs", 8, "equal")


@pytest.mark.timeout(600)
def test_expand_a_10k_child_array(
    sandbox: Any, qapp: QApplication, tmp_path: Path, event_loop_qt: Any
) -> None:
    client = client_of(sandbox)
    (queue,) = fargate_setup(client, max_vcpus=8, queues=1, seconds=1, state="DISABLED")
    parent = client.submit_job(
        jobName="ten-thousand", jobQueue=queue, jobDefinition="bench-one", arrayProperties={"size": 10_000}
    )["jobId"]
    app = make_app(qapp, tmp_path, sandbox, "jobs")
    loop: asyncio.AbstractEventLoop = event_loop_qt

    async def scenario() -> list[float]:
        app.start(ConnectionSpec.local())
        panel = app.window.current_panel()
        assert isinstance(panel, JobsPanel)
        await until(lambda: panel.load_count >= 1 and panel.model.job(parent) is not None)
        await until(
            lambda: (
                len(client.list_jobs(arrayJobId=parent, jobStatus="RUNNABLE", maxResults=1)["jobSummaryList"])
                > 0
            )
        )
        # The first row (the parent) is selected at load: its details pane lists children of its own;
        # let that finish first.
        await asyncio.sleep(float(os.environ.get("ARRAY_EXPAND_SETTLE_S", "8")))
        times = []
        for _ in range(3):
            before = panel.model.rowCount()
            started = time.perf_counter()
            task = panel.toggle_children(parent)
            assert task is not None

            def shown(rows: int = before) -> bool:
                return panel.model.rowCount() > rows

            await until(shown)
            panel.table.viewport().repaint()
            times.append((time.perf_counter() - started) * 1000)
            await until(task.done)
            assert len(panel.model.children_of(parent)) == 10_000
            panel.toggle_children(parent)  # collapse for the next round
        return times

    try:
        times = loop.run_until_complete(scenario())
    finally:
        shutdown(app)
    # The first expansion lists the children; the others show children the table already holds.
    print(f"\n[bench] expand 10k children: {times} ms (first cold); load {os.getloadavg()}")
    figure("jobs_expand_10k_children_ms", times[0], "ms", 200, "lower")
