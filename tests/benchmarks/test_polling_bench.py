"""Polling benchmarks: 50 queues within one account-wide budget (issue 15).

Scenario: the sandbox with 50 queues on one Fargate environment; BUSY of them run long jobs (so
they stay active), the rest are idle. The monitor runs at its defaults (5 s, 10 requests/s); every
Batch request is counted at the sandbox's server over WINDOW_S seconds once every queue has been
read and the idle ones probed. Then jobs on busy queues are terminated one after another and the
time until the monitor's sample carries each failure is measured in poll intervals.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.aws.errors import translate
from batchgui.domain.polling import QueueKind
from batchgui.domain.samples import Sample
from batchgui.services.job_monitor import JobMonitor, MonitorSettings
from batchgui.services.runner import Runner
from tests.benchmarks.results import median, record
from tests.benchmarks.test_monitor_bench import loop  # noqa: F401 - the qasync loop fixture
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.services.polling_fixtures import ServerCount, batch_client, counting_server, make_queues, submit

QUEUES = 50
BUSY = 5
WINDOW_S = float(os.environ.get("POLLING_WINDOW_S", "60"))
CHANGES = 3


@pytest.mark.timeout(900)
def test_fifty_queues_within_the_budget(
    loop: asyncio.AbstractEventLoop,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qapp: Any,
) -> None:
    from batchgui.sandbox import SandboxSettings, start_in_process

    with counting_server(monkeypatch) as server:
        sandbox = start_in_process(
            tmp_path / "sandbox", seed=False, settings=SandboxSettings(transition_delay_s=0.05)
        )
        runner = Runner(workers=4, translate=translate)
        try:
            client = batch_client(sandbox, retries=3)
            names = make_queues(client, QUEUES, prefix="bench")
            busy_jobs = {
                name: [submit(client, name, f"busy-{n}") for n in range(CHANGES)] for name in names[:BUSY]
            }
            rate, intervals = loop.run_until_complete(scenario(runner, client, names, busy_jobs, server))
        finally:
            runner.close(timeout_s=2)
            sandbox.stop()
    record("monitor_requests_per_s_50_queues", rate, "req/s", 10, "lower")
    record("busy_queue_change_to_view_intervals_50_queues", median(intervals), "intervals", 2, "lower")
    record("busy_queue_change_to_view_intervals_50_queues_max", max(intervals), "intervals", 2, "lower")


async def scenario(
    runner: Runner, client: Any, names: list[str], busy_jobs: dict[str, list[str]], server: ServerCount
) -> tuple[float, list[float]]:
    monitor = JobMonitor(runner, connections_for(), settings=MonitorSettings())
    arrivals: list[tuple[float, Sample]] = []
    monitor.samples.add(lambda sample: arrivals.append((time.monotonic(), sample)))
    monitor.attach(FakeBackend(BatchGateway(client)))  # type: ignore[arg-type]
    monitor.start()
    idle = set(names[BUSY:])
    deadline = time.monotonic() + 300
    while not all(f.kind is QueueKind.IDLE for q, f in monitor.freshness().items() if q in idle) or len(
        monitor.freshness()
    ) < len(names):
        assert time.monotonic() < deadline, "the queues never settled"
        await asyncio.sleep(0.2)
    probes = monitor.counters.probes
    while monitor.counters.probes < probes + len(idle):  # a whole round of idle probes
        await asyncio.sleep(0.2)
    began = time.monotonic()
    polls = monitor.counters.polls
    await asyncio.sleep(WINDOW_S)
    rate = server.rate(began)
    print(
        f"\n[bench] 50 queues ({BUSY} busy): {rate:.2f} requests/s at the server over "
        f"{WINDOW_S:.0f} s, {monitor.counters.polls - polls} polls, {monitor.counters.last_poll_requests} "
        f"requests in the last one, interval {monitor.interval_s:.1f} s, load {os.getloadavg()[0]:.1f}"
    )
    intervals: list[float] = []
    for number in range(CHANGES):
        queue = names[number % BUSY]
        job_id = busy_jobs[queue][number]
        failed_before = monitor.counters.failed
        arrivals.clear()
        changed_at = time.monotonic()
        await runner.run(client.terminate_job, jobId=job_id, reason="benchmark")
        while monitor.counters.failed <= failed_before:
            await asyncio.sleep(0.01)
        seen_at = next(at for at, s in arrivals if sum(q.get("failed") for q in s.queues) > 0)
        intervals.append((seen_at - changed_at) / monitor.settings.interval_s)
    monitor.stop()
    return rate, intervals
