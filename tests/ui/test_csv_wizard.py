from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from batchgui.app import Application
from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
from batchgui.domain.csv_plan import SplitMode
from batchgui.ui.csv_wizard.wizard import CsvWizard
from batchgui.ui.submissions.panel import SubmissionsPanel

pytestmark = pytest.mark.timeout(180)
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.csv"


@dataclass
class SandboxEndpoint:
    running: Any

    def local(self) -> LocalEndpoint:
        r = self.running
        return LocalEndpoint(r.endpoint_url, r.region, r.access_key_id, r.secret_access_key)


def started(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> Application:
    app = make_app(SandboxEndpoint(sandbox))
    app.start(ConnectionSpec.local())
    wait_until(lambda: app.connections.backend is not None, 30, "the sandbox connection")
    return app


def checked_wizard(app: Application, path: Path, wait_until: Callable[..., None]) -> CsvWizard:
    wizard = app.csv_wizard.open(path)
    wait_until(
        lambda: wizard.check_page.result is not None or bool(wizard.check_page.message.text()), 30, "check"
    )
    return wizard


def test_sample_csv_to_array_job_to_dynamodb_results(  # noqa: PLR0917 - pytest fixtures
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
    qtmodeltester: Any,
    tmp_path: Path,
) -> None:
    app = started(make_app, sandbox, wait_until)
    wizard = checked_wizard(app, SAMPLE, wait_until)
    check = wizard.check_page
    assert check.result is not None
    assert check.result.inspection.rows == 400
    qtmodeltester.check(check.preview_model)
    assert check.preview_model.rowCount() == 200
    assert check.isComplete()

    wizard.next()
    upload = wizard.upload_page
    wait_until(lambda: upload.bucket.findText("batchgui-demo") >= 0, 30, "the bucket list")
    upload.bucket.setCurrentText("batchgui-demo")
    upload.prefix.setText("input/e2e/")
    assert upload.uri.text() == "s3://batchgui-demo/input/e2e/sample.csv"
    upload.upload_button.click()
    wait_until(upload.isComplete, 30, "the upload")

    wizard.next()
    jobs = wizard.jobs
    wait_until(lambda: bool(jobs.definitions), 30, "queues and definitions")
    jobs.choose("fargate-queue", "csv-row-processor")
    jobs.set_mode(SplitMode.ARRAY)
    jobs.rows_per_child.setValue(100)
    jobs.set_value("delay_ms", "0")
    assert jobs.isComplete(), jobs.plan_label.text()
    assert jobs.plan is not None
    assert jobs.plan.call_count == 1
    assert jobs.plan.array_size == 4

    wizard.next()
    assert "<b>1</b> SubmitJob" in wizard.review.summary.text()
    wait_until(lambda: "aws batch submit-job" in wizard.review.cli.toPlainText(), 15, "the first requests")
    wizard.review.submit_button.click()  # the review's own button sends; Next does not
    submit = wizard.submit_page
    wait_until(lambda: submit.finished_ok, 30, "the submission")
    submission = submit.submission
    assert submission is not None
    wizard.accept()  # Follow: opens the Submissions view on this submission
    panel = app.window.current_panel()
    assert isinstance(panel, SubmissionsPanel)
    wait_until(lambda: panel.current() is not None, 15, "the submission to be selected")
    assert panel.current().id == submission.id  # type: ignore[union-attr]

    async def all_succeeded() -> None:
        while True:
            units = await panel.refresh_units()
            if units and all(u.status == "SUCCEEDED" for u in units):
                return
            assert not any(u.status == "FAILED" for u in units), [u.reason for u in units]
            await asyncio.sleep(0.5)

    run_async(all_succeeded(), timeout=120)
    qtmodeltester.check(panel.units_model)
    units = panel.units_model.all_rows()
    assert sum(u.row_count for u in units) == 400
    assert "400 of 400 rows SUCCEEDED" in panel.units_note.text()

    items = run_async(panel.load_results())
    assert len(items) == 400
    assert sorted(int(i["row_number"]) for i in items) == list(range(400))
    qtmodeltester.check(panel.results_model)

    export = tmp_path / "rows.csv"
    run_async(panel.export_units_to(export))
    assert export.read_text().count("SUCCEEDED") == 4


def test_empty_file_is_refused_at_the_check_step(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None], tmp_path: Path
) -> None:
    app = started(make_app, sandbox, wait_until)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    wizard = checked_wizard(app, empty, wait_until)
    assert "empty" in wizard.check_page.message.text()
    assert not wizard.check_page.isComplete()


def test_disabled_queue_is_an_error_at_the_jobs_step(
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
) -> None:
    app = started(make_app, sandbox, wait_until)
    backend = app.connections.backend
    assert backend is not None
    backend.batch.client.update_job_queue(jobQueue="ec2-queue", state="DISABLED")
    wizard = checked_wizard(app, SAMPLE, wait_until)
    wizard.next()
    upload = wizard.upload_page
    wait_until(lambda: upload.bucket.findText("batchgui-demo") >= 0, 30, "the bucket list")
    upload.bucket.setCurrentText("batchgui-demo")
    upload.upload_button.click()
    wait_until(upload.isComplete, 30, "the upload")
    wizard.next()
    jobs = wizard.jobs
    wait_until(lambda: bool(jobs.definitions), 30, "queues and definitions")
    jobs.choose("ec2-queue", "csv-row-processor-ec2")
    assert not jobs.isComplete()
    assert "DISABLED" in jobs.plan_label.text()


def test_ctrl_n_and_dropping_a_csv_open_the_wizard(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    app = started(make_app, sandbox, wait_until)
    app.csv_wizard.action.trigger()
    assert app.csv_wizard.wizards[-1].isVisible()
    assert app.csv_wizard.action.shortcut().toString() == "Ctrl+N"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(SAMPLE))])
    # Qt delivers a drop only to a widget that accepted the drag's entry, as in a real drag.
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert QApplication.sendEvent(app.window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(app.window, drop)
    wizard = app.csv_wizard.wizards[-1]
    assert wizard.path == SAMPLE
    wait_until(lambda: wizard.check_page.result is not None, 30, "the dropped file to be checked")


def test_jobs_step_shows_every_parameter_and_what_overrides_are_set(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    app = started(make_app, sandbox, wait_until)
    wizard = checked_wizard(app, SAMPLE, wait_until)
    wizard.resize(900, 700)
    wizard.next()
    upload = wizard.upload_page
    wait_until(lambda: upload.bucket.findText("batchgui-demo") >= 0, 30, "the bucket list")
    upload.bucket.setCurrentText("batchgui-demo")
    upload.prefix.setText("input/jobs-step/")
    upload.upload_button.click()
    wait_until(upload.isComplete, 30, "the upload")
    assert "0 B/s" not in upload.speed.text()  # the last line shows the upload's average speed
    wizard.next()
    jobs = wizard.jobs
    wait_until(lambda: bool(jobs.definitions), 30, "queues and definitions")
    jobs.choose("fargate-queue", "csv-row-processor")
    assert jobs.sections.tabText(0) == f"Parameters (Ref::) · {len(jobs.param_widgets)}"
    assert len(jobs.param_widgets) == 7
    QApplication.processEvents()
    # Every parameter row fits in the parameters tab at this size: nothing hides behind a scrollbar.
    last_combo, _ = jobs.param_widgets["delay_ms"]
    assert last_combo.isVisible()
    assert last_combo.visibleRegion().boundingRect().height() == last_combo.height()

    jobs.set_mode(SplitMode.ARRAY)
    assert not any(combo.isEnabled() for combo, _ in jobs.param_widgets.values())
    jobs.set_mode(SplitMode.PER_ROW)
    assert all(combo.isEnabled() for combo, _ in jobs.param_widgets.values())

    assert jobs.sections.tabText(1) == "Overrides"
    jobs.retries.setValue(2)
    jobs.tags.setText("team=data")
    assert jobs.sections.tabText(1) == "Overrides · 2 set"


def to_jobs_step(app: Application, wait_until: Callable[..., None], prefix: str) -> CsvWizard:
    wizard = checked_wizard(app, SAMPLE, wait_until)
    wizard.next()
    upload = wizard.upload_page
    wait_until(lambda: upload.bucket.findText("batchgui-demo") >= 0, 30, "the bucket list")
    upload.bucket.setCurrentText("batchgui-demo")
    upload.prefix.setText(prefix)
    upload.upload_button.click()
    wait_until(upload.isComplete, 30, "the upload")
    wizard.next()
    wait_until(lambda: bool(wizard.jobs.definitions), 30, "queues and definitions")
    return wizard


def test_jobs_step_proposes_one_platform_and_refuses_a_mixed_pair(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    from batchgui.domain.job_platforms import definition_family

    app = started(make_app, sandbox, wait_until)
    jobs = to_jobs_step(app, wait_until, "input/platforms/").jobs
    queue, definition = jobs.current_queue, jobs.current_definition
    assert queue is not None
    assert definition is not None
    # The default pair runs: the queue's compute environments are of the definition's platform.
    assert jobs.platforms.queue_family(queue.name) == definition_family(definition), (queue.name, definition)
    assert jobs.platform_problem == ""
    assert "(Fargate" in jobs.queue.currentText() or "(EC2" in jobs.queue.currentText()

    jobs.choose("ec2-queue", "csv-row-processor")  # EC2 queue, Fargate definition
    jobs.set_value("delay_ms", "0")
    assert not jobs.isComplete()
    assert not jobs.validatePage()
    text = jobs.plan_label.text()
    assert "Queue ec2-queue runs jobs on EC2" in text
    assert "is for Fargate" in text
    assert "SubmitJob call" not in text  # no green "ready" line for a pair AWS would never run
    assert "does not run" in jobs.queue.itemData(jobs.queue.currentIndex(), Qt.ItemDataRole.ToolTipRole)

    jobs.choose("fargate-queue", "csv-row-processor")
    assert jobs.platform_problem == ""
    assert jobs.isComplete(), jobs.plan_label.text()


def test_file_step_looks_at_the_path_on_a_worker_once_typing_pauses(
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from batchgui.services import upload as uploads_module

    app = started(make_app, sandbox, wait_until)
    looked: list[tuple[str, bool]] = []
    real = uploads_module.file_size

    def spy(path: Path) -> int | None:
        looked.append((str(path), threading.current_thread() is threading.main_thread()))
        return real(path)

    monkeypatch.setattr(uploads_module, "file_size", spy)
    wizard = CsvWizard(app.services, app.facades.uploads, app.facades.submissions)
    page = wizard.file_page
    typed = str(SAMPLE)
    for end in range(1, len(typed) + 1):  # a keystroke at a time
        page.path_edit.setText(typed[:end])
    assert not page.isComplete()  # nothing looked at yet
    wait_until(page.isComplete, 10, "the typed file to be found")
    assert looked == [(typed, False)]  # once, after the pause, off the GUI thread
    assert "sample.csv" in page.message.text()
    page.path_edit.setText(typed + ".missing")
    assert not page.isComplete()
    wait_until(lambda: "No such file" in page.message.text(), 10, "the missing file to be reported")
    assert not page.isComplete()
    wizard.deleteLater()
