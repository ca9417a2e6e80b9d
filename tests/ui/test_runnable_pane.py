"""The "Why is it RUNNABLE?" pane: checks shown with their outcome, a fix applied only once confirmed,
and the hookups in the Jobs context menu and the Monitor's oldest-RUNNABLE tile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.runnable import Check, Diagnosis, Fix, FixKind, Outcome, decode_reason
from batchgui.domain.start_estimate import StartEstimate
from batchgui.services.runnable import RunnableReport, RunnableService
from batchgui.ui.jobs import runnable_pane
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.runnable_pane import RunnablePane, WhyRunnableLink, add_why_action

REASON = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) cannot meet the CPU requirement"


class StubRunnable:
    def __init__(self) -> None:
        self.applied: list[Fix] = []
        self.fixed = False

    async def explain(self, job_id: str) -> RunnableReport:
        summary = JobSummary(job_id, "render", JobStatus.RUNNABLE, status_reason=REASON, queue="q")
        checks = [
            Check("Job queue enabled and valid", Outcome.PASSED, "Queue q is ENABLED and VALID."),
            Check(
                "Room under maxvCpus",
                Outcome.PASSED if self.fixed else Outcome.FAILED,
                "Full: fg: 4 of 4 vCPUs in use. The job starts when running jobs finish.",
                "Wait, or raise maxvCpus to run more at once.",
            ),
        ]
        fixes = () if self.fixed else (Fix(FixKind.RAISE_MAX_VCPUS, "fg", 6, 4),)
        start = StartEstimate(90, "1 job ahead, 2 jobs running (4 of 4 vCPUs)")
        return RunnableReport(
            JobDetail(summary), Diagnosis(decode_reason(REASON), checks), fixes, start=start
        )

    async def apply(self, fix: Fix) -> None:
        self.applied.append(fix)
        self.fixed = True


def spawner(tasks: list[asyncio.Task[Any]]) -> Callable[..., asyncio.Task[Any]]:
    def spawn(coro: Any, _what: str) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        tasks.append(task)
        return task

    return spawn


def test_pane_shows_checks_and_applies_a_fix_after_confirming(
    qtbot: Any, run_async: Callable[..., Any], monkeypatch: Any
) -> None:
    stub = StubRunnable()
    tasks: list[asyncio.Task[Any]] = []
    pane = RunnablePane(cast(RunnableService, stub), "j-1", spawner(tasks))
    qtbot.addWidget(pane)
    run_async(pane.load())
    assert "COMPUTE_ENVIRONMENT_MAX_RESOURCE" in pane.aws_reason.text()
    assert pane.start_label.text() == (
        "<b>Estimated start</b>: in about 2 min (estimate: 1 job ahead, 2 jobs running (4 of 4 vCPUs))"
    )
    assert [r.check.outcome for r in pane.check_rows] == [Outcome.PASSED, Outcome.FAILED]
    assert "4 of 4 vCPUs in use" in pane.check_rows[1].text.text()
    assert "raise maxvCpus" in pane.check_rows[1].text.text()
    [button] = pane.fix_buttons
    assert button.text() == "Raise maxvCpus of fg from 4 to 6…"

    answers = iter([False, True])

    async def confirm(*_args: Any) -> bool:
        return next(answers)

    monkeypatch.setattr(runnable_pane, "confirm", confirm)
    assert pane.report is not None
    stub_fix = pane.report.fixes[0]
    assert run_async(pane.apply(stub_fix)) is False
    assert stub.applied == []
    assert run_async(pane.apply(stub_fix)) is True
    assert stub.applied == [stub_fix]
    assert pane.fix_buttons == []
    assert pane.check_rows[1].check.outcome is Outcome.PASSED


def test_jobs_menu_offers_the_pane_only_for_waiting_jobs(qtbot: Any) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    opened: list[str] = []
    menu = QMenu(holder)
    waiting = JobSummary("j-1", "a", JobStatus.RUNNABLE)
    action = add_why_action(menu, waiting, opened.append)
    assert action is not None
    assert action.text() == "Why is it RUNNABLE?…"
    action.trigger()
    assert opened == ["j-1"]
    assert add_why_action(menu, JobSummary("j-2", "b", JobStatus.RUNNING), opened.append) is None
    assert add_why_action(menu, waiting, None) is None


def test_monitor_tile_link_opens_the_oldest_runnable_job(qtbot: Any) -> None:
    tile = QWidget()
    QVBoxLayout(tile)
    qtbot.addWidget(tile)
    link = WhyRunnableLink(tile)
    opened: list[str] = []
    link.open_pane = opened.append
    link.set_job("")
    assert link.isHidden()
    link.set_job("j-9")
    assert not link.isHidden()
    link.linkActivated.emit("why")
    assert opened == ["j-9"]


def test_the_app_wires_the_pane_into_jobs_and_monitor(make_app: Callable[..., Any], moto: Any) -> None:
    from batchgui.ui.jobs.panel import JobsPanel
    from batchgui.ui.monitor.panel import MonitorPanel

    app = make_app(moto)
    jobs = next(p for p in app.panels if isinstance(p, JobsPanel))
    monitor = next(p for p in app.panels if isinstance(p, MonitorPanel))
    assert jobs.on_why_runnable is not None
    assert monitor.why_runnable.open_pane is not None
    pane = jobs.on_why_runnable("j-1")
    assert isinstance(pane, RunnablePane)
    pane.close()
    from batchgui.domain.history import NowFigures

    monitor.show_now(
        NowFigures(runnable=1, oldest_runnable_age_s=600, oldest_runnable_job="j-7", sampled_at=1.0)
    )
    assert not monitor.why_runnable.isHidden()
    monitor.why_runnable.activate()
    assert app.window.findChild(RunnablePane) is not None
    monitor.show_now(NowFigures(sampled_at=2.0))
    assert monitor.why_runnable.isHidden()


def test_details_of_a_waiting_job_offer_the_estimated_start(
    qtbot: Any, run_async: Callable[..., Any]
) -> None:
    details = JobDetailsView()
    qtbot.addWidget(details)
    waiting = JobDetail(JobSummary("j-1", "render", JobStatus.RUNNABLE, queue="q"))
    details.show_detail(waiting)
    assert "Estimate when it may start…" in details.text()
    asked: list[str] = []
    details.start_requested.connect(asked.append)
    details._anchor(QUrl("start:j-1"))
    assert asked == ["j-1"]
    tasks: list[asyncio.Task[Any]] = []
    opener = runnable_pane.RunnableOpener(cast(RunnableService, StubRunnable()), spawner(tasks))
    text = run_async(opener.estimate_into(details, "j-1"))
    assert text.startswith("in about 2 min (estimate: 1 job ahead, 2 jobs running (4 of 4 vCPUs)) (as of ")
    assert "Estimated start" in details.text()
    assert "in about 2 min" in details.text()
    done = JobDetail(JobSummary("j-2", "render", JobStatus.SUCCEEDED, queue="q"))
    details.show_detail(done)
    assert "Estimated start" not in details.text()


def test_check_marks_take_the_new_theme_colours(qtbot: Any, run_async: Callable[..., Any]) -> None:
    # Built in the light theme, then the system turns dark: a passed check's green and a failed
    # one's red change to the shades that read on the dark background.
    from PySide6.QtWidgets import QApplication

    from batchgui.ui.theme import Theme
    from batchgui.ui.widgets.forms import Tone

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    theme = Theme(app, "light")
    try:
        pane = RunnablePane(cast(RunnableService, StubRunnable()), "j-1", spawner([]))
        qtbot.addWidget(pane)
        run_async(pane.load())
        passed, failed = pane.check_rows
        assert Tone.OK.value[0] in passed.text.text()
        theme.set_choice("dark")
        app.processEvents()
        assert Tone.OK.value[1] in passed.text.text()
        assert Tone.PROBLEM.value[1] in failed.mark.text()
    finally:
        app.setPalette(before)


def test_the_fixes_heading_follows_the_theme(qtbot: Any, run_async: Callable[..., Any]) -> None:
    # "What the app can do" was bold through a style sheet: built in the light theme, it kept its
    # light background and black text once the theme turned dark (and the other way round).
    from PySide6.QtWidgets import QApplication

    from batchgui.ui.theme import Theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    theme = Theme(app, "light")
    try:
        pane = RunnablePane(cast(RunnableService, StubRunnable()), "j-1", spawner([]))
        qtbot.addWidget(pane)
        pane.show()
        run_async(pane.load())
        assert pane.fixes_label.font().bold()
        assert pane.fixes_label.grab().toImage().pixelColor(0, 0).lightness() > 128
        theme.set_choice("dark")
        app.processEvents()
        assert pane.fixes_label.grab().toImage().pixelColor(0, 0).lightness() < 128
    finally:
        app.setPalette(before)
