"""The Monitor's cost tile and "Cost & shares" tab: the rate and today's total from the history's
vCPUs and memory, by hand, and the fair-share usage sampled through the runnable facade."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from batchgui.domain.batch import JobQueue, Platform
from batchgui.domain.connection import ConnectionInfo, ConnectionSpec
from batchgui.domain.history import HistoryView
from batchgui.domain.pricing import CostEstimate
from batchgui.domain.samples import FIELD_INDEX, QUEUE_FIELDS, QueueSample, Sample, memory_field, vcpu_field
from batchgui.services.budget import TokenBucket
from batchgui.services.events import Listeners
from batchgui.services.job_monitor import JobMonitor
from batchgui.services.pricing import HistoryCost, PricingService
from batchgui.services.runnable import RunnableService
from batchgui.ui.monitor.cost import MonitorCost, intervals, merge_days
from tests.ui.test_runnable_pane import spawner


class StubShares:
    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    async def share_usage(self, queues: list[JobQueue], take: Any = None) -> dict[str, dict[str, float]]:
        self.asked.append([q.name for q in queues])
        if take is not None:
            await take()
        return {"fair": {"teamA": 2.0, "teamB": 0.5}}


def view(now: float) -> HistoryView:
    times = np.array([now - 60, now - 30, now], dtype=np.float64)
    columns = np.zeros((3, len(QUEUE_FIELDS)))
    columns[:, FIELD_INDEX[vcpu_field(Platform.FARGATE)]] = 2
    columns[:, FIELD_INDEX[memory_field(Platform.FARGATE)]] = 4096
    return HistoryView(times, columns, ())


def monitor() -> JobMonitor:
    fair = JobQueue("fair", "arn:q", "ENABLED", "VALID", 1, scheduling_policy_arn="arn:p")
    fake = SimpleNamespace(
        connections=SimpleNamespace(current=ConnectionInfo(ConnectionSpec.local())),
        environments=[],
        queues=[fair, JobQueue("fifo", "arn:f", "ENABLED", "VALID", 1)],
        budget=TokenBucket(10),
        samples=Listeners(),
    )
    return cast(JobMonitor, fake)


def test_gaps_are_not_costed() -> None:
    assert list(intervals(np.array([0.0, 5.0, 10.0, 500.0, 505.0]))) == [0, 5, 5, 0, 5]


def test_tile_and_tab_by_hand(qtbot: Any, run_async: Callable[..., Any]) -> None:
    tasks: list[asyncio.Task[Any]] = []
    fake_monitor = monitor()
    cost = MonitorCost(fake_monitor, spawner(tasks))
    stub = StubShares()
    cost.runnable = cast(RunnableService, stub)
    tabs = cost.tabs(QLabel("activity"))
    qtbot.addWidget(tabs)
    qtbot.addWidget(cost.tile)
    now = time.time()
    cost.show(view(now), now - 900, now)
    # 2 vCPU x $0.04048 + 4 GB x $0.004445 = $0.09874 an hour; two 30 s intervals = one minute of it.
    assert cost.tile.value.text() == "~$0.099/h"
    assert cost.series is not None
    now_rate = cost.series.now()
    assert now_rate is not None
    assert now_rate[0] == pytest.approx(0.09874)
    assert cost.tile.detail.text() == "today ~$0.0016 (while monitored)"
    assert "An estimate: Fargate (x86_64 rates)" in cost.tile.toolTip()
    assert tabs.tabText(1) == "Cost && shares"
    assert cost.plots is not None
    [(_day, low, high)] = cost.plots.days
    assert low == high == pytest.approx(0.09874 / 60)
    assert "Estimates:" in cost.plots.basis.text()
    # The share usage was asked for the fair-share queue only, once (again only after 30 s).
    assert len(tasks) == 1
    run_async(tasks[0])
    assert stub.asked == [["fair"]]
    cost.show(view(now), now - 900, now)
    assert len(tasks) == 1
    assert cost.share_history.latest() == {"teamA": 2.0, "teamB": 0.5}
    assert sorted(cost.plots._curves) == ["teamA", "teamB"]
    assert cost.plots.no_shares.isHidden()
    # Per queue and per share: 2.5 vCPU and 5 GiB on Fargate in "fair" = 2.5 x 0.04048 + 5 x 0.004445
    # = $0.123425 an hour; teamA holds 2 of its 2.5 vCPUs (80%), teamB 0.5 (20%).
    values = [0.0] * len(QUEUE_FIELDS)
    values[FIELD_INDEX[vcpu_field(Platform.FARGATE)]] = 2.5
    values[FIELD_INDEX[memory_field(Platform.FARGATE)]] = 5120
    fake_monitor.samples.emit(Sample(now, 5, (QueueSample("fair", tuple(values)),)))
    assert cost.queue_rates["fair"][0] == pytest.approx(0.123425)
    assert cost.breakdown() == (
        "Now, per queue: fair ~$0.12/h. Per share (its part of the queue's cost, by its vCPUs): "
        "teamA ~$0.099/h · teamB ~$0.025/h."
    )


def test_samples_are_priced_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A sample arrives every few seconds whether or not the Monitor is shown: pricing each one was
    # work for a figure nobody saw. The rates are worked out when shown (breakdown) or asked, once.
    from batchgui.domain.cost_rollup import rate_series

    priced: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        priced.append(1)
        return rate_series(*args, **kwargs)

    monkeypatch.setattr("batchgui.ui.monitor.cost.rate_series", counting)
    fake_monitor = monitor()
    cost = MonitorCost(fake_monitor, spawner([]))
    values = [0.0] * len(QUEUE_FIELDS)
    values[FIELD_INDEX[vcpu_field(Platform.FARGATE)]] = 2.5
    values[FIELD_INDEX[memory_field(Platform.FARGATE)]] = 5120
    now = time.time()
    for n in range(3):
        fake_monitor.samples.emit(Sample(now + n, 5, (QueueSample("fair", tuple(values)),)))
    assert priced == []
    assert cost.queue_rates["fair"][0] == pytest.approx(0.123425)
    assert cost.queue_vcpus == {"fair": 2.5}
    assert cost.breakdown() == "Now, per queue: fair ~$0.12/h."
    assert len(priced) == 1  # one queue of the latest sample, once
    fake_monitor.samples.emit(Sample(now + 5, 5, ()))
    assert cost.queue_rates == {}
    assert len(priced) == 1


class StubHistory:
    """The pricing facade's history_by_day: two earlier days and a bit of today."""

    def __init__(self, today: date) -> None:
        self.today = today

    async def history_by_day(self, zone: Any, since_ms: int = 0) -> HistoryCost:
        days = {
            self.today - timedelta(days=2): CostEstimate(1.0, 1.0, "Fargate"),
            self.today - timedelta(days=1): CostEstimate(0.5, 0.75, "EC2"),
            self.today: CostEstimate(0.001, 0.001, "Fargate"),
        }
        return HistoryCost(days, 12, 1, None)


def test_cost_per_day_covers_the_days_of_the_jobs_history(qtbot: Any, run_async: Callable[..., Any]) -> None:
    tasks: list[asyncio.Task[Any]] = []
    cost = MonitorCost(monitor(), spawner(tasks))
    today = datetime.now().date()
    cost.pricing = cast(PricingService, StubHistory(today))
    tabs = cost.tabs(QLabel("activity"))
    qtbot.addWidget(tabs)
    now = time.time()
    cost.show(view(now), now - 900, now)
    [ask] = tasks
    run_async(ask)
    cost.show(view(now), now - 900, now)
    assert cost.plots is not None
    # The two earlier days from the history alone; today the larger of the history's $0.001 and the
    # samples' minute of $0.09874 an hour.
    assert [(low, high) for _d, low, high in cost.plots.days] == [
        (1.0, 1.0),
        (0.5, 0.75),
        (pytest.approx(0.09874 / 60), pytest.approx(0.09874 / 60)),
    ]
    assert "12 finished jobs in the local jobs history, 1 not priced" in cost.plots.basis.text()
    assert len(tasks) == 1  # read again only after HISTORY_EVERY_S


def test_merge_days_takes_the_larger_of_each_end() -> None:
    day = date(2026, 12, 1)
    assert merge_days({day: (1.0, 3.0)}, {day: (2.0, 2.5), day - timedelta(1): (1.0, 1.0)}) == {
        day: (2.0, 3.0),
        day - timedelta(1): (1.0, 1.0),
    }
