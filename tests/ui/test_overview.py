"""The Overview panel on stub facades (a fake monitor and a fake inventory): per-queue counts, vCPUs by
platform family against capacity, failures with top reasons, and every tile/row a link."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import Qt

from batchgui.app import Application
from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.connection import ConnectionSpec
from batchgui.domain.samples import QUEUE_FIELDS, CapacitySample, QueueSample, Sample
from batchgui.services.job_monitor import FinishedJob
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.overview.figures import Failure, overview_figures, top_reasons
from batchgui.ui.overview.panel import OverviewPanel
from batchgui.ui.widgets.links import PanelLink
from batchgui.ui.widgets.panel import ListPanel
from batchgui.ui.widgets.status import StatusChipDelegate
from tests.support import MotoEndpoint, seed_batch
from tests.ui.csv_stubs import submission
from tests.ui.inventory_stubs import StubPanelServices, environment, queue, stub_panel_services
from tests.ui.jobs_stubs import FakeMonitor

pytestmark = pytest.mark.timeout(60)
NOW = 1_800_000_000.0


@pytest.fixture
def stub(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[StubPanelServices]:
    yield from stub_panel_services(tmp_path)


def queue_sample(name: str, **fields: float) -> QueueSample:
    values = [0.0] * len(QUEUE_FIELDS)
    values[QUEUE_FIELDS.index("oldest_runnable_created")] = math.nan
    for key, value in fields.items():
        values[QUEUE_FIELDS.index(key)] = value
    return QueueSample(name, tuple(values), "job-old" if "oldest_runnable_created" in fields else "", "no CE")


def sample() -> Sample:
    return Sample(
        NOW,
        5.0,
        (
            queue_sample(
                "q1",
                status_RUNNING=3,
                status_RUNNABLE=2,
                vcpus_FARGATE=2,
                vcpus_FARGATE_SPOT=1,
                memory_FARGATE=4096,
                oldest_runnable_created=NOW - 600,
            ),
            queue_sample("q2", status_RUNNING=1, vcpus_EC2=4, memory_EC2=8192),
        ),
        (
            CapacitySample("fg", Platform.FARGATE, 16, math.nan),
            CapacitySample("ec2", Platform.EC2, 32, 8),
        ),
    )


def test_figures_group_platform_families_and_keep_the_last_hour() -> None:
    failures = [
        Failure(NOW - 10, "a", "a", "q1", "Essential container exited"),
        Failure(NOW - 20, "b", "b", "q1", "Essential container exited"),
        Failure(NOW - 30, "c", "c", "q2", "OutOfMemory"),
        Failure(NOW - 4000, "old", "old", "q2", "long ago"),
    ]
    figures = overview_figures(sample(), failures, NOW)
    assert figures.total(JobStatus.RUNNING) == 4
    assert figures.total(JobStatus.RUNNABLE) == 2
    fargate, ec2 = figures.family("Fargate"), figures.family("EC2")
    assert (fargate.vcpus, fargate.memory_mib, fargate.capacity_vcpus) == (3, 4096, 16)
    assert (ec2.vcpus, ec2.memory_mib, ec2.capacity_vcpus) == (4, 8192, 32)
    assert [f.job_id for f in figures.failures] == ["a", "b", "c"]
    assert figures.top_reasons == (("Essential container exited", 2), ("OutOfMemory", 1))
    oldest = figures.oldest_runnable()
    assert oldest is not None
    assert oldest.queue == "q1"
    assert oldest.oldest_age_s == 600
    assert top_reasons([Failure(NOW, "x", "x", "q", "  ")]) == (("(no reason given)", 1),)


def test_overview_shows_queues_capacity_failures_and_links(
    stub: StubPanelServices, qtbot: Any, qtmodeltester: Any, run_async: Callable[..., Any]
) -> None:
    fg, ec2 = environment("fg"), environment("ec2", "EC2", state="DISABLED")
    stub.inventory.environments = [fg, ec2]
    stub.inventory.queues = [queue("q1", [fg]), queue("q2", [ec2]), queue("idle", [fg])]
    monitor = FakeMonitor()
    panel = OverviewPanel(stub.services, cast(Any, monitor), stub.inventory, clock=lambda: NOW)
    qtbot.addWidget(panel)
    panel.resize(1000, 650)
    panel.show()
    links: list[PanelLink] = []
    panel.link_activated.connect(links.append)

    run_async(panel.load())
    assert "start" in monitor.calls  # the landing page starts the monitor
    for model in (panel.queue_model, panel.env_model, panel.failure_model):
        qtmodeltester.check(model)
    # Queues from the inventory are listed before the first sample, with zero counts.
    assert sorted(r.line.queue for r in panel.queue_model.all_rows()) == ["idle", "q1", "q2"]
    assert panel.tile_running.value.text() == "—"
    assert panel.queue_empty.shown() is None
    assert panel.env_empty.shown() is None

    monitor.samples.emit(sample())
    assert panel.tile_running.value.text() == "4"
    assert panel.tile_runnable.value.text() == "2"
    assert panel.tile_fargate.value.text() == "3 / 16"
    assert panel.tile_ec2.value.text() == "4 / 32"
    assert "GiB" in panel.tile_fargate.detail.text()
    assert panel.tile_oldest.value.text() == "10 min"
    assert "q1" in panel.tile_oldest.detail.text()
    assert panel.failure_empty.shown() is panel.failure_empty.state

    monitor.jobs_failed.emit(
        [
            FinishedJob("j1", "one", "q1", JobStatus.FAILED, "Essential container exited"),
            FinishedJob("j2", "two", "q2", JobStatus.FAILED, "Essential container exited"),
        ]
    )
    assert panel.tile_failed.value.text() == "2"
    assert "Essential container exited (2)" in panel.reasons_label.text()
    assert panel.failure_empty.shown() is None

    # Status chips on the State/Status columns.
    state_column = [c.title for c in panel.env_model.columns].index("State")
    assert isinstance(panel.env_table.itemDelegateForColumn(state_column), StatusChipDelegate)

    # Links: a tile (click and keyboard), a count cell, an environment row, a failure row.
    qtbot.mouseClick(panel.tile_running, Qt.MouseButton.LeftButton)
    assert links[-1] == PanelLink("jobs", status=JobStatus.RUNNING)
    panel.tile_oldest.setFocus()
    qtbot.keyClick(panel.tile_oldest, Qt.Key.Key_Return)
    assert links[-1] == PanelLink("jobs", queue="q1", status=JobStatus.RUNNABLE, job_id="job-old")
    q1 = panel.queue_model.row_of_key("q1")
    runnable_column = [c.title for c in panel.queue_model.columns].index("Runnable")
    panel.queue_table.activated.emit(panel.queue_model.index(q1, runnable_column))
    assert links[-1] == PanelLink("jobs", queue="q1", status=JobStatus.RUNNABLE)
    panel.queue_table.activated.emit(panel.queue_model.index(q1, 0))
    assert links[-1] == PanelLink("jobs", queue="q1")
    ec2_row = panel.env_model.row_of_key("ec2")
    panel.env_table.activated.emit(panel.env_model.index(ec2_row, 0))
    assert links[-1] == PanelLink("compute-environments", filter_text="ec2")
    panel.failure_table.setCurrentIndex(panel.failure_model.index(0, 0))
    panel.failure_table.setFocus()
    qtbot.keyClick(panel.failure_table, Qt.Key.Key_Return)
    assert links[-1].panel_id == "jobs"
    assert links[-1].status == JobStatus.FAILED
    assert links[-1].job_id
    assert stub.errors == []


def test_overview_empty_states_say_what_to_do(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any]
) -> None:
    panel = OverviewPanel(stub.services, cast(Any, FakeMonitor()), stub.inventory, clock=lambda: NOW)
    qtbot.addWidget(panel)
    panel.resize(1000, 650)
    panel.show()
    # Before the first load nothing claims the account is empty.
    assert panel.queue_empty.shown() is None
    run_async(panel.load())
    panel.load_count += 1  # what refresh() does after load() (the stub has no connection to refresh)
    panel.loaded.emit()
    shown = panel.queue_empty.shown()
    assert shown is not None
    assert shown.title == "No job queues yet"
    links: list[PanelLink] = []
    panel.link_activated.connect(links.append)
    shown.button.click()
    assert links == [PanelLink("job-queues")]
    env_state = panel.env_empty.shown()
    assert env_state is not None
    assert "compute environments" in env_state.title
    env_state.button.click()
    assert links[-1] == PanelLink("compute-environments")


def test_the_app_opens_on_the_overview_and_follows_its_links(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    app = make_app(moto)
    app.start(ConnectionSpec.local())
    overview = app.window.current_panel()
    assert isinstance(overview, OverviewPanel)  # the landing page
    wait_until(lambda: overview.load_count > 0, what="the overview loaded")
    assert [r.line.queue for r in overview.queue_model.all_rows()] == ["demo-queue"]
    assert overview.env_model.rowCount() >= 1

    overview.link_activated.emit(PanelLink("jobs", queue="demo-queue", status=JobStatus.RUNNABLE))
    jobs = app.window.current_panel()
    assert isinstance(jobs, JobsPanel)
    assert jobs.queues_to_list() == ["demo-queue"]
    assert jobs.status_tabs.tabText(jobs.status_tabs.currentIndex()).startswith("Runnable")

    overview.link_activated.emit(PanelLink("compute-environments", filter_text="demo-fargate"))
    environments = app.window.current_panel()
    assert environments.panel_id == "compute-environments"
    assert isinstance(environments, ListPanel)
    assert environments.filter_edit.text() == "demo-fargate"


class FakeSubmissions:
    def __init__(self, submissions: list[Any]) -> None:
        self.listed = submissions

    async def submissions(self) -> list[Any]:
        return list(self.listed)


def test_the_latest_submission_tile_links_to_it(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any]
) -> None:
    fake = FakeSubmissions([])
    panel = OverviewPanel(
        stub.services,
        cast(Any, FakeMonitor()),
        stub.inventory,
        submissions=cast(Any, fake),
        clock=lambda: NOW,
    )
    qtbot.addWidget(panel)
    run_async(panel.load())
    assert "Ctrl+N" in panel.tile_submission.detail.text()
    fake.listed = [
        submission("old", created_at=NOW - 100),
        submission("new", created_at=NOW - 10, counts={"submitted": 2, "pending": 1}),
    ]
    run_async(panel.load())
    assert panel.tile_submission.value.text() == "new.csv"
    assert "2/3 sent" in panel.tile_submission.detail.text()
    links: list[PanelLink] = []
    panel.link_activated.connect(links.append)
    panel.show()
    qtbot.mouseClick(panel.tile_submission, Qt.MouseButton.LeftButton)
    assert links == [PanelLink("submissions", filter_text="new")]
