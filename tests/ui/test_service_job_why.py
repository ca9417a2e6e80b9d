""" "Why is it RUNNABLE?" for service jobs: the Service jobs panel's action (enabled for a RUNNABLE row
only) opens the RUNNABLE pane, which shows a service job's checks and offers its fixes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from batchgui.domain.batch import JobQueue
from batchgui.domain.runnable import (
    Fix,
    FixKind,
    Outcome,
    diagnose_service_job,
    service_fixes_for,
    service_job_needs,
    service_position_check,
)
from batchgui.domain.share_usage import QueueUtilization, quota_share_check
from batchgui.domain.training import CapacityLimit, QuotaShare, ServiceEnvironment, ServiceJob
from batchgui.services.runnable import RunnableService
from batchgui.services.service_runnable import ServiceJobReport
from batchgui.ui.jobs import runnable_pane
from batchgui.ui.jobs.runnable_pane import RunnablePane
from batchgui.ui.service_jobs.panel import ServiceJobsPanel
from tests.ui.admin_support import select_row
from tests.ui.inventory_stubs import StubPanelServices, stub_panel_services
from tests.ui.test_runnable_pane import spawner
from tests.ui.training_stubs import FakeTraining, service_job

pytestmark = pytest.mark.timeout(60)

WAITING = "Waiting for capacity: quota share team-a has 1 of 1 ml.m5.large in use"
PAYLOAD = '{"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}'


def waiting_report(job_id: str, share_state: str = "ENABLED") -> ServiceJobReport:
    """A RUNNABLE service job behind its full quota share, diagnosed by the real rules."""
    env = ServiceEnvironment("sm-env", "arn:se/sm-env", "ENABLED", "VALID", (CapacityLimit(4),))
    queue = JobQueue(
        "sm-q",
        "arn:q/sm-q",
        "ENABLED",
        "VALID",
        1,
        raw={
            "jobQueueType": "SAGEMAKER_TRAINING",
            "serviceEnvironmentOrder": [{"order": 1, "serviceEnvironment": env.arn}],
        },
    )
    job = ServiceJob(
        job_id,
        "fine-tune-llm",
        "RUNNABLE",
        "sm-q",
        WAITING,
        quota_share="team-a",
        raw={"serviceRequestPayload": PAYLOAD},
    )
    share = QuotaShare(
        "team-a",
        "arn:q/sm-q/quota-share/team-a",
        queue.arn,
        share_state,
        "VALID",
        (CapacityLimit(1, "ml.m5.large"),),
    )
    needs = service_job_needs(job)
    diagnosis = diagnose_service_job(job, needs, queue, [env], in_use=1)
    usage = QueueUtilization(quota={"team-a": {"ml.m5.large": 1.0}}, reported=True)
    diagnosis.checks.append(quota_share_check("team-a", share, usage, needs))
    diagnosis.checks.append(service_position_check(job_id, ["other", job_id], "team-a"))
    return ServiceJobReport(
        job, diagnosis, tuple(service_fixes_for(queue, [env], share)), queue, (env,), share
    )


class StubServiceRunnable:
    def __init__(self, share_state: str = "ENABLED") -> None:
        self.share_state = share_state
        self.applied: list[Fix] = []
        self.asked: list[str] = []

    async def explain_service_job(self, job_id: str) -> ServiceJobReport:
        self.asked.append(job_id)
        return waiting_report(job_id, self.share_state)

    async def explain(self, job_id: str) -> Any:
        raise AssertionError("a service job is explained by explain_service_job")

    async def apply(self, fix: Fix) -> None:
        self.applied.append(fix)
        self.share_state = "ENABLED"


@pytest.fixture
def stub(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[StubPanelServices]:
    yield from stub_panel_services(tmp_path)


def test_the_action_opens_the_pane_for_a_runnable_row_only(
    stub: StubPanelServices, qtbot: Any, run_async: Callable[..., Any]
) -> None:
    training = FakeTraining(stub.inventory._runner, stub.services.connections)
    training.jobs = [service_job("1", "SUCCEEDED"), service_job("2", "RUNNABLE", WAITING)]
    panel = ServiceJobsPanel(stub.services, stub.inventory, training)
    qtbot.addWidget(panel)
    opened: list[str] = []
    panel.on_why_runnable = opened.append
    run_async(panel.load())
    assert not panel.why_action.isEnabled()  # nothing selected
    assert panel.why_action.text() == "Why is it RUNNABLE?…"
    select_row(panel, "train-1")
    assert not panel.why_action.isEnabled()  # finished: nothing to explain
    panel.why_action.trigger()
    assert opened == []
    select_row(panel, "train-2")
    assert panel.why_action.isEnabled()
    panel.why_action.trigger()
    assert opened == ["2"]
    # Enter / double-click still open the row's details, not the pane.
    panel.open_details()
    assert opened == ["2"]
    assert panel.details_tabs.currentIndex() == 0
    # The job finished meanwhile: a refresh turns the action off for the row still selected.
    training.jobs = [service_job("1", "SUCCEEDED"), service_job("2", "SUCCEEDED")]
    run_async(panel.load())
    select_row(panel, "train-2")
    assert not panel.why_action.isEnabled()
    assert panel.why_action in panel.row_actions  # in the right-click menu too
    assert stub.errors == []


def test_the_pane_explains_a_service_job_and_applies_its_fix(
    qtbot: Any, run_async: Callable[..., Any], monkeypatch: Any
) -> None:
    stub = StubServiceRunnable("DISABLED")
    pane = RunnablePane(cast(RunnableService, stub), "sj-1", spawner([]), service_job=True)
    qtbot.addWidget(pane)
    assert pane.windowTitle() == "Why is service job sj-1 not starting?"
    run_async(pane.load())
    assert stub.asked == ["sj-1"]
    assert "<b>fine-tune-llm</b> (sj-1) is <b>RUNNABLE</b> in sm-q." in pane.heading.text()
    assert pane.aws_reason.text() == f"<b>AWS says</b>: {WAITING}"
    assert pane.start_label.isHidden()
    names = [r.check.name for r in pane.check_rows]
    assert names == [
        "Job queue enabled and valid",
        "Service environments enabled and valid",
        "Room under the instance limit",
        "Quota share within its limits",
        "Position at the front of the queue",
    ]
    quota = pane.check_rows[3]
    assert quota.check.outcome is Outcome.FAILED
    assert "Quota share team-a is DISABLED." in quota.text.text()
    [button] = pane.fix_buttons
    assert button.text() == "Enable quota share team-a…"

    async def yes(*_args: Any) -> bool:
        return True

    monkeypatch.setattr(runnable_pane, "confirm", yes)
    assert pane.report is not None
    assert run_async(pane.apply(pane.report.fixes[0])) is True
    assert [f.kind for f in stub.applied] == [FixKind.ENABLE_QUOTA_SHARE]
    assert pane.fix_buttons == []
    assert "1 of 1 ml.m5.large" in pane.check_rows[3].text.text()


def test_the_app_wires_the_pane_into_service_jobs(make_app: Callable[..., Any], moto: Any) -> None:
    app = make_app(moto)
    panel = next(p for p in app.panels if isinstance(p, ServiceJobsPanel))
    assert panel.on_why_runnable is not None
    pane = panel.on_why_runnable("sj-1")
    assert isinstance(pane, RunnablePane)
    assert pane.service_job
    pane.close()
