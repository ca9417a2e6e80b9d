"""The Monitor panel on real endpoints: moto for shapes, the sandbox for behaviour (the issue's proof)."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPointF

from batchgui.app import Application
from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
from batchgui.domain.samples import status_field, vcpu_field
from batchgui.ui.monitor.panel import MonitorPanel, format_age
from tests.support import MotoEndpoint, seed_batch

# Where the mid-run screenshots go when a person wants to look at them (e.g. MONITOR_SHOTS=/tmp/shots).
SHOTS = os.environ.get("MONITOR_SHOTS")


@dataclass(frozen=True)
class SandboxEndpoint:
    """make_app wants something with .local(); the sandbox gives its own keys."""

    running: Any

    def local(self) -> LocalEndpoint:
        r = self.running
        return LocalEndpoint(r.endpoint_url, r.region, r.access_key_id, r.secret_access_key)

    def client(self, service: str) -> Any:
        import boto3

        r = self.running
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=r.endpoint_url,
            region_name=r.region,
            aws_access_key_id=r.access_key_id,
            aws_secret_access_key=r.secret_access_key,
        )


@pytest.fixture
def quick_sandbox(tmp_path: Path) -> Iterator[SandboxEndpoint]:
    """A sandbox with short simulated delays and no demo data."""
    from batchgui.sandbox import SandboxSettings, start_in_process

    settings = SandboxSettings(
        transition_delay_s=0.1,
        fargate_start_delay_s=0.2,
        ec2_provision_delay_s=1.0,
        ec2_start_delay_s=0.1,
        ec2_idle_drain_s=2.0,
    )
    running = start_in_process(tmp_path / "sandbox", seed=False, settings=settings)
    yield SandboxEndpoint(running)
    running.stop()


def monitor_panel(app: Application) -> MonitorPanel:
    panel = app.window.panel("monitor")
    assert isinstance(panel, MonitorPanel)
    return panel


def select_queue(panel: MonitorPanel, name: str) -> None:
    model = panel.model
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == name:
            panel.table.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            return
    raise AssertionError(f"queue {name} not in the table")


def shoot(panel: MonitorPanel, name: str, tmp_path: Path) -> Path:
    target = Path(SHOTS) if SHOTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    assert panel.window().grab().save(str(path))
    return path


@pytest.mark.timeout(120)
def test_fargate_and_ec2_run_plotted_as_it_happens(
    make_app: Callable[..., Application],
    quick_sandbox: SandboxEndpoint,
    wait_until: Callable[..., None],
    tmp_path: Path,
) -> None:
    batch = quick_sandbox.client("batch")
    fargate = batch.create_compute_environment(
        computeEnvironmentName="proof-fargate",
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "FARGATE",
            "maxvCpus": 8,
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
        },
    )["computeEnvironmentArn"]
    ec2 = batch.create_compute_environment(
        computeEnvironmentName="proof-ec2",
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 16,
            "instanceTypes": ["m5.large"],
            "subnets": ["subnet-1"],
            "securityGroupIds": ["sg-1"],
            "instanceRole": "ecsInstanceRole",
        },
    )["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName="proof-fargate-queue",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": fargate}],
    )
    batch.create_job_queue(
        jobQueueName="proof-ec2-queue",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ec2}],
    )
    for name, platform in (("proof-sleep", "FARGATE"), ("proof-sleep-ec2", "EC2")):
        batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            platformCapabilities=[platform],
            containerProperties={
                "image": "busybox",
                "command": ["sleep", "1.5"],
                "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
            },
        )
    wait_until(
        lambda: all(q["status"] == "VALID" for q in batch.describe_job_queues()["jobQueues"]),
        timeout=10,
        what="queues VALID",
    )

    app = make_app(quick_sandbox, "--panel", "monitor")
    panel = monitor_panel(app)
    panel.interval_spin.setValue(1)
    panel.budget_spin.setValue(30)
    app.start(ConnectionSpec.local())
    wait_until(lambda: panel.load_count > 0, what="monitor loaded")
    monitor = panel.monitor
    assert monitor is not None
    wait_until(lambda: monitor.counters.polls >= 1, what="baseline poll")

    for i in range(50):
        batch.submit_job(jobName=f"f{i}", jobQueue="proof-fargate-queue", jobDefinition="proof-sleep")
    for i in range(4):
        batch.submit_job(jobName=f"e{i}", jobQueue="proof-ec2-queue", jobDefinition="proof-sleep-ec2")

    plots = panel.plots
    assert plots is not None
    fargate_key = vcpu_field(Platform.FARGATE)

    def peak() -> float:
        data = plots.series_values(fargate_key)
        return 0.0 if data is None or not len(data[1]) else float(np.nanmax(data[1]))

    wait_until(lambda: peak() >= 8, timeout=40, what="Fargate vCPUs reach 8")
    shots = [shoot(panel, "monitor-mid-run.png", tmp_path)]
    wait_until(lambda: monitor.counters.succeeded >= 54, timeout=60, what="all 54 jobs counted as succeeded")

    def desired() -> Any:
        data = plots.series_values("capacity_desired_proof-ec2")
        return None if data is None else data[1]

    wait_until(
        lambda: desired() is not None and np.nanmax(desired()) > 0 and desired()[-1] == 0,
        timeout=30,
        what="EC2 desiredvCpus rises and falls back",
    )
    panel.redraw()
    shots.append(shoot(panel, "monitor-after-run.png", tmp_path))

    # Fargate vCPUs peak at the environment's maxvCpus and never above.
    _, fargate_vcpus = plots.series_values(fargate_key) or (None, np.zeros(0))
    assert np.nanmax(fargate_vcpus) == 8
    # RUNNABLE drained (the stacked series: RUNNABLE band = its curve minus the one below).
    history = monitor.history
    runnable = history.view().series(status_field(JobStatus.RUNNABLE))
    assert np.nanmax(runnable) > 0
    assert runnable[-1] == 0
    # Throughput totals for the Fargate queue: 50 submitted, 50 succeeded, none failed.
    select_queue(panel, "proof-fargate-queue")
    panel.redraw()
    totals = {k: plots.series_values(f"total_{k}") for k in ("submitted", "succeeded", "failed")}
    assert {k: float(v[1][-1]) for k, v in totals.items() if v is not None} == {
        "submitted": 50.0,
        "succeeded": 50.0,
        "failed": 0.0,
    }
    assert [c.environment for c in history.view().capacity] == ["proof-fargate"]
    shots.append(shoot(panel, "monitor-fargate-queue.png", tmp_path))
    assert all(p.stat().st_size > 10_000 for p in shots)
    # Requests stayed within the budget.
    assert monitor.budget.rate(window_s=5) <= 30 + 1


@pytest.mark.timeout(60)
def test_panel_on_moto_shows_queues_tiles_hover_and_exports(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    tmp_path: Path,
    qtmodeltester: Any,
) -> None:
    ids = seed_batch(moto)
    app = make_app(moto, "--panel", "monitor")
    panel = monitor_panel(app)
    qtmodeltester.check(panel.model)
    panel.interval_spin.setValue(1)
    app.start(ConnectionSpec.local())
    wait_until(lambda: panel.load_count > 0, what="monitor loaded")
    assert panel.model.index(0, 0).data() == "demo-queue"
    monitor = panel.monitor
    assert monitor is not None
    wait_until(lambda: monitor.counters.polls >= 1, what="first poll")
    moto.client("batch").submit_job(jobName="one", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    wait_until(lambda: monitor.counters.submitted >= 1, what="the new job is counted")
    wait_until(lambda: monitor.counters.polls >= 3, what="more polls")
    panel.redraw()
    qtmodeltester.check(panel.model)
    assert panel.tile_running.value.text() != "—"
    # "Live" once a poll finished within the 1 s interval: on a loaded machine one poll may take
    # longer, and the label then rightly says "Data delayed" until the next on-time poll.
    wait_until(lambda: panel.status_label.text().startswith("Live"), 30, "an on-time poll (Live)")

    plots = panel.plots
    assert plots is not None
    last = float(monitor.history.view().times[-1])
    text = plots.hover_at(last)
    assert "Submitted" in text
    # Hover through the mouse: the scene reports the move, the label shows values.
    centre = plots.status.sceneBoundingRect().center()
    plots._mouse_moved(QPointF(centre))
    assert panel.hover_label.text()

    # The legend toggles a series.
    plots.set_series_visible(vcpu_field(Platform.FARGATE), False)
    assert not plots.series[vcpu_field(Platform.FARGATE)].item.isVisible()

    csv_path = tmp_path / "out.csv"
    task = panel.export_csv_to(csv_path)
    wait_until(task.done, what="CSV written")
    rows = list(csv.reader(csv_path.open()))
    assert rows[0][:3] == ["time_utc", "epoch_s", "status_SUBMITTED"]
    assert len(rows) >= 3
    png = tmp_path / "plots.png"
    assert panel.export_png_to(png)
    assert png.stat().st_size > 1000
    assert not panel.export_png_to(tmp_path / "missing-dir" / "x.png")

    # Pause: no more polls while paused; resume carries on.
    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume"
    assert "Paused" in panel.status_label.text()
    panel.pause_button.click()
    polls = monitor.counters.polls
    wait_until(lambda: monitor.counters.polls > polls, what="polling resumed")

    # Window choice is remembered.
    panel.window_combo.setCurrentIndex(3)
    assert panel.window_s() == 24 * 3600
    assert app.settings.int_value("monitor/window_index", 0) == 3


@pytest.mark.timeout(60)
def test_history_is_back_after_a_restart(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
) -> None:
    seed_batch(moto)
    app = make_app(moto, "--panel", "monitor")
    panel = monitor_panel(app)
    panel.interval_spin.setValue(1)
    app.start(ConnectionSpec.local())
    wait_until(lambda: panel.monitor is not None and panel.monitor.counters.polls >= 2, what="two polls")
    assert panel.monitor is not None
    first_run = len(panel.monitor.history)
    app.window.close()
    app.shutdown()

    again = make_app(moto, "--panel", "monitor")
    panel2 = monitor_panel(again)
    again.start(ConnectionSpec.local())
    wait_until(
        lambda: panel2.monitor is not None and len(panel2.monitor.history) >= first_run,
        what="history restored",
    )


def test_notifications_without_a_tray_are_kept_quietly(
    make_app: Callable[..., Application], moto: MotoEndpoint
) -> None:
    from batchgui.services.job_monitor import FinishedJob, RunnableAlert

    app = make_app(moto)
    panel = monitor_panel(app)
    panel._on_jobs_failed([FinishedJob("1", "a", "q", JobStatus.FAILED, "exit 1")])
    assert not panel.notifier.recent  # off by default
    panel.notify_check.setChecked(True)
    panel._on_jobs_failed([FinishedJob("1", "a", "q", JobStatus.FAILED, "exit 1")])
    panel._on_jobs_failed([FinishedJob(str(i), "a", "q", JobStatus.FAILED) for i in range(3)])
    panel._on_runnable_waiting(RunnableAlert("q", "9", 900, "no capacity"))
    assert [t for t, _ in panel.notifier.recent] == ["Job failed", "3 jobs failed", "Jobs waiting in q"]
    assert "15 min" in panel.notifier.recent[-1][1]
    assert app.settings.int_value("monitor/notify", 0) == 1


def test_format_age() -> None:
    assert format_age(None) == "—"
    assert format_age(math.nan) == "—"
    assert format_age(5) == "5 s"
    assert format_age(600) == "10 min"
    assert format_age(7200) == "2.0 h"
    assert format_age(86400 * 3) == "3.0 days"
