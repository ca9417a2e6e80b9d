"""The selected job, in three tabs: its details (DescribeJobs), its log, its raw JSON.

Showing a job describes it (only that one job), lists an array job's children, and starts reading its
log through the jobs facade's log following (`JobsService.follow_log`): this pane only shows the
lines and the state it is told.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QPlainTextEdit, QTabWidget, QWidget

from batchgui.domain.batch import JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.job_logs import LogEvent
from batchgui.services.jobs import JobsService
from batchgui.services.log_follower import JobLogFollow, LogHooks, LogState, LogStatus
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.log_view import LogView
from batchgui.ui.jobs.model import JobsTableModel
from batchgui.ui.widgets.panel import monospace_font

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]
LOG_POLL_S = 1.0


def log_state_text(status: LogStatus, following: bool) -> str:
    """The log tab's state line, in words."""
    where = f"{status.group} : {status.stream}"
    if status.state is LogState.GONE:
        return "This job no longer exists."
    if status.state is LogState.NOT_STARTED:
        job = status.job_status.value if status.job_status is not None else "not started"
        return f"No log yet: the job is {job}. Its log stream is created when it starts" + (
            " — following." if following else "; tick Follow to wait for it."
        )
    if status.state is LogState.NO_STREAM:
        return f"No log yet in {where}: the job has written nothing so far."
    if status.state is LogState.FOLLOWING:
        return f"Following {where}"
    return where


class JobInspector(QTabWidget):
    """Details / Log / JSON of one job; `show_job(job_id)` describes it and starts its log."""

    def __init__(
        self,
        jobs: JobsService,
        model: JobsTableModel,
        spawn: Spawn,
        current_job: Callable[[], JobSummary | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._model = model
        self._spawn = spawn
        self._current_job = current_job
        self._detail_task: asyncio.Task[Any] | None = None
        self._log_task: asyncio.Task[Any] | None = None
        self.log: JobLogFollow | None = None
        self.details = JobDetailsView()
        self.log_view = LogView()
        self.log_view.follow_changed.connect(self._follow_toggled)
        self.log_view.save_requested.connect(self._save_log)
        self.raw_json = QPlainTextEdit()
        self.raw_json.setReadOnly(True)
        self.raw_json.setFont(monospace_font())
        self.addTab(self.details, "Details")
        self.addTab(self.log_view, "Log")
        self.addTab(self.raw_json, "JSON")

    # --- the job ------------------------------------------------------------------------------
    def show_job(self, job_id: str) -> None:
        """Describe the job and show it (what the table knows of it first, if anything)."""
        if self._detail_task is not None and not self._detail_task.done():
            self._detail_task.cancel()
        self._detail_task = self._spawn(self._load(job_id), "Describe job")

    def show_known(self, job_id: str) -> None:
        known = self._model.detail(job_id)
        if known is not None:
            self.show_detail(known)
        self.show_job(job_id)

    async def _load(self, job_id: str) -> None:
        detail = await self.refresh(job_id)
        if detail is None:
            return
        self._start_log(detail)
        if detail.is_array_parent:
            children = await self._jobs.children(job_id)
            if self.details.detail is not None and self.details.detail.job_id == job_id:
                self.details.set_children(children)

    async def refresh(self, job_id: str) -> JobDetail | None:
        """Describe the job again and show it; None (and a message) when it no longer exists."""
        found = await self._jobs.describe([job_id])
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
        if self.log is not None and self._reading() and self.log.stream == detail.log_stream:
            return  # already following this job's stream
        if self._reading():
            assert self._log_task is not None
            self._log_task.cancel()
        self.log_view.clear()
        self._follow(detail.job_id, "Read job log")

    def _follow(self, job_id: str, what: str) -> None:
        def job_finished() -> bool:
            job = self._model.job(job_id)
            return job is not None and job.status.is_terminal

        hooks = LogHooks(
            self._append_log, self._show_log_state, lambda: self.log_view.following, job_finished
        )
        self.log = self._jobs.follow_log(job_id, hooks, LOG_POLL_S)
        self._log_task = self._spawn(self.log.run(), what)

    def _show_log_state(self, status: LogStatus) -> None:
        self.log_view.set_state(log_state_text(status, self.log_view.following))

    def _append_log(self, events: list[LogEvent]) -> None:
        self.log_view.append_events((e.timestamp_ms, e.message) for e in events)

    def _follow_toggled(self, on: bool) -> None:
        job = self._current_job()
        if not on or job is None or self._reading() or not self._jobs.connected:
            return
        if self.log is not None and self.log.reader is not None:
            self._log_task = self._spawn(self.log.run(), "Follow log")  # reads on from where it stopped
        else:
            self._follow(job.job_id, "Follow log")

    def _save_log(self, path: Path, text: str) -> None:
        self._spawn(self._jobs.save_text(path, text), "Save log")
