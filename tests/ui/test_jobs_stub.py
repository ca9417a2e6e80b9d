"""The Jobs panel on stub facades: built with no server, rows appear, actions send typed requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QItemSelectionModel

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionInfo, ConnectionSpec
from batchgui.domain.job_requests import SubmitJobRequest
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog
from batchgui.ui.settings import AppSettings
from tests.ui.jobs_stubs import FakeJobs, FakeStore, job, panel_services
from tests.ui.log_support import log_lines

pytestmark = pytest.mark.timeout(60)
Wait = Callable[..., None]


def make_panel(tmp_path: Path, fake: FakeJobs, errors: list[BaseException]) -> JobsPanel:
    return JobsPanel(panel_services(tmp_path, errors), cast(Any, fake), cast(Any, FakeStore(fake)))


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
    assert panel.status_tabs.tabText(0) == "All 3"
    # The first row is selected: it is described and its log is read through the facade.
    wait_until(lambda: panel.log_view.model.rowCount() == 2, what="log lines")
    assert [line.split("  ", 1)[-1] for line in log_lines(panel.log_view)] == ["hello", "world"]
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


def array_jobs() -> list[JobSummary]:
    parent = JobSummary("arr", "arr", JobStatus.PENDING, queue="q1", created_at=1000, array_size=4)
    statuses = [JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.RUNNABLE, JobStatus.FAILED]
    kids = [
        JobSummary(f"arr:{n}", "arr", status, queue="q1", created_at=1000, array_index=n)
        for n, status in enumerate(statuses)
    ]
    return [parent, *kids, job("plain", JobStatus.RUNNING)]


def test_an_array_parent_shows_progress_and_expands_into_child_rows(
    tmp_path: Path, wait_until: Wait, qtmodeltester: Any
) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([j for j in array_jobs() if j.array_index is None])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    fake.jobs.update((j.job_id, j) for j in array_jobs())
    run = panel.spawn(panel.poll_now(), "poll")  # the store's poll brings the children
    wait_until(run.done, what="polled")
    panel.model.flush()
    assert panel.model.rowCount() == 2  # collapsed: the parent and the plain job
    assert panel.status_tabs.tabText(list(JobStatus).index(JobStatus.RUNNING) + 1) == "Running 3"
    parent_row = panel.model.row_of("arr")
    array_column = panel.model.columns.index(next(c for c in panel.model.columns if c.title == "Array"))
    assert panel.model.index(parent_row, array_column).data() == "2 running · 1 runnable · 1 failed of 4"
    task = panel.toggle_children("arr")
    assert task is not None
    wait_until(task.done, what="expanded")
    qtmodeltester.check(panel.model)
    shown = [j.job_id for j in panel.model.visible_jobs()]
    assert shown[shown.index("arr") + 1 : shown.index("arr") + 5] == ["arr:0", "arr:1", "arr:2", "arr:3"]
    assert panel.model.index(panel.model.row_of("arr:2"), 0).data().strip().startswith("#2")
    # Children by status, then two of them selected: they are what Terminate acts on.
    panel.child_status_combo.setCurrentIndex(list(JobStatus).index(JobStatus.RUNNING) + 1)
    assert [j.job_id for j in panel.model.visible_jobs() if j.array_index is not None] == ["arr:0", "arr:1"]
    panel.child_status_combo.setCurrentIndex(0)
    panel.table.clearSelection()
    for child in ("arr:0", "arr:2"):
        panel.table.selectionModel().select(
            panel.model.index(panel.model.row_of(child), 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert [j.job_id for j in panel.selected_jobs()] == ["arr:0", "arr:2"]
    # A refresh keeps the selection on the same children.
    panel.refresh()
    wait_until(lambda: panel.load_count >= 2, what="reloaded")
    panel.model.flush()
    assert [j.job_id for j in panel.selected_jobs()] == ["arr:0", "arr:2"]
    panel.toggle_children("arr")
    assert panel.model.rowCount() == 2
    assert errors == []
    panel.deleteLater()


def test_f5_with_a_filter_lists_each_matching_job_once(tmp_path: Path, wait_until: Wait) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([job(f"{'keep' if n % 3 == 0 else 'drop'}-{n}") for n in range(44)])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    panel.filter_edit.setText("keep")
    panel.model.flush()
    assert panel.count_label.text() == "15 of 44 jobs"
    panel.refresh()  # F5
    wait_until(lambda: panel.load_count >= 2, what="reloaded")
    panel.model.flush()
    shown = [j.job_id for j in panel.model.visible_jobs()]
    assert panel.count_label.text() == "15 of 44 jobs"
    assert len(shown) == len(set(shown)) == 15
    assert all("keep" in job_id for job_id in shown)
    assert errors == []
    panel.deleteLater()


def test_a_reloaded_page_is_applied_to_the_model_once(tmp_path: Path, wait_until: Wait) -> None:
    """The panel puts listed pages into the store, which publishes what changed: that echo of the
    panel's own rows is not applied to the model a second time."""
    errors: list[BaseException] = []
    fake = FakeJobs([job("a"), job("b", JobStatus.RUNNING), job("c", JobStatus.RUNNABLE)])
    panel = make_panel(tmp_path, fake, errors)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    fake.jobs["b"] = job("b", JobStatus.SUCCEEDED)
    fake.jobs["c"] = job("c", JobStatus.RUNNING)
    fake.jobs["d"] = job("d", JobStatus.RUNNING)
    applied: list[str] = []
    upsert = panel.model.upsert

    def counting(jobs: Any) -> None:
        rows = list(jobs)
        applied.extend(j.job_id for j in rows)
        upsert(rows)

    panel.model.upsert = counting  # type: ignore[method-assign]
    panel.refresh()
    wait_until(lambda: panel.load_count >= 2, what="reloaded")
    assert sorted(applied) == ["a", "b", "c", "d"]
    assert panel.model.job("c") == job("c", JobStatus.RUNNING)
    assert errors == []
    panel.deleteLater()


def test_the_queues_chosen_in_the_last_session_are_listed_once_connected(
    tmp_path: Path, wait_until: Wait
) -> None:
    errors: list[BaseException] = []
    fake = FakeJobs([job("a"), job("c", queue="q2")])
    panel = make_panel(tmp_path, fake, errors)
    settings = AppSettings(tmp_path / "last.ini")
    settings.set_str_value("panels/jobs/queues", "q2")
    panel.restore_state(settings)
    panel.on_connection_changed(ConnectionInfo(ConnectionSpec.local()))  # the app connects at start
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    assert fake.loads[0][0] == ["q2"]
    assert panel.queue_button.text() == "Queue: q2"
    assert errors == []
    panel.deleteLater()
