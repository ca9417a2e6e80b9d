"""What the Jobs panel does to jobs: submit, clone, resubmit, retry failed children, cancel/terminate,
copy ids, open a job's log.

A mixin of JobsPanel: the flows ask the user (dialogs, confirmations) and call the jobs facade; the
facade submits and describes, stops in batches of 50, and says what each job's outcome was. The jobs
acted on are the selected rows — or the job Details shows when that is not the selected row (a child
opened from its parent's Details).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QProgressBar, QPushButton, QTableView, QWidget

from batchgui.domain.array_retry import (
    ORIGINAL_INDICES_VAR,
    can_retry_children,
    encode_indices,
    retry_prefill,
)
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_requests import StopResult, SubmitJobRequest
from batchgui.services import job_retry
from batchgui.services.jobs import JobsService, SubmitBatch, SubmitResult
from batchgui.ui.dialogs import confirm
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.inspector import JobInspector
from batchgui.ui.jobs.model import JobsTableModel
from batchgui.ui.jobs.runnable_pane import add_why_action
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog

CANCELLABLE = (JobStatus.SUBMITTED, JobStatus.PENDING, JobStatus.RUNNABLE)
NAMES_SHOWN = 5


def stop_candidates(jobs: list[JobSummary], terminate: bool) -> list[JobSummary]:
    """The jobs Cancel (not started yet) or Terminate (not finished) can act on."""
    if terminate:
        return [j for j in jobs if not j.status.is_terminal]
    return [j for j in jobs if j.status in CANCELLABLE]


class JobActions:
    """Mixed into JobsPanel (which provides the widgets and the state named below)."""

    jobs: JobsService
    model: JobsTableModel
    details: JobDetailsView
    inspector: JobInspector
    table: QTableView
    progress: QProgressBar
    clone_button: QPushButton
    resubmit_button: QPushButton
    cancel_button: QPushButton
    terminate_button: QPushButton
    last_stop_results: list[StopResult]
    last_submits: list[SubmitResult]
    _queues: list[str]
    _selected_queues: set[str]
    # Opens the "Why is it RUNNABLE?" pane for a job id (set by the composition root).
    on_why_runnable: Callable[[str], object] | None = None
    _loading: asyncio.Task[None] | None

    if TYPE_CHECKING:

        def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]: ...
        def selected_jobs(self) -> list[JobSummary]: ...
        def current_job(self) -> JobSummary | None: ...
        def show_job(self, job_id: str) -> None: ...
        async def poll_now(self) -> None: ...

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    # --- what is acted on ----------------------------------------------------------------------
    def action_targets(self) -> list[JobSummary]:
        """The selected rows, or the job Details shows when it is not one of them (a child opened
        from its parent's Details while its row is collapsed or not listed)."""
        selected = self.selected_jobs()
        shown = self.inspector.shown_summary()
        opened = shown is not None and self.inspector.opened_from_details
        if shown is not None and opened and all(job.job_id != shown.job_id for job in selected):
            return [shown]  # Details shows it because it was opened there, after the selection
        return selected

    def open_job(self, job_id: str, log: bool = False) -> None:
        """Show a job (or an array child) in this panel, on its Log tab with `log`.

        Opened from another panel before this one has listed its jobs, it is shown again once the
        listing is done (which otherwise selects the first row)."""
        self.show_job(job_id)
        if log:
            self.inspector.open_log(job_id)
        loading = self._loading
        if loading is not None and not loading.done():
            self.spawn(self._open_after(loading, job_id, log), "Open job")

    async def _open_after(self, loading: asyncio.Task[Any], job_id: str, log: bool) -> None:
        await asyncio.wait([loading])
        if self.inspector.shown_id != job_id:
            self.show_job(job_id)
        if log:
            self.inspector.open_log(job_id)

    def open_log_of_selected(self) -> None:
        targets = self.action_targets()
        if targets:
            self.open_job(targets[0].job_id, log=True)

    # --- copying ------------------------------------------------------------------------------
    def copy_ids(self) -> None:
        jobs = self.selected_jobs()
        if jobs:
            QGuiApplication.clipboard().setText("\n".join(j.job_id for j in jobs))

    def copy_arns(self) -> None:
        jobs = self.selected_jobs()
        if jobs:
            QGuiApplication.clipboard().setText("\n".join(j.job_arn or j.job_id for j in jobs))

    # --- submitting ---------------------------------------------------------------------------
    async def make_submit_dialog(self, resubmit_count: int = 0, retry_note: str = "") -> SubmitJobDialog:
        connected = self.jobs.connected
        definitions = await self.jobs.definition_names() if connected else []
        # Queue and definition platforms (Fargate or EC2): the dialog proposes and accepts only pairs
        # AWS Batch can run.
        platforms = await self.jobs.platforms() if connected else None
        dialog = SubmitJobDialog(
            self._queues,
            definitions,
            self._widget(),
            resubmit_count=resubmit_count,
            platforms=platforms,
            retry_note=retry_note,
        )
        if self._selected_queues:
            dialog.select_queue(sorted(self._selected_queues)[0])
        return dialog

    async def submit_new(self, prefill: SubmitJobRequest | None = None) -> list[SubmitResult]:
        dialog = await self.make_submit_dialog()
        if prefill is not None:
            dialog.prefill(prefill)
        try:
            if not await dialog.ask():
                return []
            return await self._submit_all([dialog.request()])
        finally:
            dialog.deleteLater()

    async def clone_selected(self) -> list[SubmitResult]:
        job = self.current_job()
        if not self.jobs.connected or job is None:
            return []
        found = await self.jobs.describe([job.job_id])
        if not found:
            self.details.show_message(f"Job {job.job_id} no longer exists, so it cannot be cloned.")
            return []
        return await self.submit_new(SubmitJobRequest.from_detail(found[0]))

    async def resubmit_selected(self) -> list[SubmitResult]:
        """FAILED jobs again with edited overrides; a failed array job (or failed children of one)
        goes to Retry failed children, which runs only the failed indices."""
        failed = [j for j in self.action_targets() if j.status is JobStatus.FAILED]
        if not self.jobs.connected or not failed:
            self._tell("Resubmit", "Select one or more FAILED jobs to resubmit.")
            return []
        arrays = {j.job_id for j in failed if j.array_size and j.array_index is None}
        children: dict[str, set[int]] = {}
        for job in failed:
            if job.array_index is not None:
                children.setdefault(job.job_id.rsplit(":", 1)[0], set()).add(job.array_index)
        if len(arrays | set(children)) == 1 and len(failed) == len(arrays) + sum(map(len, children.values())):
            parent_id = next(iter(arrays | set(children)))
            return await self.retry_failed_children(
                parent_id, None if parent_id in arrays else children[parent_id]
            )
        singles = [j for j in failed if j.job_id not in arrays and j.array_index is None]
        if not singles:
            self._tell("Resubmit", "Retry the failed children of one array job at a time.")
            return []
        details = await self.jobs.describe([j.job_id for j in singles])
        if not details:
            return []
        dialog = await self.make_submit_dialog(resubmit_count=len(details))
        dialog.prefill(SubmitJobRequest.from_detail(details[0]))
        try:
            if not await dialog.ask():
                return []
            edited = dialog.overrides([])
            requests = [SubmitJobRequest.from_detail(d).with_overrides(edited) for d in details]
            return await self._submit_all(requests)
        finally:
            dialog.deleteLater()

    async def retry_failed_children(
        self, parent_id: str | None = None, only: set[int] | None = None, ask: bool = True
    ) -> list[SubmitResult]:
        """A new job over only the FAILED children of a finished array (or `only` those indices):
        an array of them, or a single job for one; the overrides are edited first."""
        if parent_id is None:
            targets = self.action_targets()
            parent_id = targets[0].job_id.rsplit(":", 1)[0] if targets else ""
        if not self.jobs.connected or not parent_id:
            self._tell("Retry failed children", "Select a finished array job whose children failed.")
            return []
        source = await job_retry.prepare(self.jobs, parent_id, only)
        if not source.ok or source.parent is None:
            self._tell("Retry failed children", source.reason)
            return []
        count = len(source.failed)
        what = f"an array job of {count} children" if count > 1 else "a single job"
        note = (
            f"Runs {what} for the failed indices {encode_indices(source.failed)} of "
            f"{source.parent.summary.name} ({parent_id}). Each new job reads the index it stands for "
            f"from {ORIGINAL_INDICES_VAR} (position AWS_BATCH_JOB_ARRAY_INDEX, 0 for a single job). "
            "Edit what made them fail:"
        )
        dialog = await self.make_submit_dialog(retry_note=note)
        dialog.prefill(retry_prefill(source.parent))
        try:
            if ask and not await dialog.ask():
                return []
            plan = source.plan(dialog.overrides([]))
        finally:
            dialog.deleteLater()
        return self._show_submitted(await job_retry.submit(self.jobs, source, plan))

    async def _submit_all(self, requests: list[SubmitJobRequest]) -> list[SubmitResult]:
        if not self.jobs.connected:
            return []
        return self._show_submitted(await self.jobs.submit_all(requests))

    def _show_submitted(self, batch: SubmitBatch) -> list[SubmitResult]:
        self.last_submits = batch.results
        ok, failed = batch.accepted, batch.refused
        if batch.details:
            self.model.upsert(d.summary for d in batch.details)
            self.model.set_details(batch.details)
            self.model.flush()
        if len(ok) == 1:
            self.show_job(ok[0].job_id)
        if failed or len(batch.results) > 1:
            lines = [f"{r.name}: {r.job_id}" for r in ok] + [f"{r.name}: {r.error}" for r in failed]
            self._tell(
                "Submit",
                f"{len(ok)} submitted, {len(failed)} failed.",
                "\n".join(lines),
                warn=bool(failed),
            )
        return batch.results

    # --- cancel / terminate -------------------------------------------------------------------
    async def stop_selected(self, terminate: bool) -> list[StopResult]:
        return await self.stop_jobs(self.action_targets(), terminate)

    async def stop_jobs(self, chosen: list[JobSummary], terminate: bool) -> list[StopResult]:
        """Cancel or terminate these jobs (children included) after asking: 50 ids a call, and
        one result per job shown."""
        jobs = stop_candidates(chosen, terminate)
        verb = "Terminate" if terminate else "Cancel"
        if not self.jobs.connected or not jobs:
            self._tell(
                verb,
                "Select jobs that have not finished."
                if terminate
                else "Select SUBMITTED, PENDING or RUNNABLE jobs (running jobs need Terminate).",
            )
            return []
        more = len(jobs) - NAMES_SHOWN
        names = ", ".join(j.name for j in jobs[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")
        what = "running jobs are stopped" if terminate else "jobs that have not started are removed"
        question = f"{verb} {len(jobs)} job(s)? {what}.\n\n{names}"
        if not await confirm(self._widget(), f"{verb} jobs", question, verb):
            return []
        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        self.progress.show()

        def progress(done: int, total: int) -> None:
            self.progress.setValue(done)

        try:
            results = await self.jobs.stop(
                [j.job_id for j in jobs], f"{verb}ed from batchgui", terminate, progress
            )
        finally:
            self.progress.hide()
            self.progress.setRange(0, 0)
        self.last_stop_results = results
        failed = [r for r in results if not r.ok]
        ok = len(results) - len(failed)
        self._tell(
            verb,
            f"{verb}: {ok} of {len(results)} job(s) accepted"
            + (f", {len(failed)} refused." if failed else "."),
            "\n".join(f"{r.job_id}: {'ok' if r.ok else r.message}" for r in results),
            warn=bool(failed),
        )
        self.spawn(self.poll_now(), "Update job states")
        return results

    def _tell(self, title: str, text: str, details: str = "", warn: bool = False) -> None:
        box = QMessageBox(self._widget())
        box.setObjectName("jobsResult")
        box.setIcon(QMessageBox.Icon.Warning if warn else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _context_menu(self, position: QPoint) -> None:
        menu = self.context_menu()
        if menu is not None:
            menu.exec(self.table.viewport().mapToGlobal(position))

    def context_menu(self) -> QMenu | None:
        """The rows' right-click menu. What cannot act on the selected jobs is disabled, with the
        reason in its tooltip (Cancel and Terminate on finished jobs, Resubmit on jobs that did
        not fail)."""
        selected = self.selected_jobs()
        if not selected:
            return None
        menu = QMenu(self._widget())
        menu.setObjectName("jobsContextMenu")
        menu.setToolTipsVisible(True)
        menu.addAction("Open log", self.open_log_of_selected)
        menu.addAction("Copy job id", self.copy_ids)
        menu.addAction("Copy ARN", self.copy_arns)
        menu.addSeparator()
        menu.addAction("Clone…", self.clone_button.click)
        resubmit = menu.addAction("Resubmit failed…", self.resubmit_button.click)
        _enable_for(
            resubmit,
            any(j.status is JobStatus.FAILED for j in selected),
            "Only FAILED jobs can be resubmitted.",
        )
        retry = menu.addAction(
            "Retry failed children…",
            lambda: self.spawn(self.retry_failed_children(), "Retry failed children"),
        )
        _enable_for(
            retry,
            any(can_retry_children(j) for j in selected),
            "Only a finished array job with FAILED children.",
        )
        menu.addSeparator()
        cancel = menu.addAction("Cancel…", self.cancel_button.click)
        _enable_for(
            cancel,
            bool(stop_candidates(selected, terminate=False)),
            "Cancel removes jobs that have not started (SUBMITTED, PENDING, RUNNABLE); "
            "these have started or finished.",
        )
        terminate = menu.addAction("Terminate…", self.terminate_button.click)
        _enable_for(
            terminate,
            bool(stop_candidates(selected, terminate=True)),
            "These jobs have finished (SUCCEEDED or FAILED): there is nothing to terminate.",
        )
        add_why_action(menu, self.current_job(), self.on_why_runnable)
        return menu


def _enable_for(action: QAction, enabled: bool, reason: str) -> None:
    """Enable `action`, or disable it and say why in its tooltip (menus show it when hovered)."""
    action.setEnabled(enabled)
    action.setToolTip("" if enabled else reason)
