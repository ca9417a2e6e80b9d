"""The "Why is it RUNNABLE?" pane: one job's blocked-queue reason in plain words, each check passed or failed
with its numbers and its fix, and the fixes the app can carry out (behind a confirmation).

Opened from the Jobs panel's context menu for a RUNNABLE (or PENDING) job, from the Monitor's
"Oldest RUNNABLE job" tile, and from the Service jobs panel for a RUNNABLE service job. The pane reads
everything through the RunnableService facade.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.runnable import Check, Fix, Outcome
from batchgui.services.runnable import RunnableReport, RunnableService
from batchgui.services.service_runnable import ServiceJobReport
from batchgui.ui.dialogs import confirm
from batchgui.ui.widgets.forms import Spawn, Tone, tone_colour

if TYPE_CHECKING:  # details.py shows this module's start cell
    from batchgui.ui.jobs.details import JobDetailsView

# Jobs the pane explains: waiting for dependencies (PENDING) or for capacity (RUNNABLE).
WAITING = (JobStatus.PENDING, JobStatus.RUNNABLE)
START_ROW = "Estimated start"
MARKS = {
    Outcome.PASSED: ("✔", Tone.OK, "passed"),
    Outcome.FAILED: ("✘", Tone.PROBLEM, "failed"),
    Outcome.UNKNOWN: ("?", Tone.WARNING, "not known"),
}


def is_waiting(detail: JobDetail) -> bool:
    return detail.status in WAITING


def start_cell(detail: JobDetail, start: str | None) -> str:
    """The Details row of a waiting job: the estimate once asked for, else a link that asks for it
    (it reads the queue, its running jobs and history: not done for every job shown)."""
    if start is not None:
        return escape(start)
    return f"<a href='start:{escape(detail.job_id)}'>Estimate when it may start…</a>"


class CheckRow(QFrame):
    """One check: its mark, name, numbers and, when it failed, the fix."""

    def __init__(self, check: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setObjectName("runnableCheck")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.mark = QLabel()
        self.mark.setToolTip(MARKS[check.outcome][2])
        self.mark.setFixedWidth(24)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._paint()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.mark)
        layout.addWidget(self.text, 1)

    def _paint(self) -> None:
        """The mark and text in the outcome's colour for the current theme."""
        check = self.check
        mark, tone, word = MARKS[check.outcome]
        colour = tone_colour(self, tone)
        self.mark.setText(f"<span style='color:{colour}; font-size:15pt'>{mark}</span>")
        text = f"<b>{escape(check.name)}</b> — <span style='color:{colour}'>{word}</span><br>"
        text += escape(check.detail)
        if check.fix:
            text += f"<br><i>Fix:</i> {escape(check.fix)}"
        self.text.setText(text)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the system turned dark or light
            self._paint()


class RunnablePane(QDialog):
    """The diagnosis of one job (a Batch job, or with `service_job` a service job of a
    SAGEMAKER_TRAINING queue); Refresh asks again, a fix button applies a fix once confirmed."""

    def __init__(
        self,
        service: RunnableService,
        job_id: str,
        spawn: Spawn,
        parent: QWidget | None = None,
        *,
        service_job: bool = False,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.job_id = job_id
        self.service_job = service_job
        self.spawn = spawn
        self.report: RunnableReport | ServiceJobReport | None = None
        self.fix_buttons: list[QPushButton] = []
        self.check_rows: list[CheckRow] = []
        self.setObjectName("runnablePane")
        kind = "service job" if service_job else "job"
        self.setWindowTitle(f"Why is {kind} {job_id} not starting?")
        self.resize(720, 560)
        self.heading = QLabel(f"Looking at job {escape(job_id)}…")
        self.heading.setObjectName("runnableHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.aws_reason = QLabel()
        self.aws_reason.setObjectName("runnableAwsReason")
        self.aws_reason.setWordWrap(True)
        self.aws_reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_label = QLabel()
        self.start_label.setObjectName("runnableStart")
        self.start_label.setWordWrap(True)
        self.start_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_label.hide()
        self.checks_holder = QWidget()
        self.checks_layout = QVBoxLayout(self.checks_holder)
        self.checks_layout.setContentsMargins(0, 0, 0, 0)
        self.checks_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.checks_holder)
        self.fixes_label = QLabel("What the app can do")
        # Bold by its font, not a style sheet: a label with one kept the palette it was built under
        # when the theme changed (dark text on the dark theme, light on the light one).
        bold = self.fixes_label.font()
        bold.setBold(True)
        self.fixes_label.setFont(bold)
        self.fixes_row = QHBoxLayout()
        self.fixes_row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.aws_reason)
        layout.addWidget(self.start_label)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.fixes_label)
        layout.addLayout(self.fixes_row)
        layout.addWidget(buttons)
        self.fixes_label.hide()
        self._task: asyncio.Task[Any] | None = None
        # Closed (and deleted) while a call is in flight: its answer must not reach dead widgets.
        self.finished.connect(self._cancel)

    def refresh(self) -> asyncio.Task[Any]:
        self._cancel()
        self._task = self.spawn(self.load(), f"Explain job {self.job_id}")
        return self._task

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def load(self) -> RunnableReport | ServiceJobReport:
        self.refresh_button.setEnabled(False)
        try:
            report: RunnableReport | ServiceJobReport
            if self.service_job:
                report = await self.service.explain_service_job(self.job_id)
            else:
                report = await self.service.explain(self.job_id)
        finally:
            self.refresh_button.setEnabled(True)
        self.show_report(report)
        return report

    def show_report(self, report: RunnableReport | ServiceJobReport) -> None:
        self.report = report
        waiting = report.waiting
        head = (
            f"<b>{escape(report.name)}</b> ({escape(report.job_id)}) is <b>{escape(report.status_text)}</b>"
        )
        head += f" in {escape(report.queue_name)}."
        if waiting:
            head += f"<br>{escape(report.diagnosis.summary)}"
        else:
            head += "<br>It is no longer waiting: the checks below are how things stand now."
        self.heading.setText(head)
        reason = report.diagnosis.reason
        if reason is not None:
            self.aws_reason.setText(
                f"<b>AWS says</b> <code>{escape(reason.code)}</code>: {escape(reason.meaning)}"
                f"<br><i>Fix:</i> {escape(reason.fix)}"
            )
        elif report.status_reason:
            self.aws_reason.setText(f"<b>AWS says</b>: {escape(report.status_reason)}")
        else:
            self.aws_reason.setText("<b>AWS says</b> nothing about it (no status reason).")
        start = report.start if waiting else None
        self.start_label.setVisible(start is not None)
        if start is not None:
            self.start_label.setText(f"<b>Estimated start</b>: {escape(start.text)}")
        for row in self.check_rows:
            row.deleteLater()
        self.check_rows = [CheckRow(c) for c in report.checks]
        for number, row in enumerate(self.check_rows):
            self.checks_layout.insertWidget(number, row)
        for button in self.fix_buttons:
            button.deleteLater()
        self.fix_buttons = []
        for fix in report.fixes if waiting else ():
            button = QPushButton(fix.label + "…")
            button.setObjectName("runnableFix")
            button.clicked.connect(lambda _checked=False, f=fix: self.spawn(self.apply(f), f.label))
            self.fixes_row.insertWidget(len(self.fix_buttons), button)
            self.fix_buttons.append(button)
        self.fixes_label.setVisible(bool(self.fix_buttons))

    async def apply(self, fix: Fix) -> bool:
        if not await confirm(self, fix.label, fix.question, fix.label.split(" ", 1)[0]):
            return False
        await self.service.apply(fix)
        await self.load()
        return True


class RunnableOpener:
    """Opens the pane for a job id, and fills the Details' "Estimated start" of a waiting job when
    asked; built once by the composition root and handed to the panels."""

    def __init__(self, service: RunnableService, spawn: Spawn, parent: QWidget | None = None) -> None:
        self.service = service
        self.spawn = spawn
        self.parent = parent
        self.last: RunnablePane | None = None

    def serve_details(self, details: JobDetailsView) -> None:
        details.start_requested.connect(
            lambda job_id: self.spawn(self.estimate_into(details, job_id), f"Estimate the start of {job_id}")
        )

    async def estimate_into(self, details: JobDetailsView, job_id: str) -> str:
        details.set_extra(job_id, START_ROW, "estimating…")
        report = await self.service.explain(job_id)
        text = "no longer waiting" if report.start is None else report.start.text
        text += f" (as of {time.strftime('%H:%M')})"
        details.set_extra(job_id, START_ROW, text)
        return text

    def open(self, job_id: str, *, service_job: bool = False) -> RunnablePane:
        pane = RunnablePane(self.service, job_id, self.spawn, self.parent, service_job=service_job)
        pane.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        pane.show()
        pane.refresh()
        self.last = pane
        return pane

    def open_service_job(self, job_id: str) -> RunnablePane:
        """The pane for a service job (the Service jobs panel's "Why is it RUNNABLE?")."""
        return self.open(job_id, service_job=True)


def add_why_action(
    menu: QMenu, job: JobSummary | None, open_pane: Callable[[str], object] | None
) -> QAction | None:
    """The Jobs context menu's "Why is it not starting?…" entry, for a waiting job."""
    if job is None or open_pane is None or job.status not in WAITING:
        return None
    action = menu.addAction(f"Why is it {job.status.value}?…")
    action.triggered.connect(lambda: open_pane(job.job_id))
    return action


class WhyRunnableLink(QLabel):
    """A "Why?" link put on the Monitor's oldest-RUNNABLE tile; it opens the pane for that job."""

    def __init__(self, tile: QWidget) -> None:
        super().__init__("<a href='why'>Why is it waiting?</a>", tile)
        self.setObjectName("whyRunnableLink")
        self.job_id = ""
        self.open_pane: Callable[[str], object] | None = None
        self.linkActivated.connect(lambda _href: self.activate())
        self.hide()
        layout = tile.layout()
        if layout is not None:
            layout.addWidget(self)

    def set_job(self, job_id: str | None) -> None:
        self.job_id = job_id or ""
        self.setVisible(bool(self.job_id))

    def activate(self) -> None:
        if self.job_id and self.open_pane is not None:
            self.open_pane(self.job_id)
