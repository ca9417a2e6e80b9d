"""The consumable resources, service environments, quota shares and service jobs panels against the
real local sandbox, through the app's own services: create, change, delete, and what the sandbox's
scheduling says (a service job beyond its quota share waits RUNNABLE with the reason)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from batchgui.app import Application
from tests.ui.admin_support import SandboxEndpoint, answer, open_panel, select_row

pytestmark = pytest.mark.timeout(120)


def show(app: Application, panel_id: str, wait_until: Callable[..., None]) -> Any:
    panel = app.window.show_panel(panel_id)
    before = panel.load_count
    panel.refresh()
    wait_until(lambda: panel.load_count > before, timeout=30, what=f"{panel_id} loaded")
    return panel


def reload(panel: Any, wait_until: Callable[..., None], until: Callable[[], bool], what: str) -> None:
    def again() -> bool:
        if until():
            return True
        if panel._loading is None or panel._loading.done():
            panel.refresh()
        return False

    wait_until(again, timeout=30, what=what)


def names(panel: Any) -> list[str]:
    return [panel.model.index(r, 0).data() for r in range(panel.model.rowCount())]


def dialog_of(panel: Any, wait_until: Callable[..., None]) -> Any:
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the dialog")
    return panel.dialog


def test_consumable_resources_on_the_sandbox(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None], qtmodeltester: Any
) -> None:
    _app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "consumable-resources", wait_until)
    panel.create_new()
    dialog = dialog_of(panel, wait_until)
    dialog.name.setText("licences")
    dialog.quantity.setValue(4)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="created")
    reload(panel, wait_until, lambda: names(panel) == ["licences"], "the new resource")
    qtmodeltester.check(panel.model)
    assert panel.model.all_rows()[0].resource.total == 4

    select_row(panel, "licences")
    panel.edit()
    dialog = dialog_of(panel, wait_until)
    dialog.operation.setCurrentIndex(dialog.operation.findData("ADD"))
    dialog.quantity.setValue(3)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="changed")
    reload(panel, wait_until, lambda: panel.model.all_rows()[0].resource.total == 7, "the new total")

    select_row(panel, "licences")
    panel.delete()
    assert "Delete consumable resource licences?" in answer(wait_until)
    reload(panel, wait_until, lambda: names(panel) == [], "the resource gone")


def test_training_panels_on_the_sandbox(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None], qtmodeltester: Any
) -> None:
    app, environments = open_panel(make_app, SandboxEndpoint(sandbox), "service-environments", wait_until)
    environments.create_new()
    dialog = dialog_of(environments, wait_until)
    dialog.name.setText("sm-env")
    dialog.max_instances.setValue(4)
    dialog.start_apply()
    wait_until(lambda: environments.dialog is None, what="environment created")
    reload(environments, wait_until, lambda: names(environments) == ["sm-env"], "the environment")
    qtmodeltester.check(environments.model)

    backend = app.connections.backend
    assert backend is not None
    batch = backend.batch.client  # the app's own client: the Job queues panel makes container queues only
    batch.create_job_queue(
        jobQueueName="training",
        priority=1,
        jobQueueType="SAGEMAKER_TRAINING",
        serviceEnvironmentOrder=[{"order": 1, "serviceEnvironment": "sm-env"}],
    )

    shares = show(app, "quota-shares", wait_until)
    shares.create_new()
    dialog = dialog_of(shares, wait_until)
    dialog.name.setText("team-a")
    dialog.limits.model.setData(dialog.limits.model.index(0, 0), "ml.m5.large")
    dialog.limits.model.setData(dialog.limits.model.index(0, 1), "1")
    dialog.start_apply()
    wait_until(lambda: shares.dialog is None, what="share created")
    reload(shares, wait_until, lambda: [s.status for s in shares.model.all_rows()] == ["VALID"], "the share")
    qtmodeltester.check(shares.model)

    jobs = show(app, "service-jobs", wait_until)
    payload = {
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "Environment": {"BATCHGUI_SIMULATED_SECONDS": "60"},
    }
    for name in ("first", "second"):
        jobs.submit_new()
        dialog = dialog_of(jobs, wait_until)
        dialog.name.setText(name)
        dialog.share.setCurrentIndex(dialog.share.findData("team-a"))
        dialog.payload.setPlainText(json.dumps(payload))
        dialog.start_apply()
        wait_until(lambda: jobs.dialog is None, what=f"{name} submitted")

    def statuses() -> dict[str, str]:
        return {j.name: j.status for j in jobs.model.all_rows()}

    reload(jobs, wait_until, lambda: statuses() == {"first": "RUNNING", "second": "RUNNABLE"}, "one waiting")
    qtmodeltester.check(jobs.model)
    second = next(j for j in jobs.model.all_rows() if j.name == "second")
    assert second.status_reason == "Waiting for capacity: quota share team-a has 1 of 1 ml.m5.large in use"
    # The Quota shares panel says the same: the share's use against its limit (GetJobQueueSnapshot).
    shares = show(app, "quota-shares", wait_until)
    reload(
        shares,
        wait_until,
        lambda: [s.in_use_text for s in shares.model.all_rows()] == ["1 of 1 ml.m5.large"],
        "the share's use",
    )
    in_use = next(
        n
        for n in range(shares.model.columnCount())
        if shares.model.headerData(n, Qt.Orientation.Horizontal) == "In use"
    )
    assert shares.model.index(0, in_use).data() == "1 of 1 ml.m5.large"
    jobs = show(app, "service-jobs", wait_until)
    select_row(jobs, "second")
    assert "simulated" in jobs.details.toPlainText()

    select_row(jobs, "first")
    jobs.delete()
    assert "Terminate service job first" in answer(wait_until)
    # The capacity it gave back lets the waiting job start.
    reload(
        jobs, wait_until, lambda: statuses() == {"first": "FAILED", "second": "RUNNING"}, "the second to run"
    )
    select_row(jobs, "second")
    jobs.delete()
    answer(wait_until)
    reload(jobs, wait_until, lambda: statuses()["second"] == "FAILED", "the second terminated")
