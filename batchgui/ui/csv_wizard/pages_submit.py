"""The wizard's last steps: review exactly what will be sent, then send it (a clear "Submit N jobs"
button on the review step; Next never submits) and follow the progress, with Stop and Resume."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWizard,
)

from batchgui.domain.csv_plan import SplitMode, cli_command
from batchgui.domain.errors import BatchGuiError
from batchgui.services.journal import SubmissionState
from batchgui.services.submission import SubmitProgress, plain
from batchgui.ui.csv_wizard.common import ERROR_STYLE, OK_STYLE, WARN_STYLE, WizardPage
from batchgui.ui.csv_wizard.cost_estimate import CostLine
from batchgui.ui.widgets.panel import monospace_font

if TYPE_CHECKING:
    from batchgui.ui.csv_wizard.wizard import CsvWizard


# --- 5. review ----------------------------------------------------------------------------------
class ReviewPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(
            wizard, "Review", "Exactly what will be sent. Nothing is sent until you press Submit."
        )
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.requests = QPlainTextEdit()
        self.requests.setReadOnly(True)
        self.requests.setFont(monospace_font())
        self.cli = QPlainTextEdit()
        self.cli.setReadOnly(True)
        self.cli.setFont(monospace_font())
        self.cli.setMaximumHeight(90)
        copy = QPushButton("Copy CLI command")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.cli.toPlainText()))
        self.dry_run = QCheckBox("Dry run: record the submission and its requests, send nothing")
        self.dry_run.toggled.connect(self._dry_run_toggled)
        self.submit_button = QPushButton("Submit")
        self.submit_button.setObjectName("submitJobs")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.requests)
        splitter.addWidget(self.cli)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(cost := CostLine(wizard.pricing, wizard.services.tasks.spawn))
        self.cost = cost
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addWidget(copy)
        row.addWidget(self.dry_run)
        row.addStretch(1)
        row.addWidget(self.submit_button)
        layout.addLayout(row)
        layout.addWidget(self.message)

    def initializePage(self) -> None:
        self.s.confirmed = False
        self.dry_run.setChecked(self.s.dry_run)
        self.submit_button.setText(self.s.submit_label)
        plan, check = self.s.plan, self.s.check
        if plan is None or check is None:
            return
        spec = plan.input
        seconds = plan.seconds_at(self.s.rate_per_s)
        if spec.mode is SplitMode.ARRAY:
            shape = f"array of {plan.array_size or 1:,} children, {spec.rows_per_child:,} rows per child"
        elif spec.mode is SplitMode.PER_ROW:
            shape = "one job per row"
        else:
            shape = "one job for the whole file"
        took = (
            "well under a second"
            if seconds < 1
            else f"about {seconds:,.0f} s at {self.s.rate_per_s:.0f} requests/s (the account's budget)"
        )
        self.summary.setText(
            f"<b>{plan.call_count:,}</b> SubmitJob call{'s' if plan.call_count != 1 else ''} for "
            f"{spec.rows:,} rows ({shape}) to queue <b>{spec.queue.name}</b> with "
            f"<b>{spec.definition.name_revision}</b>: {took}. "
            f"Submission id <code>{spec.submission_id}</code>."
        )
        self.cost.show_plan(plan)
        self.requests.setPlainText("Reading the first requests…")
        self.w.services.tasks.spawn(self._show_requests(), "Show the first requests")

    async def _show_requests(self) -> None:
        plan, check = self.s.plan, self.s.check
        if plan is None or check is None:
            return
        try:
            first = await self.w.submissions.first_requests(plan, check, 3)
        except (BatchGuiError, OSError) as error:
            self.requests.setPlainText("")
            self.say(plain(error).message(), ERROR_STYLE)
            return
        shown = "\n\n".join(json.dumps(r, indent=2) for r in first)
        more = plan.call_count - len(first)
        self.requests.setPlainText(shown + (f"\n\n… and {more:,} more like these." if more > 0 else ""))
        region, endpoint = self.w.submissions.cli_target() if self.w.submissions.connected else ("", "")
        self.cli.setPlainText(cli_command(first[0], region, endpoint) if first else "")

    def _dry_run_toggled(self, on: bool) -> None:
        self.s.dry_run = on
        self.submit_button.setText(self.s.submit_label)

    def submit(self) -> None:
        """The only way on from here: what the button says is what is sent."""
        if self.s.plan is None:
            return
        self.s.confirmed = True
        self.completeChanged.emit()
        self.w.next()

    def isComplete(self) -> bool:
        return self.s.confirmed  # Next stays disabled: the Submit button is the way on

    def validatePage(self) -> bool:
        return self.s.confirmed


# --- 6. submit ----------------------------------------------------------------------------------
class SubmitPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(
            wizard, "Submit", "Every job id is journaled as it returns; Resume continues exactly."
        )
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setObjectName("submitStatus")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.start)
        self.resume_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.stop_button)
        row.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None
        self.finished_ok = False

    @property
    def submission(self) -> Any:
        return self.s.submission

    def initializePage(self) -> None:
        self.wizard().button(QWizard.WizardButton.BackButton).setEnabled(False)
        self.start()

    def stop(self) -> None:
        self._stop.set()
        self.say("Stopping after the calls in flight…", WARN_STYLE)

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stop = asyncio.Event()
        self._task = self.w.services.tasks.spawn(self._run(self._stop), "Submit the CSV jobs")

    def _report(self, progress: SubmitProgress) -> None:
        self.progress.setMaximum(max(1, progress.total))
        self.progress.setValue(progress.submitted)
        self.status.setText(
            f"{progress.submitted:,} of {progress.total:,} submitted"
            + (f" · pacing {progress.rate_per_s:.0f}/s" if progress.rate_per_s else "")
            + (f" · {progress.throttled} throttled and retried" if progress.throttled else "")
        )

    async def _run(self, stop: asyncio.Event) -> None:
        session, submissions = self.s, self.w.submissions
        plan, check = session.plan, session.check
        if not submissions.connected or plan is None or check is None or not session.confirmed:
            self.say("Not connected.", ERROR_STYLE)
            self.resume_button.setEnabled(True)
            return
        self.resume_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        try:
            if session.submission is None:
                self.say("Writing the submission to the journal…")
                session.submission = await submissions.create(
                    plan, check, results_table=session.results_table(), dry_run=session.dry_run
                )
            submission = session.submission
            if submission.state == SubmissionState.DRY_RUN:
                self.progress.setValue(100)
                self.say(
                    f"Dry run recorded as {submission.id}: {submission.total:,} request(s), none sent.",
                    OK_STYLE,
                )
                self.finished_ok = True
                return
            outcome = await submissions.submit(
                submission.id, progress=self._report, cancel=stop, rate_per_s=session.rate_per_s
            )
            self._report(SubmitProgress(outcome.submitted, outcome.total, outcome.throttled))
            if outcome.unsent:
                self.say(
                    f"Stopped: {outcome.submitted:,} of {outcome.total:,} submitted. Resume continues.",
                    WARN_STYLE,
                )
                self.resume_button.setEnabled(True)
            elif outcome.failed:
                self.say(
                    f"{outcome.submitted:,} submitted, {outcome.failed:,} refused by Batch "
                    "(see Submissions).",
                    ERROR_STYLE,
                )
                self.finished_ok = True
            else:
                follow = self.w.buttonText(QWizard.WizardButton.FinishButton).replace("&", "")
                self.say(
                    f"Submitted: {outcome.submitted:,} job(s) in {outcome.seconds:.1f} s "
                    f"({outcome.calls:,} call{'s' if outcome.calls != 1 else ''}). "
                    f"{follow} opens the Submissions view on it.",
                    OK_STYLE,
                )
                self.finished_ok = True
        except Exception as error:  # every failure is said plainly; the journal keeps what was sent
            said = plain(error).message()
            self.say(f"{said}\nNothing is lost: press Resume to continue where it stopped.", ERROR_STYLE)
            self.resume_button.setEnabled(True)
        finally:
            self.stop_button.setEnabled(False)
            self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.finished_ok
