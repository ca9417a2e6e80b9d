from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from batchgui.app import Application
from batchgui.domain.csv_plan import DefinitionInfo, PlanInput, QueueInfo, SplitMode, iter_rows, make_plan
from batchgui.services.submission import Unit, new_submission_id
from batchgui.ui.submissions.panel import SubmissionsPanel, all_terminal
from tests.ui.log_support import log_text
from tests.ui.test_csv_wizard import started

pytestmark = pytest.mark.timeout(120)


def send_three_rows(app: Application, run_async: Callable[..., Any], name: str, mode: SplitMode) -> str:
    """Journal and send a three-row submission of the demo processor (its key does not exist)."""
    backend = app.connections.backend
    assert backend is not None
    sid = new_submission_id()
    data = b"id\n1\n2\n3\n"
    plan = make_plan(
        PlanInput(
            job_name=name,
            queue=QueueInfo("fargate-queue"),
            definition=DefinitionInfo(
                "csv-row-processor:1",
                "ACTIVE",
                "FARGATE",
                parameters={"bucket": "batchgui-demo", "table": "batchgui-demo-results", "delay_ms": "0"},
            ),
            bucket="batchgui-demo",
            key="input/missing.csv",
            rows=3,
            columns=("id",),
            submission_id=sid,
            mode=mode,
        )
    )
    assert plan.ok, plan.errors
    submitter = app.facades.submissions.submitter
    run_async(
        submitter.create(
            plan,
            f"/tmp/{name}.csv",
            len(data),
            "0" * 64,
            rows=lambda: iter_rows(io.BytesIO(data), "utf-8", ",", '"', has_header=True),
        )
    )
    run_async(submitter.submit(backend.batch, sid))
    return sid


def test_failed_rows_show_and_only_they_are_resubmitted(  # noqa: PLR0917 - pytest fixtures
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
    qtmodeltester: Any,
    tmp_path: Path,
) -> None:
    app = started(make_app, sandbox, wait_until)
    sid = send_three_rows(app, run_async, "broken", SplitMode.PER_ROW)
    submitter = app.facades.submissions.submitter
    panel = app.window.show_panel("submissions")
    assert isinstance(panel, SubmissionsPanel)
    panel.services.settings.refresh_interval_s = 2  # the follow interval comes from the settings
    panel.refresh()
    wait_until(lambda: panel.model.row_of_key(sid) >= 0, 15, "the submission in the list")
    qtmodeltester.check(panel.model)
    panel.select(sid)
    assert panel.current() is not None

    # Selecting a submission follows its jobs: their status is read at once, without pressing
    # anything, and polled every refresh interval while the panel is visible, until every job ended.
    wait_until(lambda: panel.following, 15, "following to start")
    wait_until(lambda: "3 of 3 rows SUCCEEDED" in panel.units_note.text(), 90, "the jobs' status")
    wait_until(lambda: not panel.following, 30, "following to stop once every job has ended")
    assert panel.status_button.isEnabled()
    assert not panel.resume_button.isEnabled()  # everything was sent
    assert not panel.retry_button.isEnabled()  # nothing failed
    assert panel.export_rows_button.isEnabled()

    # The jobs' last known status says they failed (the sandbox's processor run is the e2e test's).
    submitter.journal.save_units(
        [
            Unit(sid, item["seq"], -1, item["job_id"], item["first_row"], 1, "FAILED", 1, "exit 1")
            for item in submitter.journal.items(sid)
        ]
    )
    run_async(panel._show_units(sid))
    qtmodeltester.check(panel.units_model)
    assert not panel.following  # ended jobs are not polled again
    assert panel.retry_button.isEnabled()
    assert "0 of 3 rows SUCCEEDED, 3 jobs FAILED" in panel.units_note.text()

    retry = run_async(panel.resubmit_failed(ask=False))
    assert retry is not None
    assert retry.parent_id == sid
    resent = submitter.journal.submission(retry.id)
    assert resent.submitted == 3
    assert resent.name_prefix != submitter.journal.submission(sid).name_prefix

    # The new submission is selected (and followed) once the list shows it.
    wait_until(lambda: getattr(panel.current(), "id", "") == retry.id, 15, "the resubmission selected")
    export = tmp_path / "rows.csv"
    panel.select(sid)
    wait_until(lambda: panel.units_model.rowCount() == 3, 15, "the first submission's rows")
    run_async(panel.export_units_to(export))
    assert export.read_text().count("FAILED") >= 3


def test_empty_panel_offers_nothing_to_act_on_and_lists_newest_first(
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
    qtmodeltester: Any,
) -> None:
    app = started(make_app, sandbox, wait_until)
    panel = app.window.show_panel("submissions")
    assert isinstance(panel, SubmissionsPanel)
    wait_until(lambda: panel.load_count >= 1, 15, "the journal read")
    assert panel.model.rowCount() == 0
    for button in (panel.resume_button, panel.retry_button, panel.status_button, panel.export_rows_button):
        assert not button.isEnabled(), button.text()

    ids = []
    for name in ("older", "newer"):
        sid = new_submission_id()
        plan = make_plan(
            PlanInput(
                job_name=name,
                queue=QueueInfo("fargate-queue"),
                definition=DefinitionInfo("csv-row-processor:1", "ACTIVE", "FARGATE"),
                bucket="batchgui-demo",
                key=f"input/{name}.csv",
                rows=1,
                columns=("id",),
                submission_id=sid,
                mode=SplitMode.WHOLE,
            )
        )
        assert plan.ok, plan.errors
        run_async(
            app.facades.submissions.submitter.create(plan, f"/tmp/{name}.csv", 5, "0" * 64, dry_run=True)
        )
        ids.append(sid)
    panel.refresh()
    wait_until(lambda: panel.model.rowCount() == 2, 15, "both submissions listed")
    qtmodeltester.check(panel.model)
    assert [panel.model.row_at(panel.model.index(r, 0)).id for r in range(2)] == ids[::-1]  # type: ignore[union-attr]
    assert panel.count_label.text() == "2 rows"
    # Sorted oldest first and remembered that way: the list still opens newest first.
    panel.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert panel.model.row_at(panel.model.index(0, 0)).id == ids[0]  # type: ignore[union-attr]
    panel.save_state(panel.services.settings)
    panel.restore_state(panel.services.settings)
    assert panel.model.row_at(panel.model.index(0, 0)).id == ids[1]  # type: ignore[union-attr]
    panel.select(ids[0])
    wait_until(lambda: "dry run" in panel.units_note.text(), 10, "the dry run's note")
    # A dry run sent nothing: nothing to resume, follow or resubmit.
    assert not panel.following
    for button in (panel.resume_button, panel.retry_button, panel.status_button):
        assert not button.isEnabled(), button.text()


def test_a_row_opens_its_array_child_in_jobs_with_its_log(
    make_app: Callable[..., Application],
    sandbox: Any,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
    qtmodeltester: Any,
) -> None:
    """Submissions → Jobs → Log: Enter on a row shows that array child in Jobs, on its Log tab."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    from batchgui.ui.jobs.panel import JobsPanel

    app = started(make_app, sandbox, wait_until)
    sid = send_three_rows(app, run_async, "chunks", SplitMode.ARRAY)
    submitter = app.facades.submissions.submitter
    panel = app.window.show_panel("submissions")
    assert isinstance(panel, SubmissionsPanel)
    panel.services.settings.refresh_interval_s = 1
    panel.refresh()
    wait_until(lambda: panel.model.row_of_key(sid) >= 0, 15, "the submission in the list")
    panel.select(sid)
    wait_until(
        lambda: panel.units_model.rowCount() == 3 and all_terminal(panel.units_model.all_rows()),
        90,
        "three finished children",
    )
    qtmodeltester.check(panel.units_model)
    # FAILED rows are red and say so in words.
    units = panel.units_model.all_rows()
    submitter.journal.save_units([replace(units[0], status="FAILED", exit_code=1)])
    run_async(panel._show_units(sid))
    status_column = [c.title for c in panel.units_model.columns].index("Status")
    texts = [panel.units_model.data(panel.units_model.index(r, status_column)) for r in range(3)]
    assert texts.count("✖ FAILED") == 1
    for r, text in enumerate(texts):
        red = panel.units_model.data(panel.units_model.index(r, 0), Qt.ItemDataRole.ForegroundRole)
        assert (red is not None) == (text == "✖ FAILED")
    # The right-click menu offers the row's job, its log and its id.
    row = next(
        r for r in range(3) if (u := panel.units_model.row_at(panel.units_model.index(r, 0))) and u.index == 1
    )
    panel.units_table.setCurrentIndex(panel.units_model.index(row, 0))
    unit = panel.unit_at()
    assert unit is not None
    child_id = unit.job_id
    assert child_id.endswith(":1")
    menu = panel.unit_menu(unit)
    assert [a.text() for a in menu.actions()] == ["Open job", "Open log", "Copy job ID"]
    menu.actions()[2].trigger()
    assert QGuiApplication.clipboard().text() == child_id

    panel.units_table.setFocus()
    QTest.keyClick(panel.units_table, Qt.Key.Key_Return)
    jobs = app.window.current_panel()
    assert isinstance(jobs, JobsPanel)
    wait_until(
        lambda: jobs.details.detail is not None and jobs.details.detail.job_id == child_id, 20, "child"
    )
    assert jobs.inspector.currentWidget() is jobs.log_view
    wait_until(lambda: "child 1" in log_text(jobs.log_view), 30, "the child's log")
    # Double-click on another row does the same for that child.
    app.window.show_panel("submissions")
    other = panel.units_model.index((row + 1) % 3, 0)
    panel.units_table.doubleClicked.emit(other)
    other_id = panel.units_model.row_at(other).job_id  # type: ignore[union-attr]
    wait_until(
        lambda: jobs.details.detail is not None and jobs.details.detail.job_id == other_id, 20, "other"
    )
    assert app.window.current_panel() is jobs
