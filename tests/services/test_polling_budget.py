"""One account-wide budget for 50 queues, on the real sandbox: idle queues probed, busy ones read
every tick, requests counted at the server, and throttled answers slowing the budget down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from batchgui.aws.batch import BatchGateway
from batchgui.domain.polling import QueueKind
from batchgui.services.job_monitor import JobMonitor, MonitorSettings, MonitorState, MonitorStatus
from batchgui.services.runner import Runner
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.services.polling_fixtures import ServerCount, batch_client, counting_server, make_queues, submit

QUEUES = 50
BUSY = 3
SETTINGS = MonitorSettings(interval_s=1, requests_per_s=40, idle_after_s=3, idle_interval_s=6)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerCount]:
    with counting_server(monkeypatch) as count:
        yield count


@pytest.fixture
def fifty(quick: Any, server: ServerCount) -> tuple[Any, list[str]]:
    """The sandbox with 50 queues, the first BUSY of them running a long job each."""
    client = batch_client(quick)
    names = make_queues(client, QUEUES)
    for name in names[:BUSY]:
        submit(client, name)
    return client, names


def monitoring(runner: Runner, client: Any, settings: MonitorSettings = SETTINGS) -> JobMonitor:
    monitor = JobMonitor(runner, connections_for(), settings=settings)
    monitor.attach(FakeBackend(BatchGateway(client)))  # type: ignore[arg-type]
    return monitor


def steady(monitor: JobMonitor, wait_until: Callable[..., None], names: list[str]) -> None:
    """Every queue read, and the quiet ones idle and probed at least once since."""
    idle = set(names[BUSY:])

    def settled() -> bool:
        fresh = monitor.freshness()
        return len(fresh) == QUEUES and all(fresh[q].kind is QueueKind.IDLE for q in idle)

    wait_until(settled, timeout=60, what="idle queues classified idle")
    probes = monitor.counters.probes
    wait_until(lambda: monitor.counters.probes >= probes + len(idle), timeout=60, what="a round of probes")


@pytest.mark.timeout(180)
def test_a_job_on_an_idle_queue_shows_within_its_idle_interval_plus_one(
    fifty: tuple[Any, list[str]], runner: Runner, wait_until: Callable[..., None]
) -> None:
    client, names = fifty
    monitor = monitoring(runner, client)
    monitor.start()
    steady(monitor, wait_until, names)
    idle_queue = names[-1]
    assert monitor.freshness()[idle_queue].kind is QueueKind.IDLE
    submitted_at = time.monotonic()
    job_id = submit(client, idle_queue, "wakes-the-queue")
    wait_until(lambda: job_id in monitor.tracked_ids(), timeout=30, what="the new job tracked")
    took = time.monotonic() - submitted_at
    polls = monitor.counters.last_poll_s
    monitor.stop()
    limit = SETTINGS.idle_every() + monitor.interval_s
    assert took <= limit + polls, f"{took:.2f} s > {limit} s + a poll ({polls:.2f} s)"
    assert monitor.freshness()[idle_queue].kind is QueueKind.BUSY


@pytest.mark.timeout(180)
def test_fifty_queues_stay_under_the_budget_and_a_busy_queue_is_read_every_tick(
    fifty: tuple[Any, list[str]], runner: Runner, wait_until: Callable[..., None], server: ServerCount
) -> None:
    client, names = fifty
    # 20 requests/s at a 2 s interval: a full read of every queue each tick would take 300 requests.
    budget = 20.0
    settings = MonitorSettings(interval_s=2, requests_per_s=budget, idle_after_s=4, idle_interval_s=12)
    monitor = monitoring(runner, client, settings)
    monitor.start()
    steady(monitor, wait_until, names)
    began, reads = time.monotonic(), monitor.counters.full_reads
    polls = monitor.counters.polls

    async def window() -> None:
        await asyncio.sleep(12)

    asyncio.get_event_loop().run_until_complete(window())
    rate = server.rate(began)
    ticks = monitor.counters.polls - polls
    full_reads = monitor.counters.full_reads - reads
    monitor.stop()
    assert rate <= budget * 1.05, f"{rate:.2f} requests/s at the server"
    assert ticks >= 4
    assert full_reads >= BUSY * (ticks - 1)  # every busy queue, every tick


@pytest.mark.timeout(180)
def test_a_throttled_answer_slows_the_budget_and_it_recovers(
    fifty: tuple[Any, list[str]], runner: Runner, wait_until: Callable[..., None], server: ServerCount
) -> None:
    client, _names = fifty
    monitor = monitoring(runner, client)
    monitor.budget.recover_after = 5  # recover in seconds, not minutes
    statuses: list[MonitorStatus] = []
    monitor.status.add(statuses.append)
    monitor.start()
    wait_until(lambda: monitor.counters.polls >= 2, timeout=60, what="polling")
    server.limit_per_s = 4  # the account's limit falls below the budget (40/s)
    wait_until(lambda: monitor.budget.per_s < 20, timeout=60, what="the budget slowed down")
    assert server.throttled
    wait_until(
        lambda: any(s.state is MonitorState.THROTTLED for s in statuses), timeout=30, what="said throttled"
    )
    said = next(s for s in statuses if s.state is MonitorState.THROTTLED)
    assert said.message.startswith("Throttled by AWS — polling slower")
    assert not any(s.state is MonitorState.ERROR for s in statuses)
    server.limit_per_s = 0
    wait_until(lambda: not monitor.budget.slowed, timeout=90, what="the budget back at its rate")
    wait_until(
        lambda: monitor.last_status.state is MonitorState.LIVE, timeout=30, what="live again after throttling"
    )
    monitor.stop()
    assert monitor.budget.per_s == pytest.approx(40)
