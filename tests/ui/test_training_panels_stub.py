"""The consumable resources, service environments, quota shares and service jobs panels, each built
with fake facades and no server: rows shown, and an action reaching the facade as a typed request."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.domain.consumables import ConsumableResourceRequest, ConsumableResourceUpdate, ConsumableUse
from batchgui.domain.training import (
    QuotaShare,
    QuotaShareRequest,
    ServiceEnvironmentRequest,
    ServiceJobRequest,
)
from batchgui.services.training import TrainingService
from batchgui.ui.consumable_resources.panel import ConsumableResourcesPanel
from batchgui.ui.quota_shares.panel import QuotaSharesPanel
from batchgui.ui.service_environments.panel import ServiceEnvironmentsPanel
from batchgui.ui.service_jobs.panel import ServiceJobsPanel
from tests.ui.admin_support import answer, message_boxes, select_row
from tests.ui.inventory_stubs import StubPanelServices, stub_panel_services
from tests.ui.training_stubs import (
    FakeConsumables,
    FakeTraining,
    consumable_job,
    quota_share,
    resource,
    service_environment,
    service_job,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stub(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[StubPanelServices]:
    yield from stub_panel_services(tmp_path)


def fakes(stub: StubPanelServices) -> tuple[FakeConsumables, FakeTraining]:
    args = (stub.inventory._runner, stub.services.connections)
    return FakeConsumables(*args), FakeTraining(*args)


def texts(panel: Any, column: int = 0) -> list[str]:
    return [panel.model.index(r, column).data() for r in range(panel.model.rowCount())]


def column(panel: Any, title: str) -> int:
    return [c.title for c in panel.model.columns].index(title)


def wait_dialog(panel: Any, wait_until: Callable[..., None]) -> Any:
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the dialog")
    return panel.dialog


def test_consumable_resources_panel_on_fake_facades(
    stub: StubPanelServices, qtbot: Any, qtmodeltester: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    consumables, _training = fakes(stub)
    jobs = (consumable_job("a", "RUNNING", 3), consumable_job("b", "RUNNABLE", 8))
    consumables.rows = [ConsumableUse(resource("licences", 10, 3), jobs)]
    panel = ConsumableResourcesPanel(stub.services, stub.inventory, consumables)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["licences"]
    assert [texts(panel, column(panel, t))[0] for t in ("In use", "Total", "Available")] == ["3", "10", "7"]
    assert texts(panel, column(panel, "Jobs holding")) == ["1"]
    assert texts(panel, column(panel, "Jobs waiting")) == ["1"]
    assert "b (b): 8, RUNNABLE" in panel.details.toPlainText()

    panel.create_new()
    dialog = wait_dialog(panel, wait_until)
    dialog.name.setText("bad name!")
    dialog.start_apply()
    assert dialog.sent == 0
    assert any("consumableResourceName" in t for t in dialog.problems.texts())
    dialog.name.setText("tokens")
    dialog.quantity.setValue(500)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")

    select_row(panel, "licences")
    panel.edit()
    dialog = wait_dialog(panel, wait_until)
    dialog.operation.setCurrentIndex(dialog.operation.findData("REMOVE"))
    dialog.quantity.setValue(11)
    dialog.start_apply()
    assert any("Can't take 11 from a total of 10" in t for t in dialog.problems.texts())
    dialog.quantity.setValue(2)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the change dialog to close")
    (created,), (changed,) = consumables.recorded.of("save")
    assert created == ConsumableResourceRequest("tokens", 500, "REPLENISHABLE")
    assert changed == ConsumableResourceUpdate(resource("licences").arn, "REMOVE", 2)

    panel.delete()
    assert "1 running job(s) hold some of it now" in answer(wait_until)
    wait_until(lambda: bool(consumables.recorded.of("delete")), what="delete")
    assert stub.errors == []


def test_service_environments_panel_on_fake_facades(
    stub: StubPanelServices, qtbot: Any, qtmodeltester: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    _consumables, training = fakes(stub)
    training.environments = [service_environment("sm-env", 4)]
    panel = ServiceEnvironmentsPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["sm-env"]
    assert texts(panel, column(panel, "Max instances")) == ["4"]

    panel.create_new()
    dialog = wait_dialog(panel, wait_until)
    dialog.name.setText("gpu-env")
    dialog.max_instances.setValue(16)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = training.recorded.of("save_service_environment")
    assert sent == ServiceEnvironmentRequest("gpu-env", 16)
    assert sent.to_api()["capacityLimits"] == [{"maxCapacity": 16, "capacityUnit": "NUM_INSTANCES"}]

    select_row(panel, "sm-env")
    assert panel.toggle_button.text() == "Disable"
    panel.delete()
    assert "it will be disabled first" in answer(wait_until)
    wait_until(lambda: bool(training.recorded.of("delete_service_environment")), what="delete")
    assert training.recorded.of("set_service_environment_state") == [("sm-env", "DISABLED")]
    assert stub.errors == []


def test_quota_shares_panel_on_fake_facades(
    stub: StubPanelServices, qtbot: Any, qtmodeltester: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    _consumables, training = fakes(stub)
    training.shares = [quota_share("team-a")]
    panel = QuotaSharesPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["team-a"]
    assert texts(panel, column(panel, "Job queue")) == ["training"]
    assert texts(panel, column(panel, "Sharing")) == ["LEND_AND_BORROW (borrow ≤ 50 %)"]

    panel.create_new()
    dialog = wait_dialog(panel, wait_until)
    dialog.name.setText("team-b")
    dialog.limits.model.add_row("ml.p3.2xlarge", "many")
    dialog.start_apply()
    assert any("must be a whole number" in t for t in dialog.problems.texts())
    dialog.limits.model.setData(dialog.limits.model.index(1, 1), "3")
    dialog.strategy.setCurrentIndex(dialog.strategy.findData("LEND"))
    assert not dialog.borrow.isEnabled()
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = training.recorded.of("save_quota_share")
    assert isinstance(sent, QuotaShareRequest)
    body = sent.to_api()
    assert body["jobQueue"].endswith("job-queue/training")
    assert body["capacityLimits"] == [
        {"maxCapacity": 2, "capacityUnit": "ml.m5.xlarge"},
        {"maxCapacity": 3, "capacityUnit": "ml.p3.2xlarge"},
    ]
    assert body["resourceSharingConfiguration"] == {"strategy": "LEND"}

    select_row(panel, "team-a")
    panel.toggle_state()
    assert "Disable team-a?" in answer(wait_until)
    wait_until(lambda: bool(training.recorded.of("set_quota_share_state")), what="disable")
    assert training.recorded.of("set_quota_share_state") == [("team-a", "DISABLED")]
    assert stub.errors == []


def test_service_jobs_panel_on_fake_facades(
    stub: StubPanelServices, qtbot: Any, qtmodeltester: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    _consumables, training = fakes(stub)
    waiting = "Waiting for capacity: quota share team-a has 2 of 2 ml.m5.large in use"
    training.jobs = [service_job("1"), service_job("2", "RUNNABLE", waiting)]
    training.shares = [quota_share("team-a"), quota_share("off", "DISABLED")]
    panel = ServiceJobsPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert sorted(texts(panel)) == ["train-1", "train-2"]
    assert waiting in texts(panel, column(panel, "Status reason"))

    panel.submit_new()
    dialog = wait_dialog(panel, wait_until)
    assert [dialog.share.itemText(i) for i in range(dialog.share.count())] == ["(none)", "team-a"]
    dialog.name.setText("fit")
    dialog.payload.setPlainText("{not json")
    dialog.start_apply()
    assert any("not JSON" in t for t in dialog.problems.texts())
    dialog.payload.setPlainText('{"ResourceConfig": {"InstanceCount": 1}}')
    dialog.share.setCurrentIndex(1)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = training.recorded.of("submit_service_job")
    assert isinstance(sent, ServiceJobRequest)
    assert (sent.name, sent.quota_share, sent.to_api()["serviceJobType"]) == (
        "fit",
        "team-a",
        "SAGEMAKER_TRAINING",
    )

    select_row(panel, "train-1")
    panel.delete()
    assert "Terminate service job train-1" in answer(wait_until)
    wait_until(lambda: bool(training.recorded.of("terminate_service_job")), what="terminate")
    assert training.recorded.of("terminate_service_job")[0][0] == "1"
    assert stub.errors == []


def test_quota_share_toggle_changes_the_share_it_asked_about(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    # The confirmation is awaited: a selection changed meanwhile must not redirect the change.
    _consumables, training = fakes(stub)
    training.shares = [quota_share("team-a"), quota_share("team-b")]
    panel = QuotaSharesPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    run_async(panel.load())
    select_row(panel, "team-a")
    panel.toggle_state()
    wait_until(lambda: bool(message_boxes()), what="the confirmation")
    select_row(panel, "team-b")
    assert "Disable team-a?" in answer(wait_until)
    wait_until(lambda: bool(training.recorded.of("set_quota_share_state")), what="disable")
    assert training.recorded.of("set_quota_share_state") == [("team-a", "DISABLED")]
    assert stub.errors == []


class ShareGateway:
    """The one gateway call the real TrainingService.quota_shares makes per queue."""

    def __init__(self, shares: list[QuotaShare]) -> None:
        self.shares = shares

    def quota_shares(self, _queue_arn: str) -> list[QuotaShare]:
        return list(self.shares)


class CountingTraining(FakeTraining):
    """The real quota_shares (it lists the training queues itself unless given them), counting how
    often the queues are listed."""

    listed = 0
    quota_shares = TrainingService.quota_shares

    async def training_queues(self) -> list[tuple[str, str]]:
        self.listed += 1
        return list(self.queues)

    def _gateway(self) -> Any:
        return ShareGateway(self.shares)


def test_service_job_submit_lists_the_queues_once(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    training = CountingTraining(stub.inventory._runner, stub.services.connections)
    training.shares = [quota_share("team-a"), quota_share("off", "DISABLED")]
    panel = ServiceJobsPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    panel.submit_new()
    dialog = wait_dialog(panel, wait_until)
    assert [dialog.share.itemText(i) for i in range(dialog.share.count())] == ["(none)", "team-a"]
    assert training.listed == 1
    dialog.reject()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    assert stub.errors == []


def test_service_job_times_are_local_like_the_rest(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every other table shows local time, unlabelled; this one showed UTC the same way.
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    try:
        _consumables, training = fakes(stub)
        training.jobs = [service_job("1")]  # created 2023-11-14 22:13:20 UTC
        panel = ServiceJobsPanel(stub.services, stub.inventory, training)
        qtbot.addWidget(panel)
        run_async(panel.load())
        assert texts(panel, column(panel, "Created")) == ["2023-11-15 07:13:20"]
        assert texts(panel, column(panel, "Started")) == [""]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
