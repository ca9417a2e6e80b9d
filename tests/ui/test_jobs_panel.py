from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from batchgui.app import Application
from batchgui.domain.batch import JobStatus
from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
from batchgui.domain.job_requests import SubmitJobRequest
from batchgui.ui.jobs.panel import FILTER_MIN_WIDTH, JobsPanel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog
from tests.support import MotoEndpoint, seed_batch
from tests.ui.log_support import log_lines, log_text

pytestmark = pytest.mark.timeout(120)
Wait = Callable[..., None]


@dataclass(frozen=True)
class SandboxEndpoint:
    running: Any

    def local(self) -> LocalEndpoint:
        r = self.running
        return LocalEndpoint(r.endpoint_url, r.region, r.access_key_id, r.secret_access_key)


def open_panel(make_app: Callable[..., Application], endpoint: Any, wait_until: Wait) -> JobsPanel:
    app = make_app(endpoint, "--panel", "jobs")
    app.start(ConnectionSpec.local())
    panel = app.window.current_panel()
    assert isinstance(panel, JobsPanel)
    wait_until(lambda: panel.load_count >= 1, what="jobs loaded")
    return panel


def submit(
    panel: JobsPanel, wait_until: Wait, fill: Callable[[SubmitJobDialog], None], clone: bool = False
) -> Any:
    task = panel.spawn(panel.clone_selected() if clone else panel.submit_new(), "submit")
    found: list[SubmitJobDialog] = []

    def dialog_open() -> bool:
        found[:] = [d for d in panel.findChildren(SubmitJobDialog) if d.isVisible()]
        return bool(found)

    wait_until(dialog_open, what="submit dialog")
    dialog = found[0]
    fill(dialog)
    dialog.buttons.accepted.emit()
    wait_until(task.done, what="submitted")
    return task.result()


def click_message_button(panel: JobsPanel, wait_until: Wait, text: str) -> None:
    boxes: list[QMessageBox] = []

    def box_open() -> bool:
        boxes[:] = [
            b
            for b in panel.findChildren(QMessageBox)
            if b.isVisible() and b.button(QMessageBox.StandardButton.Cancel)
        ]
        return bool(boxes)

    wait_until(box_open, what="confirmation")
    button = next(b for b in boxes[0].findChildren(QPushButton) if b.text() == text)
    button.click()


def shell(script: str) -> Callable[[SubmitJobDialog], None]:
    def fill(dialog: SubmitJobDialog) -> None:
        dialog.name_edit.setText("panel-job")
        dialog.queue_combo.setCurrentText("fargate-queue")
        dialog.definition_combo.setCurrentText("csv-row-processor")
        dialog.command_edit.setText(f'sh -c "{script}"')

    return fill


def status_of(panel: JobsPanel, job_id: str) -> JobStatus | None:
    job = panel.model.job(job_id)
    return None if job is None else job.status


def reached(panel: JobsPanel, job_id: str, status: JobStatus) -> bool:
    """True once the live poll has seen the job in `status`; polls again meanwhile."""
    if status_of(panel, job_id) is status:
        return True
    if panel.model.pending:
        panel.model.flush()
    elif panel.services.tasks.count < 3:
        panel.spawn(panel.poll_now(), "poll")
    return False


def test_submit_then_follow_the_log_to_succeeded(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    panel.log_view.set_following(True)
    outcomes = submit(
        panel, wait_until, shell("sleep 1; for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done")
    )
    job_id = outcomes[0].job_id
    assert panel.current_job() is not None
    assert panel.current_job().job_id == job_id  # type: ignore[union-attr]
    wait_until(
        lambda: "line 1" in log_text(panel.log_view) or panel.log_view.model.rowCount() > 0, 30, "first lines"
    )
    seen_at_first = panel.log_view.model.rowCount()
    wait_until(lambda: "line 6" in log_text(panel.log_view), 30, "lines written after opening")
    assert panel.log_view.model.rowCount() > seen_at_first
    shown = [line.split("  ", 1)[-1] for line in log_lines(panel.log_view)]
    assert shown == [f"line {i}" for i in range(1, 7)]
    wait_until(lambda: reached(panel, job_id, JobStatus.SUCCEEDED), 30, "SUCCEEDED")
    assert (
        "Following" in panel.log_view.state_label.text()
        or "/aws/batch/job" in panel.log_view.state_label.text()
    )


def test_failed_job_shows_exit_code_and_masked_secrets(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)

    def fill(dialog: SubmitJobDialog) -> None:
        shell("exit 3")(dialog)
        dialog.environment_edit.setPlainText("DB_PASSWORD=hunter2\nPLAIN=visible")

    job_id = submit(panel, wait_until, fill)[0].job_id

    wait_until(lambda: reached(panel, job_id, JobStatus.FAILED), 30, "FAILED")
    wait_until(
        lambda: panel.details.detail is not None and panel.details.detail.status is JobStatus.FAILED, 10
    )
    text = panel.details.text()
    assert "PLAIN=visible" in text
    assert "hunter2" not in text
    assert "DB_PASSWORD=••••••" in text
    panel.details.reveal_box.setChecked(True)
    assert "DB_PASSWORD=hunter2" in panel.details.text()
    assert panel.model.job(job_id).exit_code == 3  # type: ignore[union-attr]


def test_array_children_and_dependency_links(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)

    def array(dialog: SubmitJobDialog) -> None:
        shell("echo child")(dialog)
        dialog.array_spin.setValue(3)

    parent = submit(panel, wait_until, array)[0].job_id
    wait_until(lambda: "#2" in panel.details.text(), 30, "children listed")
    assert "Array of 3" in panel.details.text()

    def dependent(dialog: SubmitJobDialog) -> None:
        shell("echo after")(dialog)
        dialog.dependencies_edit.setText(parent)

    child = submit(panel, wait_until, dependent)[0].job_id
    wait_until(lambda: "Depends on" in panel.details.text(), 20, "dependency shown")
    assert panel.details.detail is not None
    assert panel.details.detail.job_id == child
    panel.details.job_clicked.emit(parent)
    wait_until(lambda: panel.current_job() is not None and panel.current_job().job_id == parent, 10)  # type: ignore[union-attr]


def test_bulk_terminate_120_jobs_in_three_batches(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    backend = panel.jobs.connections.backend
    assert backend is not None
    client = backend.batch.client
    ids = [
        client.submit_job(
            jobName=f"sleepy-{n}",
            jobQueue="fargate-queue",
            jobDefinition="csv-row-processor",
            containerOverrides={"command": ["sleep", "60"]},
        )["jobId"]
        for n in range(120)
    ]
    panel.refresh()
    wait_until(lambda: all(panel.model.job(i) is not None for i in ids), 30, "jobs listed")
    panel.filter_edit.setText("sleepy-")
    panel.table.selectAll()
    calls: list[str] = []
    client.meta.events.register("before-call.batch.TerminateJobs", lambda **_: calls.append("TerminateJobs"))
    task = panel.spawn(panel.stop_selected(True), "terminate")
    click_message_button(panel, wait_until, "Terminate")
    wait_until(task.done, 60, "terminated")
    results = task.result()
    assert len(results) == 120
    assert all(r.ok for r in results)
    assert calls == ["TerminateJobs"] * 3


def test_clone_prefills_the_dialog(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Wait
) -> None:
    ids = seed_batch(moto)
    moto.client("batch").submit_job(
        jobName="original",
        jobQueue=ids["queue"],
        jobDefinition=ids["definition"],
        containerOverrides={"command": ["echo", "cloned"]},
        parameters={"p": "1"},
    )
    panel = open_panel(make_app, moto, wait_until)
    wait_until(lambda: panel.current_job() is not None, what="first row selected")
    seen: dict[str, str] = {}

    def check(dialog: SubmitJobDialog) -> None:
        seen["name"] = dialog.name_edit.text()
        seen["command"] = dialog.command_edit.text()
        seen["parameters"] = dialog.parameters_edit.toPlainText()
        dialog.name_edit.setText("the-clone")

    outcomes = submit(panel, wait_until, check, clone=True)
    assert seen == {"name": "original", "command": '["echo", "cloned"]', "parameters": "p=1"}
    assert outcomes[0].name == "the-clone"
    assert not outcomes[0].error
    wait_until(lambda: panel.model.job(outcomes[0].job_id) is not None, 10, "clone listed")


def test_job_that_no_longer_exists(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Wait
) -> None:
    seed_batch(moto)
    panel = open_panel(make_app, moto, wait_until)
    panel.show_job("00000000-0000-0000-0000-000000000000")
    wait_until(lambda: "no longer exists" in panel.details.text(), 10, "message")


def test_log_not_yet_created_says_so(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    blocker = submit(panel, wait_until, shell("sleep 30"))[0].job_id

    def waiting(dialog: SubmitJobDialog) -> None:
        shell("echo later")(dialog)
        dialog.dependencies_edit.setText(blocker)

    submit(panel, wait_until, waiting)
    wait_until(lambda: "No log yet" in panel.log_view.state_label.text(), 20, "no log yet")


def test_filter_box_is_wide_and_the_status_tabs_are_whole(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Wait
) -> None:
    seed_batch(moto)
    panel = open_panel(make_app, moto, wait_until)
    window = panel.window()
    hint = panel.filter_edit.fontMetrics().horizontalAdvance(panel.filter_edit.placeholderText())
    # Counts as the benchmark's queue of 100,000 jobs shows them.
    counts = {"All": 100_000, "Succeeded": 90_000, "Failed": 10_000}
    for number in range(panel.status_tabs.count()):
        name = panel.status_tabs.tabText(number).split(" ")[0]
        panel.status_tabs.setTabText(number, f"{name} {counts.get(name, 0):,}")
    window.resize(1280, 800)
    window.show()
    wait_until(lambda: window.width() == 1280, 5, "resized")
    QApplication.processEvents()
    assert panel.filter_edit.width() >= hint
    assert panel.status_tabs.width() >= panel.status_tabs.sizeHint().width()  # every tab, no scrolling
    window.resize(900, 700)
    wait_until(lambda: window.width() == 900, 5, "resized")
    QApplication.processEvents()
    assert panel.filter_edit.width() >= FILTER_MIN_WIDTH
    assert panel.submit_button.geometry().right() < panel.filter_edit.geometry().left()


def test_small_listings_leave_the_garbage_collector_alone(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Wait
) -> None:
    seed_batch(moto)
    frozen = gc.get_freeze_count()
    panel = open_panel(make_app, moto, wait_until)
    panel.refresh()
    wait_until(lambda: panel.load_count >= 2, what="listed again")
    # A freeze would add every live object; the count may only fall, as objects frozen by earlier
    # tests are freed by reference counting.
    assert gc.get_freeze_count() <= frozen


def test_submit_dialog_explains_bad_input(qapp: Any) -> None:
    dialog = SubmitJobDialog(["q"], ["d"])
    dialog.name_edit.setText("bad name!")
    dialog.array_spin.setValue(1)
    dialog.command_edit.setText('["unterminated"')
    dialog.environment_edit.setPlainText("NOEQUALS")
    dialog.timeout_spin.setValue(10)
    dialog.dependencies_edit.setText(" ".join(f"id{n}" for n in range(21)))
    errors = "\n".join(dialog.errors())
    for expected in ("Name:", "Array size", "Command", "Environment, line 1", "Timeout", "at most 20"):
        assert expected in errors
    dialog.deleteLater()


def test_export_csv_of_the_view(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Wait, tmp_path: Path, run_async: Any
) -> None:
    ids = seed_batch(moto)
    for name in ("a-job", "b-job"):
        moto.client("batch").submit_job(jobName=name, jobQueue=ids["queue"], jobDefinition=ids["definition"])
    panel = open_panel(make_app, moto, wait_until)
    panel.filter_edit.setText("b-job")
    target = tmp_path / "jobs.csv"
    task = panel.export_csv_to(target)
    wait_until(task.done, 10, "export")
    lines = target.read_text().splitlines()
    assert lines[0].startswith("Name,Job id,Status")
    assert len(lines) == 2
    assert lines[1].startswith("b-job,")
    run_async(asyncio.sleep(0))


def _platform_fixture() -> Any:
    from batchgui.domain.batch import (
        ComputeEnvironment,
        ComputeEnvironmentOrder,
        JobDefinition,
        JobQueue,
        Platform,
    )
    from batchgui.domain.job_platforms import Platforms

    arn = "arn:aws:batch:eu-west-1:123456789012:"
    envs = [
        ComputeEnvironment(
            name=n,
            arn=f"{arn}compute-environment/{n}",
            state="ENABLED",
            status="VALID",
            type="MANAGED",
            platform=p,
        )
        for n, p in (("ec2-ce", Platform.EC2), ("fargate-ce", Platform.FARGATE))
    ]
    queues = [
        JobQueue(
            q,
            f"{arn}job-queue/{q}",
            "ENABLED",
            "VALID",
            1,
            compute_environments=(ComputeEnvironmentOrder(1, e),),
        )
        for q, e in (("ec2-queue", envs[0].arn), ("fargate-queue", envs[1].arn))
    ]
    definitions = [
        JobDefinition(d, f"{arn}job-definition/{d}:1", 1, "ACTIVE", "container", p)
        for d, p in (("csv-row-processor", "FARGATE"), ("csv-row-processor-ec2", "EC2"))
    ]
    return Platforms.build(queues, envs, definitions)


def test_submit_dialog_defaults_to_a_pair_of_one_platform_and_refuses_a_mixed_pair(qapp: Any) -> None:
    from PySide6.QtCore import Qt

    platforms = _platform_fixture()
    # The queue listed first is EC2 and the definition listed first is Fargate: the dialog does not
    # propose that pair; it takes the definition, then the first queue of its platform.
    dialog = SubmitJobDialog(
        ["ec2-queue", "fargate-queue"], ["csv-row-processor", "csv-row-processor-ec2"], platforms=platforms
    )
    assert dialog.definition_combo.currentText() == "csv-row-processor"
    assert dialog.queue_combo.currentText() == "fargate-queue"
    assert dialog.platform_label.text().startswith("✔ Fargate")
    dialog.name_edit.setText("ok")
    assert dialog.errors() == []
    # The other platform's queue is greyed, with a tooltip that says why.
    assert dialog.queue_combo.itemData(0, Qt.ItemDataRole.ForegroundRole) is not None
    assert "does not run" in dialog.queue_combo.itemData(0, Qt.ItemDataRole.ToolTipRole)
    assert dialog.queue_combo.itemData(1, Qt.ItemDataRole.ForegroundRole) is None

    dialog.queue_combo.setCurrentText("ec2-queue")
    errors = "\n".join(dialog.errors())
    assert "Queue ec2-queue runs jobs on EC2" in errors
    assert "csv-row-processor is for Fargate" in errors
    assert "fargate-queue" in errors  # what to pick instead
    assert dialog.platform_label.text().startswith("✖")
    dialog._try_accept()
    assert dialog.result() == 0
    assert "EC2" in dialog.error_label.text()
    dialog.definition_combo.setCurrentText("csv-row-processor-ec2:1")
    assert dialog.errors() == []

    # A queue chosen in the jobs list: the definition follows it to a runnable pair.
    dialog.definition_combo.setCurrentText("csv-row-processor")
    dialog.select_queue("ec2-queue")
    assert dialog.definition_combo.currentText() == "csv-row-processor-ec2"
    # Submit from a definition (no queue given): a queue that runs it.
    dialog.prefill(SubmitJobRequest(job_definition="csv-row-processor:1"))
    assert dialog.queue_combo.currentText() == "fargate-queue"
    assert dialog.definition_combo.currentText() == "csv-row-processor:1"
    dialog.deleteLater()


def test_submit_dialog_in_the_app_proposes_a_runnable_pair(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    task = panel.spawn(panel.make_submit_dialog(), "dialog")
    wait_until(task.done, 30, "the submit dialog")
    dialog: SubmitJobDialog = task.result()
    queue, definition = dialog.queue_combo.currentText(), dialog.definition_combo.currentText()
    platforms = dialog.platforms
    assert platforms.queue_family(queue)
    assert platforms.definition_family(definition)
    assert platforms.queue_family(queue) == platforms.definition_family(definition), (queue, definition)
    assert dialog.platform_problem() == ""
    mismatched = next(
        q for q in dialog.queue_names if platforms.queue_family(q) != platforms.queue_family(queue)
    )
    dialog.queue_combo.setCurrentText(mismatched)
    assert dialog.platform_problem()
    dialog.deleteLater()


def test_expanding_an_array_lists_its_children_and_terminating_two_leaves_the_others_running(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    backend = panel.jobs.connections.backend
    assert backend is not None
    client = backend.batch.client
    parent = client.submit_job(
        jobName="five-sleepers",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        arrayProperties={"size": 5},
        containerOverrides={"command": ["sleep", "60"]},
    )["jobId"]
    panel.refresh()
    wait_until(lambda: panel.model.job(parent) is not None, 30, "array listed")
    task = panel.toggle_children(parent)
    assert task is not None
    wait_until(task.done, 30, "children listed")
    panel.model.flush()
    children = [f"{parent}:{n}" for n in range(5)]
    shown = [j.job_id for j in panel.model.visible_jobs()]
    assert shown[shown.index(parent) + 1 : shown.index(parent) + 6] == children
    assert panel.model.index(panel.model.row_of(children[3]), 0).data().strip().startswith("#3")

    def running() -> set[str]:
        described = client.describe_jobs(jobs=children)["jobs"]
        return {j["jobId"] for j in described if j["status"] == "RUNNING"}

    wait_until(lambda: len(running()) == 5, 60, "all five children running")
    panel.table.clearSelection()
    for child in (children[1], children[3]):
        panel.table.selectionModel().select(
            panel.model.index(panel.model.row_of(child), 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    assert [j.job_id for j in panel.selected_jobs()] == [children[1], children[3]]
    stop = panel.spawn(panel.stop_selected(True), "terminate")
    click_message_button(panel, wait_until, "Terminate")
    wait_until(stop.done, 30, "terminated")
    assert [r.job_id for r in stop.result()] == [children[1], children[3]]

    def ended() -> bool:
        described = {j["jobId"]: j["status"] for j in client.describe_jobs(jobs=children)["jobs"]}
        return described[children[1]] == described[children[3]] == "FAILED"

    wait_until(ended, 30, "the two children ended")
    assert running() == {children[0], children[2], children[4]}
    # The table hears of it through the store.
    wait_until(lambda: reached(panel, children[1], JobStatus.FAILED), 30, "child FAILED in the table")
    assert status_of(panel, children[0]) is JobStatus.RUNNING
    client.terminate_job(jobId=parent, reason="test over")


def test_no_job_history_option_keeps_no_history(
    make_app: Callable[..., Application], moto: MotoEndpoint
) -> None:
    """`--no-job-history`: the jobs service is given no history folder (every queue listed in full)."""
    assert "--no-job-history" in parse_args_help()
    kept = make_app(moto)
    assert kept.facades.jobs._history_dir is not None
    plain = make_app(moto, "--no-job-history")
    assert plain.facades.jobs._history_dir is None


def parse_args_help() -> str:
    import contextlib
    import io

    from batchgui.app import parse_args

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        parse_args(["--help"])
    return out.getvalue()
