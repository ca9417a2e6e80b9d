"""The Jobs panel on stub facades: built with no server, rows appear, actions send typed requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from batchgui.domain.batch import JobStatus
from batchgui.domain.job_requests import SubmitJobRequest
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog
from tests.ui.jobs_stubs import FakeJobs, job, panel_services

pytestmark = pytest.mark.timeout(60)
Wait = Callable[..., None]


def make_panel(tmp_path: Path, fake: FakeJobs, errors: list[BaseException]) -> JobsPanel:
    return JobsPanel(panel_services(tmp_path, errors), cast(Any, fake))


def test_rows_from_the_facade_and_the_selected_jobs_log(
    tmp_path: Path, wait_until: Wait, qtmodeltester: Any
) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([job("a"), job("b", JobStatus.RUNNING), job("c", JobStatus.FAILED, queue="q2")])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    panel.model.flush()
    qtmodeltester.check(panel.model)
    assert panel.model.total() == 3
    assert fake.loads[0][0] == ["q1", "q2"]
    assert panel.status_tabs.tabText(0) == "All (3)"
    # The first row is selected: it is described and its log is read through the facade.
    wait_until(lambda: panel.log_view.line_count() == 2, what="log lines")
    assert [line.split("  ", 1)[-1] for line in panel.log_view.lines()] == ["hello", "world"]
    assert panel.details.detail is not None
    assert "/aws/batch/job : job/stream" in panel.log_view.state_label.text()
    # Export goes through the facade too.
    task = panel.export_csv_to(tmp_path / "jobs.csv")
    wait_until(task.done, what="export")
    assert fake.saved[0][1].startswith("Name,Job id,Status")
    assert errors == []
    panel.deleteLater()


def test_submit_sends_a_typed_request(tmp_path: Path, wait_until: Wait) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([job("a")])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    task = panel.spawn(panel.submit_new(SubmitJobRequest(job_definition="def")), "submit")
    dialogs: list[SubmitJobDialog] = []

    def dialog_open() -> bool:
        dialogs[:] = [d for d in panel.findChildren(SubmitJobDialog) if d.isVisible()]
        return bool(dialogs)

    wait_until(dialog_open, what="submit dialog")
    dialog = dialogs[0]
    dialog.name_edit.setText("stubbed")
    dialog.queue_combo.setCurrentText("q2")
    dialog.command_edit.setText('sh -c "echo hi"')
    dialog.environment_edit.setPlainText("A=1")
    dialog.buttons.accepted.emit()
    wait_until(task.done, what="submitted")
    assert len(fake.submitted) == 1
    request = fake.submitted[0]
    assert isinstance(request, SubmitJobRequest)
    assert (request.job_name, request.job_queue, request.job_definition) == ("stubbed", "q2", "def")
    assert request.overrides.command == ("sh", "-c", "echo hi")
    assert request.to_api()["containerOverrides"]["environment"] == [{"name": "A", "value": "1"}]
    outcome = task.result()[0]
    assert outcome.name == "stubbed"
    assert not outcome.error
    # Submitted, then described: the new job is in the table.
    wait_until(lambda: panel.model.job(outcome.job_id) is not None, what="new job listed")
    assert errors == []
    panel.deleteLater()
