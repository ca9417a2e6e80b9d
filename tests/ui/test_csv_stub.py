"""The Submissions panel and the CSV wizard built with stub facades and no server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtWidgets import QApplication, QWizard

from batchgui.domain.connection import LocalEndpoint
from batchgui.domain.csv_plan import Overrides, RetryChanges, SplitMode
from batchgui.services.connections import ConnectionManager
from batchgui.services.files import FileService
from batchgui.services.journal import Unit
from batchgui.services.runner import Runner
from batchgui.services.submission import SubmissionsService
from batchgui.services.tasks import TaskSet
from batchgui.services.upload import UploadsService
from batchgui.ui.csv_wizard.wizard import CsvWizard
from batchgui.ui.settings import AppSettings
from batchgui.ui.submissions.panel import SubmissionsPanel
from batchgui.ui.submissions.resubmit import ResubmitDialog
from batchgui.ui.widgets.panel import PanelServices
from tests.ui.csv_stubs import FakeSubmissions, FakeUploads, submission

pytestmark = pytest.mark.timeout(60)


def no_sandbox() -> LocalEndpoint:
    raise AssertionError("no server in these tests")


@pytest.fixture
def services(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[PanelServices]:
    runner = Runner(workers=2)
    errors: list[tuple[str, BaseException]] = []
    made = PanelServices(
        TaskSet(lambda what, error: errors.append((what, error))),
        ConnectionManager(runner, no_sandbox),
        AppSettings(tmp_path / "settings.ini"),
        FileService(runner),
    )
    yield made
    assert not errors, errors
    runner.close(timeout_s=1)


def failed_units(sid: str) -> list[Unit]:
    return [
        Unit(sid, n, -1, f"job-{n}", n, 1, "FAILED" if n else "SUCCEEDED", 1 if n else 0, "exit")
        for n in range(3)
    ]


def panel_with(services: PanelServices, fake: FakeSubmissions) -> SubmissionsPanel:
    panel = SubmissionsPanel(services, cast(SubmissionsService, fake))
    panel.resize(1024, 700)
    panel.show()
    return panel


def test_submissions_panel_lists_follows_and_shows_a_row_s_history(
    services: PanelServices, wait_until: Callable[..., None], qtmodeltester: Any
) -> None:
    first = submission("first")
    retry = submission("retry0", parent_id="first", rows=2, changes="text=fixed", created_at=1_700_000_100.0)
    fake = FakeSubmissions(
        rows=[first, retry],
        units_by_id={
            "first": failed_units("first"),
            "retry0": [Unit("retry0", 0, -1, "job-r", 1, 1, "SUCCEEDED", 0)],
        },
    )
    panel = panel_with(services, fake)
    wait_until(lambda: panel.model.rowCount() == 2, 5, "the journal's submissions")
    qtmodeltester.check(panel.model)
    panel.select("first")
    wait_until(lambda: panel.units_model.rowCount() == 3, 5, "the rows")
    assert "1 of 3 rows SUCCEEDED, 2 jobs FAILED" in panel.units_note.text()
    assert panel.retry_button.isEnabled()
    panel.units_table.selectRow(1)
    panel.units_table.setCurrentIndex(panel.units_model.index(1, 0))
    wait_until(lambda: "History of row 1" in panel.history.text(), 5, "the row's history")
    text = panel.history.text()
    assert "first · job-1 · FAILED (exit 1)" in text
    assert "retry0 · job-r · SUCCEEDED" in text
    assert "changed: text=fixed" in text
    panel.deleteLater()


def test_results_are_read_with_progress_and_can_be_cancelled(
    services: PanelServices, wait_until: Callable[..., None], run_async: Callable[..., Any]
) -> None:
    pages = [
        [{"row_number": str(n + 100 * p), "submission_id": "first"} for n in range(100)] for p in range(50)
    ]
    fake = FakeSubmissions(rows=[submission("first")], result_pages=pages, page_delay_s=0.02)
    panel = panel_with(services, fake)
    wait_until(lambda: panel.model.rowCount() == 1, 5, "the submission")
    panel.select("first")
    task = panel.spawn(panel.load_results(), "Read results")
    wait_until(lambda: "so far" in panel.results_note.text(), 5, "a running count")
    assert panel.results_cancel.isEnabled()
    assert not panel.results_button.isEnabled()
    panel.results_cancel.click()
    wait_until(task.done, 5, "reading to stop")
    items = task.result()
    assert 0 < len(items) < 5000
    assert "cancelled" in panel.results_note.text()
    assert panel.results_button.isEnabled()
    assert not panel.results_cancel.isEnabled()
    panel.deleteLater()


def test_resubmitting_failed_rows_shows_the_changed_request_before_sending(
    services: PanelServices, wait_until: Callable[..., None], run_async: Callable[..., Any]
) -> None:
    fake = FakeSubmissions(
        rows=[submission("first")],
        units_by_id={"first": failed_units("first")},
        requests={"first": [{"jobName": "x-r1", "jobDefinition": "proc:1", "parameters": {"id": "2"}}]},
    )
    panel = panel_with(services, fake)
    wait_until(lambda: panel.model.rowCount() == 1, 5, "the submission")
    panel.select("first")
    wait_until(lambda: panel.units_model.rowCount() == 3, 5, "the rows")
    failed = [u for u in panel.units_model.all_rows() if u.status == "FAILED"]
    dialog = ResubmitDialog(
        cast(SubmissionsService, fake), services.tasks, submission("first"), failed, panel
    )
    dialog.resize(1024, 700)
    dialog.show()
    wait_until(lambda: "proc:1" in dialog.preview.toPlainText(), 5, "the first preview")
    wait_until(lambda: dialog.definition.findText("proc:2") >= 0, 5, "the other revisions")
    dialog.definition.setCurrentText("proc:2")
    dialog.parameters.setText("id=42")
    dialog.fields.memory_spin.setValue(2048)
    wait_until(lambda: '"proc:2"' in dialog.preview.toPlainText(), 5, "the preview to follow the edits")
    shown = dialog.preview.toPlainText()
    assert '"id": "42"' in shown
    assert '"MEMORY"' in shown
    assert "definition proc:2" in dialog.summary.text()
    assert dialog.send_button.text() == "Resubmit 2 jobs"
    assert dialog.changes() == RetryChanges({"id": "42"}, Overrides(memory_mib=2048), "proc:2")
    dialog.reject()

    retry = run_async(panel.resubmit_failed(ask=False))
    assert retry is not None
    assert fake.retried[0][0] == "first"
    assert [u.first_row for u in fake.retried[0][1]] == [1, 2]
    assert fake.sent == ["retry1"]
    panel.deleteLater()


def make_wizard(services: PanelServices, fake: FakeSubmissions, uploads: FakeUploads) -> CsvWizard:
    wizard = CsvWizard(services, cast(UploadsService, uploads), cast(SubmissionsService, fake))
    wizard.show()
    return wizard


def to_review(wizard: CsvWizard, path: Path, wait_until: Callable[..., None]) -> None:
    wizard.open_file(path)
    wait_until(lambda: wizard.check_page.result is not None, 5, "the check")
    assert wizard.check_page.isComplete(), wizard.check_page.message.text()
    wizard.next()
    upload = wizard.upload_page
    wait_until(lambda: upload.bucket.findText("bucket") >= 0, 5, "buckets")
    upload.bucket.setCurrentText("bucket")
    upload.upload_button.click()
    wait_until(upload.isComplete, 5, "the upload")
    wizard.next()
    wait_until(lambda: bool(wizard.jobs.definitions), 5, "queues and definitions")


def test_wizard_first_pages_check_the_file_and_review_submits_only_on_its_button(
    services: PanelServices, wait_until: Callable[..., None], tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"id,name\r1,a\r2,b\r3,c\r")  # classic-Mac line ends
    fake, uploads = FakeSubmissions(rows=[]), FakeUploads()
    wizard = make_wizard(services, fake, uploads)
    to_review(wizard, path, wait_until)
    assert wizard.session.check is not None
    assert wizard.session.rows == 3
    jobs = wizard.jobs
    jobs.set_mode(SplitMode.PER_ROW)
    jobs.map_column("id", "id")
    assert jobs.isComplete(), jobs.plan_label.text()
    wizard.next()
    review = wizard.review
    assert wizard.currentPage() is review
    assert review.submit_button.text() == "Submit 3 jobs"
    wait_until(lambda: '"id": "1"' in review.requests.toPlainText(), 5, "the first requests")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # Next never submits
    next_button.click()
    QApplication.processEvents()
    assert wizard.currentPage() is review
    assert fake.created == []
    review.dry_run.setChecked(True)
    assert review.submit_button.text() == "Record a dry run of 3 requests"
    review.dry_run.setChecked(False)
    review.submit_button.click()
    wait_until(lambda: wizard.submit_page.finished_ok, 5, "the submission")
    assert len(fake.created) == 1
    assert fake.sent == [wizard.session.submission_id]
    assert not fake.created[0][2]  # not a dry run
    wizard.deleteLater()


def test_wizard_proposes_the_last_queue_and_definition_of_the_connection(
    services: PanelServices, wait_until: Callable[..., None], tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"id\n1\n2\n")
    fake = FakeSubmissions(remembered=("other-queue", "proc:2"))
    wizard = make_wizard(services, fake, FakeUploads())
    to_review(wizard, path, wait_until)
    assert wizard.jobs.current_queue is not None
    assert wizard.jobs.current_queue.name == "other-queue"
    assert wizard.jobs.current_definition is not None
    assert wizard.jobs.current_definition.name_revision == "proc:2"
    wizard.deleteLater()


def test_the_check_step_refuses_a_file_with_an_unreadable_line(
    services: PanelServices, wait_until: Callable[..., None], tmp_path: Path
) -> None:
    path = tmp_path / "open.csv"
    path.write_bytes(b'id,name\n1,a\n2,"b\n3,c\n')
    wizard = make_wizard(services, FakeSubmissions(), FakeUploads())
    wizard.open_file(path)
    wait_until(lambda: wizard.check_page.result is not None, 5, "the check")
    assert not wizard.check_page.isComplete()
    assert "cannot be read as CSV" in wizard.check_page.message.text()
    assert wizard.check_page.tabs.currentIndex() == 1  # the problems, with the line the quote opens
    assert wizard.check_page.problem_model.rowCount() >= 1
    wizard.deleteLater()
