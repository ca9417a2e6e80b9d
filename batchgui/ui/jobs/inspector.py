"""The selected job, in three tabs: its details (DescribeJobs), its log, its raw JSON.

Showing a job describes it (only that one job), lists an array job's children, and starts reading its
log through the jobs facade's log following (`JobsService.follow_log`): this pane only shows the
lines and the state it is told.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QPlainTextEdit, QTabWidget, QWidget

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.services.jobs import JobsService
from batchgui.services.log_follower import JobLogFollow, LogHooks, LogState, LogStatus, later_status
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.log_view import LogView
from batchgui.ui.jobs.model import JobsTableModel
from batchgui.ui.widgets.forms import Spawn
from batchgui.ui.widgets.panel import monospace_font

StatusOf = Callable[[str], JobSummary | None]
LOG_POLL_S = 1.0
ARRAY_PARENT_LOG = "An array job writes no log of its own: each child does (its “log” link in Details)."


def log_state_text(status: LogStatus, following: bool) -> str:
    """The log tab's state line, in words."""
    where = f"{status.group} : {status.stream}"
    if status.state is LogState.GONE:
        return "This job no longer exists."
    if status.state is LogState.NOT_STARTED:
        job = status.job_status.value if status.job_status is not None else "not started"
        if status.job_status is not None and status.job_status.is_terminal:
            return f"No log: the job is {job} and wrote no log stream."
        return f"No log yet: the job is {job}. Its log stream is created when it starts" + (
            " — following." if following else "; tick Follow to wait for it."
        )
    if status.state is LogState.NO_STREAM:
        return f"No log yet in {where}: the job has written nothing so far."
    if status.state is LogState.ERROR:
        again = " Retrying while Follow is on." if following else " Tick Follow to try again."
        return f"Could not read {where}: {status.error}. The lines shown are kept.{again}"
    if status.state is LogState.FOLLOWING:
        return f"Following {where}"
    return where


class JobInspector(QTabWidget):
    """Details / Log / JSON of one job; `show_job(job_id)` describes it and starts its log.

    The job shown (`shown_id`) is the one a refresh describes again: a child opened from its parent's
    Details stays shown. Its status comes from `status_of(job_id)` — where the table reads its row
    (later: the job store) — whenever that is newer than the last DescribeJobs.
    """

    def __init__(
        self,
        jobs: JobsService,
        model: JobsTableModel,
        spawn: Spawn,
        current_job: Callable[[], JobSummary | None],
        parent: QWidget | None = None,
        *,
        status_of: StatusOf | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._model = model
        self._spawn = spawn
        self._current_job = current_job
        self._status_of: StatusOf = status_of or model.job
        self.shown_id = ""
        self._row_job = ""  # the job of the table's current row, as last shown
        self._log_status: LogStatus | None = None
        # Follow as the person set it for a job (the toggle stays theirs); else: follow while active.
        self._follow_choice: dict[str, bool] = {}
        self._detail_task: asyncio.Task[Any] | None = None
        self._log_task: asyncio.Task[Any] | None = None
        self.log: JobLogFollow | None = None
        self.details = JobDetailsView()
        self.log_view = LogView(spawn=spawn)
        self.log_view.follow_changed.connect(self._follow_toggled)
        self.log_view.tail_requested.connect(self._back_to_tail)
        self.raw_json = QPlainTextEdit()
        self.raw_json.setReadOnly(True)
        self.raw_json.setFont(monospace_font())
        self.addTab(self.details, "Details")
        self.addTab(self.log_view, "Log")
        self.addTab(self.raw_json, "JSON")
        self.details.log_clicked.connect(self.open_log)
        model.rows_changed.connect(self.status_changed)

    # --- the job ------------------------------------------------------------------------------
    def show_job(self, job_id: str) -> None:
        """Describe the job and show it (what the table knows of it first, if anything)."""
        self.shown_id = job_id
        if self._detail_task is not None and not self._detail_task.done():
            self._detail_task.cancel()
        self._detail_task = self._spawn(self._load(job_id), "Describe job")

    def open_log(self, job_id: str) -> None:
        """Show a job (a child, from its parent's Details) with its Log tab."""
        if job_id != self.shown_id:
            self.show_job(job_id)
        self.setCurrentWidget(self.log_view)

    def shown_summary(self) -> JobSummary | None:
        """The job shown, as the table (or store) knows it, else as last described."""
        if not self.shown_id:
            return None
        known = self._status_of(self.shown_id)
        if known is not None:
            return known
        detail = self.details.detail
        return detail.summary if detail is not None and detail.job_id == self.shown_id else None

    async def refresh_shown(self) -> None:
        """Describe the shown job again (a poll); start reading its log if it now has one."""
        if not self.shown_id:
            return
        job_id = self.shown_id
        detail = await self.refresh(job_id)
        if detail is None or job_id != self.shown_id:
            return
        if not self._reading() and detail.log_stream and (self.log is None or self.log.reader is None):
            self._follow(job_id, "Read job log")
        if detail.is_array_parent:
            children = await self._jobs.children(job_id)
            if self.details.detail is not None and self.details.detail.job_id == job_id:
                self.details.set_children(children)

    @property
    def opened_from_details(self) -> bool:
        """Details show a job opened from a link (a child, a dependency), not the table's current row."""
        return bool(self.shown_id) and self.shown_id != self._row_job

    def show_known(self, job_id: str) -> None:
        """The table's current row is this job: show it (what the table knows first)."""
        if job_id == self._row_job and self.shown_id and self.shown_id != job_id:
            return  # the same row again after a refresh moved it: the job opened from Details stays
        self._row_job = job_id
        known = self._model.detail(job_id)
        if known is not None:
            self.show_detail(known)
        self.show_job(job_id)

    async def _load(self, job_id: str) -> None:
        detail = await self.refresh(job_id)
        if detail is None or job_id != self.shown_id:
            return
        self._start_log(detail)
        if detail.is_array_parent:
            children = await self._jobs.children(job_id)
            if self.details.detail is not None and self.details.detail.job_id == job_id:
                self.details.set_children(children)

    async def refresh(self, job_id: str) -> JobDetail | None:
        """Describe the job again and show it; None (and a message) when it no longer exists."""
        found = await self._jobs.describe([job_id])
        if self.shown_id and job_id != self.shown_id:
            return found[0] if found else None  # another job was chosen meanwhile: leave it shown
        if not found:
            self.details.show_message(
                f"Job {job_id} no longer exists: AWS Batch keeps finished jobs for about 7 days. "
                "Press F5 to list the queue again."
            )
            self.raw_json.clear()
            return None
        detail = found[0]
        if self._model.job(job_id) is not None:
            self._model.set_details([detail])
        self.show_detail(detail)
        return detail

    def show_detail(self, detail: JobDetail) -> None:
        self.details.show_detail(detail)
        self.raw_json.setPlainText(json.dumps(detail.raw, indent=2, default=str, sort_keys=True))

    def clear(self) -> None:
        self.cancel()
        self.shown_id = ""
        self.details.show_message("")
        self.log_view.clear()
        self.raw_json.clear()

    def cancel(self) -> None:
        for task in (self._detail_task, self._log_task):
            if task is not None and not task.done():
                task.cancel()

    # --- the log ------------------------------------------------------------------------------
    def _reading(self) -> bool:
        return self._log_task is not None and not self._log_task.done()

    def _start_log(self, detail: JobDetail) -> None:
        same_job = self.log is not None and self.log.job_id == detail.job_id
        if same_job and self._reading():
            return  # already reading this job's log
        if self._reading():
            assert self._log_task is not None
            self._log_task.cancel()
        if not same_job:
            self.log_view.clear()
            self._log_status = None
            self._set_follow(self.follow_default(detail.job_id, detail.status))
        if detail.is_array_parent:
            self.log = None
            self.log_view.set_state(ARRAY_PARENT_LOG)
            return
        self._follow(detail.job_id, "Read job log")

    def follow_default(self, job_id: str, described: JobStatus) -> bool:
        """Follow while the job has not finished, unless the person set Follow for this job."""
        if job_id in self._follow_choice:
            return self._follow_choice[job_id]
        status = self._current_status(job_id, described)
        return status is not None and not status.is_terminal

    def _current_status(self, job_id: str, described: JobStatus | None) -> JobStatus | None:
        known = self._status_of(job_id)
        return later_status(described, known.status if known is not None else None)

    def _set_follow(self, on: bool) -> None:
        self.log_view.follow_box.blockSignals(True)
        self.log_view.set_following(on)
        self.log_view.follow_box.blockSignals(False)

    def _follow(self, job_id: str, what: str) -> None:
        def job_finished() -> bool:
            job = self._status_of(job_id)
            return job is not None and job.status.is_terminal

        def job_status() -> JobStatus | None:
            job = self._status_of(job_id)
            return job.status if job is not None else None

        hooks = LogHooks(
            self.log_view.add_page,
            self._show_log_state,
            lambda: self.log_view.following,
            job_finished,
            job_status,
            self.log_view.set_pages,
        )
        self.log = self._jobs.follow_log(job_id, hooks, LOG_POLL_S)
        self._log_task = self._spawn(self.log.run(), what)

    def _show_log_state(self, status: LogStatus) -> None:
        self._log_status = status
        shown = status
        if status.state is LogState.NOT_STARTED and self.log is not None:
            now = self._current_status(self.log.job_id, status.job_status)
            shown = LogStatus(status.state, status.group, status.stream, now)
        self.log_view.set_state(log_state_text(shown, self.log_view.following))

    def status_changed(self) -> None:
        """The table's rows changed: the log's state line follows; a job that has started since
        the log was looked for gets its log read (it has a stream now)."""
        status = self._log_status
        if status is None or self.log is None or status.state is not LogState.NOT_STARTED:
            return
        now = self._current_status(self.log.job_id, status.job_status)
        started = now is not None and (now is JobStatus.RUNNING or now.is_terminal)
        if started and now is not status.job_status and not self._reading():
            self._follow(self.log.job_id, "Read job log")
        self._show_log_state(status)

    def _back_to_tail(self) -> None:
        """The view left a search result's page for the end: read the newest page again."""
        reader = self.log.reader if self.log is not None else None
        if reader is None:
            return
        reader.restart()
        if not self._reading():
            self._log_task = self._spawn(reader.run(False), "Read job log")

    def _follow_toggled(self, on: bool) -> None:
        job_id = self.shown_id
        if not job_id:
            job = self._current_job()
            job_id = job.job_id if job is not None else ""
        if job_id:
            self._follow_choice[job_id] = on
        if not on or not job_id or self._reading() or not self._jobs.connected:
            return
        shown = self.details.detail
        if shown is not None and shown.job_id == job_id and shown.is_array_parent:
            return  # no log of its own
        if self.log is not None and self.log.job_id == job_id and self.log.reader is not None:
            self._log_task = self._spawn(self.log.run(), "Follow log")  # reads on from where it stopped
        else:
            self._follow(job_id, "Follow log")
