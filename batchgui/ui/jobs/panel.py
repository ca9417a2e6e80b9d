"""Jobs: find, inspect, follow, submit, cancel/terminate — built for queues of 100,000 jobs.

The table is a JobsTableModel fed page by page while ListJobs streams in; the details pane is filled
from DescribeJobs for the selected job only; the visible rows are described (100 ids per call) for
the columns ListJobs does not give (attempts, platform, array progress). While the panel is visible
a live poll lists the active statuses and the jobs created since the last poll, instead of
reloading everything.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabBar,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from batchgui.aws.batch import JobFilters, StopResult
from batchgui.aws.logs import LogEvent
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.job_detail import JobDetail, resubmit_request
from batchgui.services.connections import Backend
from batchgui.services.jobs import JobsService, LiveState
from batchgui.services.log_follower import LogFollower, LogState
from batchgui.ui.dialogs import confirm
from batchgui.ui.jobs.details import JobDetailsView
from batchgui.ui.jobs.log_view import LogView
from batchgui.ui.jobs.model import JobsTableModel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog, apply_overrides, load_platforms
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.forms import error_text
from batchgui.ui.widgets.panel import (
    Panel,
    PanelServices,
    make_table_view,
    monospace_font,
    write_text,
)

ALL_QUEUES = "All queues"
DESCRIBE_VISIBLE_DELAY_MS = 250
# While a big queue loads, the rows listed so far are moved out of the garbage collector's way
# every this many rows (see freeze_long_lived); small listings never touch the collector.
FREEZE_EVERY_ROWS = 5_000
FILTER_MIN_WIDTH = 160
CANCELLABLE = (JobStatus.SUBMITTED, JobStatus.PENDING, JobStatus.RUNNABLE)


@dataclass
class SubmitOutcome:
    job_id: str = ""
    name: str = ""
    error: str = ""


def freeze_long_lived() -> None:
    """Keep Python's full garbage collections short while big tables load.

    Python 3.11's full collection walks every tracked object with the GIL held; with 100,000 job
    rows next to the ~300,000 objects of the app itself (imported modules, botocore's models, Qt
    wrappers) each one took 150-250 ms here, the longest event-loop stalls of a load. What is alive
    at these points lives long (modules, widgets, loaded rows), so it goes to the permanent
    generation (gc.freeze: constant time) and later collections walk only what is newer. Rows are
    still freed by reference counting when the table is cleared: they hold no reference cycles. A
    young-generation collection first (a few ms) keeps fresh cyclic garbage out of the freeze; only
    loads of thousands of rows freeze at all, so small listings leave the collector alone.
    """
    gc.collect(1)
    gc.freeze()


class JobsPanel(Panel):
    panel_id = "jobs"
    title = "Jobs"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.jobs = JobsService(services.runner)
        self.model = JobsTableModel(self)
        self._queues: list[str] = []
        self._selected_queues: set[str] = set()
        self._live = LiveState()
        self._loaded_once = False
        self._detail_task: asyncio.Task[Any] | None = None
        self._log_task: asyncio.Task[Any] | None = None
        self._poll_task: asyncio.Task[Any] | None = None
        self._describing: set[str] = set()
        self.last_stop_results: list[StopResult] = []
        self.last_submits: list[SubmitOutcome] = []
        self.last_load_seconds = 0.0
        self.log_follower: LogFollower | None = None
        self._build()

    # --- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.queue_button = QToolButton()
        self.queue_button.setObjectName("jobsQueues")
        self.queue_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.queue_menu = QMenu(self)
        self.queue_button.setMenu(self.queue_menu)
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setObjectName("jobsNamePrefix")
        self.prefix_edit.setPlaceholderText("Name starts with… (searched by AWS)")
        self.prefix_edit.setClearButtonEnabled(True)
        self.prefix_edit.returnPressed.connect(self.refresh)
        self.after_box = QCheckBox("Created after")
        self.after_edit = QDateTimeEdit(QDateTime.currentDateTime().addDays(-1))
        self.before_box = QCheckBox("before")
        self.before_edit = QDateTimeEdit(QDateTime.currentDateTime())
        for edit in (self.after_edit, self.before_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setToolTip("Creation time range, searched by AWS (ListJobs filters)")
        self.search_button = QPushButton("Search")
        self.search_button.setToolTip("List the jobs again with the name prefix and dates (Enter)")
        self.search_button.clicked.connect(self.refresh)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("jobsFilter")
        self.filter_edit.setPlaceholderText("Filter name / id / definition (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.model.set_filter_text)
        top = QHBoxLayout()
        top.addWidget(self.queue_button)
        top.addWidget(self.prefix_edit, 1)
        top.addWidget(self.after_box)
        top.addWidget(self.after_edit)
        top.addWidget(self.before_box)
        top.addWidget(self.before_edit)
        top.addWidget(self.search_button)

        self.submit_button = QPushButton("Submit…")
        # Ctrl+N is the window's New CSV submission; "create" in a panel is Ctrl+Shift+N everywhere.
        self.submit_button.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.submit_button.setToolTip("Submit a job (Ctrl+Shift+N)")
        self.submit_button.clicked.connect(lambda: self.spawn(self.submit_new(), "Submit job"))
        self.clone_button = QPushButton("Clone…")
        self.clone_button.setToolTip("Submit a copy of the selected job, edited first")
        self.clone_button.clicked.connect(lambda: self.spawn(self.clone_selected(), "Clone job"))
        self.resubmit_button = QPushButton("Resubmit…")
        self.resubmit_button.setToolTip("Submit the selected FAILED jobs again, with edited overrides")
        self.resubmit_button.clicked.connect(lambda: self.spawn(self.resubmit_selected(), "Resubmit jobs"))
        self.cancel_button = QPushButton("Cancel…")
        self.cancel_button.setToolTip("Cancel selected jobs that have not started")
        self.cancel_button.clicked.connect(lambda: self.spawn(self.stop_selected(False), "Cancel jobs"))
        self.terminate_button = QPushButton("Terminate…")
        self.terminate_button.setToolTip("Terminate the selected jobs (Delete)")
        self.terminate_button.clicked.connect(lambda: self.spawn(self.stop_selected(True), "Terminate jobs"))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List again (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.stop_load_button = QPushButton("Stop")
        self.stop_load_button.setToolTip("Stop listing (what arrived stays)")
        self.stop_load_button.clicked.connect(self.stop_loading)
        self.stop_load_button.hide()
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the jobs shown to a CSV file")
        self.export_button.clicked.connect(self.export_csv)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(90)
        self.progress.hide()
        self.count_label = QLabel()
        self.count_label.setObjectName("jobsCount")
        actions = QHBoxLayout()
        for button in (
            self.submit_button,
            self.clone_button,
            self.resubmit_button,
            self.cancel_button,
            self.terminate_button,
        ):
            actions.addWidget(button)
        # The filter box takes the free middle of the action row: wide at any window size, and the
        # status tabs below keep the whole width for their counts (SUCCEEDED (90,000)…).
        actions.addSpacing(12)
        actions.addWidget(self.filter_edit, 1)
        actions.addWidget(self.count_label)
        actions.addWidget(self.progress)
        actions.addWidget(self.stop_load_button)
        actions.addWidget(self.refresh_button)
        actions.addWidget(self.export_button)

        self.status_tabs = QTabBar()
        self.status_tabs.setObjectName("jobsStatusTabs")
        self.status_tabs.setExpanding(False)
        self.status_tabs.addTab("All")
        for status in JobStatus:
            self.status_tabs.addTab(status.value)
        self.status_tabs.currentChanged.connect(self._status_tab_changed)

        self.table = self._make_table()
        self.details = JobDetailsView()
        self.details.job_clicked.connect(self.show_job)
        self.log_view = LogView()
        self.log_view.follow_changed.connect(self._follow_toggled)
        self.log_view.save_requested.connect(self._save_log)
        self.raw_json = QPlainTextEdit()
        self.raw_json.setReadOnly(True)
        self.raw_json.setFont(monospace_font())
        self.details_tabs = QTabWidget()
        self.details_tabs.addTab(self.details, "Details")
        self.details_tabs.addTab(self.log_view, "Log")
        self.details_tabs.addTab(self.raw_json, "JSON")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(actions)
        tabs_row = QHBoxLayout()
        tabs_row.addWidget(self.status_tabs)
        tabs_row.addStretch(1)
        layout.addLayout(tabs_row)
        layout.addWidget(self.splitter, 1)

        self.model.counts_changed.connect(self._update_counts)
        self.model.rows_changed.connect(self._schedule_describe_visible)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._schedule_describe_visible)
        self._describe_timer = QTimer(self)
        self._describe_timer.setSingleShot(True)
        self._describe_timer.setInterval(DESCRIBE_VISIBLE_DELAY_MS)
        self._describe_timer.timeout.connect(self._describe_visible)
        # Narrow windows squeeze the toolbars instead of pushing the window wider than the screen.
        for row in (top, actions, tabs_row):
            for number in range(row.count()):
                item = row.itemAt(number)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.setMinimumWidth(16)
        # ...but the filter box keeps room to type in; the tabs scroll when they must.
        self.filter_edit.setMinimumWidth(FILTER_MIN_WIDTH)
        self.status_tabs.setUsesScrollButtons(True)
        self._add_shortcuts()
        self._rebuild_queue_menu()
        self._update_counts()

    def _make_table(self) -> QTableView:
        view = make_table_view(self.model, "jobsTable", [c.width for c in self.model.columns])
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        return view

    def _add_shortcuts(self) -> None:
        copy = QAction("Copy job id", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(self.copy_ids)
        self.table.addAction(copy)
        terminate = QAction("Terminate", self)
        terminate.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        terminate.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        terminate.triggered.connect(self.terminate_button.click)
        self.table.addAction(terminate)

    # --- queues, filters, status tabs ---------------------------------------------------------
    def _rebuild_queue_menu(self) -> None:
        self.queue_menu.clear()
        everything = self.queue_menu.addAction(ALL_QUEUES)
        everything.setCheckable(True)
        everything.setChecked(not self._selected_queues)
        everything.triggered.connect(lambda: self.select_queues([]))
        self.queue_menu.addSeparator()
        for queue in self._queues:
            action = self.queue_menu.addAction(queue)
            action.setCheckable(True)
            action.setChecked(queue in self._selected_queues)
            action.triggered.connect(lambda checked, q=queue: self._toggle_queue(q, checked))
        chosen = sorted(self._selected_queues)
        if not chosen:
            self.queue_button.setText("Queues: all")
        elif len(chosen) == 1:
            self.queue_button.setText(f"Queue: {chosen[0]}")
        else:
            self.queue_button.setText(f"Queues: {len(chosen)}")

    def _toggle_queue(self, queue: str, checked: bool) -> None:
        chosen = set(self._selected_queues)
        if checked:
            chosen.add(queue)
        else:
            chosen.discard(queue)
        self.select_queues(sorted(chosen))

    def select_queues(self, queues: Sequence[str]) -> None:
        """Show these queues' jobs (none: every queue) and list them again."""
        self._selected_queues = set(queues)
        self._rebuild_queue_menu()
        self.model.clear()
        self.refresh()

    def queues_to_list(self) -> list[str]:
        return sorted(self._selected_queues) if self._selected_queues else list(self._queues)

    def filters(self) -> JobFilters:
        def ms(edit: QDateTimeEdit) -> int:
            return int(edit.dateTime().toMSecsSinceEpoch())

        return JobFilters(
            name_prefix=self.prefix_edit.text().strip(),
            created_after_ms=ms(self.after_edit) if self.after_box.isChecked() else None,
            created_before_ms=ms(self.before_edit) if self.before_box.isChecked() else None,
        )

    def set_status_tab(self, status: JobStatus | None) -> None:
        self.status_tabs.setCurrentIndex(0 if status is None else list(JobStatus).index(status) + 1)

    def _status_tab_changed(self, index: int) -> None:
        self.model.set_status_filter(None if index <= 0 else list(JobStatus)[index - 1])
        self._update_counts()

    def _update_counts(self) -> None:
        counts = self.model.counts()
        self.status_tabs.setTabText(0, f"All ({self.model.total():,})")
        for number, status in enumerate(JobStatus, 1):
            self.status_tabs.setTabText(number, f"{status.value} ({counts[status]:,})")
        shown, total = self.model.rowCount(), self.model.total()
        self.count_label.setText(f"{shown:,} of {total:,} jobs" if shown != total else f"{total:,} jobs")

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # --- loading ------------------------------------------------------------------------------
    async def load(self) -> None:
        backend = self.backend
        assert backend is not None  # refresh() loads only while connected
        queues = await self.services.runner.run(backend.batch.describe_job_queues)
        names = sorted(q.name for q in queues)
        if names != self._queues:
            self._queues = names
            self._selected_queues &= set(names)
            self._rebuild_queue_menu()
        self.model.clear()
        self._live = LiveState()
        live = self._live
        newest = [0]
        since_freeze = [0]

        def on_page(rows: list[JobSummary]) -> None:
            # What the live poll needs, gathered page by page rather than over 100,000 rows at the end.
            live.active_ids.update(j.job_id for j in rows if not j.status.is_terminal)
            newest[0] = max(newest[0], max((j.created_at or 0 for j in rows), default=0))
            self.model.upsert(rows)
            since_freeze[0] += len(rows)
            if since_freeze[0] >= FREEZE_EVERY_ROWS:
                since_freeze[0] = 0
                freeze_long_lived()

        self.progress.show()
        self.stop_load_button.show()
        try:
            result = await self.jobs.load(backend, self.queues_to_list(), on_page, self.filters())
            self.last_load_seconds = result.seconds
        finally:
            self.progress.hide()
            self.stop_load_button.hide()
            self.model.flush()
        if since_freeze[0] and self.model.total() >= FREEZE_EVERY_ROWS:
            freeze_long_lived()
        live.newest_created_ms = newest[0] or None
        self._loaded_once = True
        self._select_first_if_none()

    def stop_loading(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()

    def _auto_refresh_tick(self) -> None:
        """While visible: a live poll (active statuses + new jobs), not a full reload."""
        backend = self.backend
        if backend is None or not self._loaded_once:
            return
        if self._loading is not None and not self._loading.done():
            return
        if self._poll_task is not None and not self._poll_task.done():
            return
        self._poll_task = self.spawn(self.poll_now(backend), "Update job states")

    async def poll_now(self, backend: Backend | None = None) -> None:
        backend = backend or self.backend
        if backend is None:
            return
        await self.jobs.poll(backend, self.queues_to_list(), self._live, self.model.upsert)
        current = self.current_job()
        if current is not None:
            await self._refresh_detail(current.job_id, backend)

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        self._cancel_job_tasks()
        self._loaded_once = False
        self._queues = []
        self._selected_queues = set()
        self._rebuild_queue_menu()
        self.model.clear()
        self.details.show_message("")
        self.log_view.clear()
        self.raw_json.clear()

    def _cancel_job_tasks(self) -> None:
        for task in (self._detail_task, self._log_task, self._poll_task):
            if task is not None and not task.done():
                task.cancel()

    def _select_first_if_none(self) -> None:
        if not self.table.selectionModel().currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)

    # --- visible rows: DescribeJobs for the columns ListJobs does not give ---------------------
    def _schedule_describe_visible(self) -> None:
        if not self._describe_timer.isActive():
            self._describe_timer.start()

    def visible_job_ids(self) -> list[str]:
        if not self.model.rowCount():
            return []
        first = max(0, self.table.rowAt(0))
        last = self.table.rowAt(self.table.viewport().height() - 1)
        if last < 0:
            last = min(self.model.rowCount() - 1, first + 60)
        ids = []
        for row in range(first, last + 1):
            job = self.model.job_at(self.model.index(row, 0))
            if job is not None:
                ids.append(job.job_id)
        return ids

    def _describe_visible(self) -> None:
        backend = self.backend
        if backend is None:
            return
        wanted = []
        for job_id in self.visible_job_ids():
            detail, job = self.model.detail(job_id), self.model.job(job_id)
            if job_id in self._describing or job is None:
                continue
            if detail is None or detail.status is not job.status:
                wanted.append(job_id)
        if wanted:
            self._describing.update(wanted)
            self.spawn(self._describe_ids(backend, wanted), "Describe visible jobs")

    async def _describe_ids(self, backend: Backend, ids: list[str]) -> None:
        try:
            self.model.set_details(await self.jobs.describe(backend, ids))
        finally:
            self._describing.difference_update(ids)

    # --- the selected job ---------------------------------------------------------------------
    def current_job(self) -> JobSummary | None:
        return self.model.job_at(self.table.selectionModel().currentIndex())

    def selected_jobs(self) -> list[JobSummary]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        jobs = [self.model.job_at(self.model.index(r, 0)) for r in rows]
        return [j for j in jobs if j is not None]

    def show_job(self, job_id: str) -> None:
        """Select a job in the table (clearing filters that hide it), or show it alone."""
        row = self.model.row_of(job_id)
        if row < 0 and self.model.job(job_id) is not None:
            self.filter_edit.clear()
            self.set_status_tab(None)
            row = self.model.row_of(job_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
            return
        backend = self.backend
        if backend is not None:
            self._show_detail_for(job_id, backend)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        job = self.model.job_at(current)
        backend = self.backend
        if job is None or backend is None:
            return
        detail = self.model.detail(job.job_id)
        if detail is not None:
            self._show_detail(detail)
        self._show_detail_for(job.job_id, backend)

    def _show_detail_for(self, job_id: str, backend: Backend) -> None:
        if self._detail_task is not None and not self._detail_task.done():
            self._detail_task.cancel()
        self._detail_task = self.spawn(self._load_detail(job_id, backend), "Describe job")

    async def _load_detail(self, job_id: str, backend: Backend) -> None:
        detail = await self._refresh_detail(job_id, backend)
        if detail is None:
            return
        self._start_log(detail, backend)
        if detail.is_array_parent:
            children = await self.jobs.children(backend, job_id)
            if self.details.detail is not None and self.details.detail.job_id == job_id:
                self.details.set_children(children)

    async def _refresh_detail(self, job_id: str, backend: Backend) -> JobDetail | None:
        found = await self.jobs.describe(backend, [job_id])
        if not found:
            self.details.show_message(
                f"Job {job_id} no longer exists: AWS Batch keeps finished jobs for about 7 days. "
                "Press F5 to list the queue again."
            )
            self.raw_json.clear()
            return None
        detail = found[0]
        if self.model.job(job_id) is not None:
            self.model.set_details([detail])
        self._show_detail(detail)
        return detail

    def _show_detail(self, detail: JobDetail) -> None:
        self.details.show_detail(detail)
        self.raw_json.setPlainText(json.dumps(detail.raw, indent=2, default=str, sort_keys=True))

    # --- logs ---------------------------------------------------------------------------------
    def _start_log(self, detail: JobDetail, backend: Backend) -> None:
        following = self.log_follower
        if (
            following is not None
            and self._log_task is not None
            and not self._log_task.done()
            and following.stream == detail.log_stream
        ):
            return  # already following this job's stream
        if self._log_task is not None and not self._log_task.done():
            self._log_task.cancel()
        self.log_view.clear()
        self.log_follower = None
        self._log_task = self.spawn(self._follow_log(detail.job_id, backend), "Read job log")

    async def _follow_log(self, job_id: str, backend: Backend) -> None:
        interval = 1.0
        while True:
            found = await self.jobs.describe(backend, [job_id])
            if not found:
                self.log_view.set_state("This job no longer exists.")
                return
            detail = found[0]
            if detail.log_stream:
                break
            self.log_view.set_state(
                f"No log yet: the job is {detail.status.value}. Its log stream is created when it starts"
                + (" — following." if self.log_view.following else "; tick Follow to wait for it.")
            )
            if detail.status.is_terminal or not self.log_view.following:
                return
            await asyncio.sleep(interval)
        group = await self.jobs.log_group(backend, detail)
        final = {"done": detail.status.is_terminal}

        def finished() -> bool:
            job = self.model.job(job_id)
            return (
                final["done"] or (job is not None and job.status.is_terminal) or not self.log_view.following
            )

        def on_state(state: LogState) -> None:
            where = f"{group} : {detail.log_stream}"
            if state is LogState.NO_STREAM:
                self.log_view.set_state(f"No log yet in {where}: the job has written nothing so far.")
            elif state is LogState.FOLLOWING:
                self.log_view.set_state(f"Following {where}")
            else:
                self.log_view.set_state(where)

        self.log_follower = LogFollower(
            self.services.runner,
            backend.logs,
            group,
            detail.log_stream,
            self._append_log,
            on_state=on_state,
            interval_s=interval,
        )
        await self.log_follower.run(self.log_view.following, finished)

    def _append_log(self, events: list[LogEvent]) -> None:
        self.log_view.append_events((e.timestamp_ms, e.message) for e in events)

    def _follow_toggled(self, on: bool) -> None:
        backend, job = self.backend, self.current_job()
        if (
            on
            and backend is not None
            and job is not None
            and (self._log_task is None or self._log_task.done())
        ):
            follower = self.log_follower
            if follower is not None:
                self._log_task = self.spawn(
                    follower.run(True, lambda: not self.log_view.following), "Follow log"
                )
            else:
                self._log_task = self.spawn(self._follow_log(job.job_id, backend), "Follow log")

    def _save_log(self, path: Path, text: str) -> None:
        self.spawn(self.services.runner.run(write_text, path, text), "Save log")

    # --- actions ------------------------------------------------------------------------------
    def copy_ids(self) -> None:
        jobs = self.selected_jobs()
        if jobs:
            QGuiApplication.clipboard().setText("\n".join(j.job_id for j in jobs))

    def copy_arns(self) -> None:
        jobs = self.selected_jobs()
        if jobs:
            QGuiApplication.clipboard().setText("\n".join(j.job_arn or j.job_id for j in jobs))

    async def _definition_names(self, backend: Backend) -> list[str]:
        definitions = await self.services.runner.run(backend.batch.describe_job_definitions, "ACTIVE")
        latest: dict[str, int] = {}
        for d in definitions:
            latest[d.name] = max(latest.get(d.name, 0), d.revision)
        return sorted(latest)

    async def make_submit_dialog(self, resubmit_count: int = 0) -> SubmitJobDialog:
        backend = self.backend
        definitions = await self._definition_names(backend) if backend is not None else []
        # Queue and definition platforms (Fargate or EC2): the dialog proposes and accepts only pairs
        # AWS Batch can run.
        platforms = await load_platforms(self.services.runner, backend.batch) if backend is not None else None
        dialog = SubmitJobDialog(
            self._queues, definitions, self, resubmit_count=resubmit_count, platforms=platforms
        )
        if self._selected_queues:
            dialog.select_queue(sorted(self._selected_queues)[0])
        return dialog

    async def submit_new(self, prefill: dict[str, Any] | None = None) -> list[SubmitOutcome]:
        dialog = await self.make_submit_dialog()
        if prefill:
            dialog.prefill(prefill)
        try:
            if not await dialog.ask():
                return []
            return await self._submit_all([dialog.request()])
        finally:
            dialog.deleteLater()

    async def clone_selected(self) -> list[SubmitOutcome]:
        backend, job = self.backend, self.current_job()
        if backend is None or job is None:
            return []
        found = await self.jobs.describe(backend, [job.job_id])
        if not found:
            self.details.show_message(f"Job {job.job_id} no longer exists, so it cannot be cloned.")
            return []
        return await self.submit_new(resubmit_request(found[0]))

    async def resubmit_selected(self) -> list[SubmitOutcome]:
        backend = self.backend
        failed = [j for j in self.selected_jobs() if j.status is JobStatus.FAILED]
        if backend is None or not failed:
            self._tell("Resubmit", "Select one or more FAILED jobs to resubmit.")
            return []
        details = await self.jobs.describe(backend, [j.job_id for j in failed])
        if not details:
            return []
        dialog = await self.make_submit_dialog(resubmit_count=len(details))
        dialog.prefill(resubmit_request(details[0]))
        try:
            if not await dialog.ask():
                return []
            overrides = dialog.overrides([])
            return await self._submit_all([apply_overrides(resubmit_request(d), overrides) for d in details])
        finally:
            dialog.deleteLater()

    async def _submit_all(self, requests: list[dict[str, Any]]) -> list[SubmitOutcome]:
        backend = self.backend
        if backend is None:
            return []
        outcomes: list[SubmitOutcome] = []
        for request in requests:
            try:
                submitted = await self.jobs.submit(backend, request)
                outcomes.append(SubmitOutcome(submitted.job_id, submitted.job_name))
            except BatchGuiError as error:
                outcomes.append(SubmitOutcome(name=str(request.get("jobName", "")), error=error_text(error)))
        self.last_submits = outcomes
        ok = [o for o in outcomes if not o.error]
        if ok:
            details = await self.jobs.describe(backend, [o.job_id for o in ok])
            self.model.upsert(d.summary for d in details)
            self.model.set_details(details)
            self._live.active_ids.update(o.job_id for o in ok)
            self.model.flush()
            if len(ok) == 1:
                self.show_job(ok[0].job_id)
        failed = [o for o in outcomes if o.error]
        if failed or len(outcomes) > 1:
            lines = [f"{o.name}: {o.job_id}" for o in ok] + [f"{o.name}: {o.error}" for o in failed]
            self._tell(
                "Submit",
                f"{len(ok)} submitted, {len(failed)} failed.",
                "\n".join(lines),
                warn=bool(failed),
            )
        return outcomes

    async def stop_selected(self, terminate: bool) -> list[StopResult]:
        backend = self.backend
        jobs = self.selected_jobs()
        if not terminate:
            jobs = [j for j in jobs if j.status in CANCELLABLE]
        else:
            jobs = [j for j in jobs if not j.status.is_terminal]
        verb = "Terminate" if terminate else "Cancel"
        if backend is None or not jobs:
            self._tell(
                verb,
                "Select jobs that have not finished."
                if terminate
                else "Select SUBMITTED, PENDING or RUNNABLE jobs (running jobs need Terminate).",
            )
            return []
        names = ", ".join(j.name for j in jobs[:5]) + (f" and {len(jobs) - 5} more" if len(jobs) > 5 else "")
        what = "running jobs are stopped" if terminate else "jobs that have not started are removed"
        if not await confirm(self, f"{verb} jobs", f"{verb} {len(jobs)} job(s)? {what}.\n\n{names}", verb):
            return []
        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        self.progress.show()

        def progress(done: int, total: int) -> None:
            self.progress.setValue(done)

        try:
            results = await self.jobs.stop(
                backend, [j.job_id for j in jobs], f"{verb}ed from batchgui", terminate, progress
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
        self.spawn(self.poll_now(backend), "Update job states")
        return results

    def _tell(self, title: str, text: str, details: str = "", warn: bool = False) -> None:
        box = QMessageBox(self)
        box.setObjectName("jobsResult")
        box.setIcon(QMessageBox.Icon.Warning if warn else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- export, menus, state -----------------------------------------------------------------
    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        columns = self.model.columns
        writer.writerow([c.title for c in columns])
        for job in self.model.visible_jobs():
            detail = self.model.detail(job.job_id)
            writer.writerow([c.text(job, detail) for c in columns])
        return out.getvalue()

    def export_csv(self) -> None:
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M")
        path, _ = QFileDialog.getSaveFileName(self, "Export jobs", f"jobs-{stamp}.csv", "CSV (*.csv)")
        if path:
            self.export_csv_to(Path(path))

    def export_csv_to(self, path: Path) -> asyncio.Task[Any]:
        return self.spawn(self.services.runner.run(write_text, path, self.csv_text()), "Export jobs")

    def _context_menu(self, position: QPoint) -> None:
        if not self.selected_jobs():
            return
        menu = QMenu(self)
        menu.addAction("Copy job id", self.copy_ids)
        menu.addAction("Copy ARN", self.copy_arns)
        menu.addSeparator()
        menu.addAction("Clone…", self.clone_button.click)
        menu.addAction("Resubmit failed…", self.resubmit_button.click)
        menu.addAction("Cancel…", self.cancel_button.click)
        menu.addAction("Terminate…", self.terminate_button.click)
        menu.exec(self.table.viewport().mapToGlobal(position))

    def save_state(self, settings: AppSettings) -> None:
        settings.set_bytes_value(f"panels/{self.panel_id}/splitter", self.splitter.saveState())
        settings.set_bytes_value(f"panels/{self.panel_id}/header", self.table.horizontalHeader().saveState())
        settings.set_str_value(f"panels/{self.panel_id}/queues", ",".join(sorted(self._selected_queues)))

    def restore_state(self, settings: AppSettings) -> None:
        splitter = settings.bytes_value(f"panels/{self.panel_id}/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        header = settings.bytes_value(f"panels/{self.panel_id}/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        queues = settings.str_value(f"panels/{self.panel_id}/queues")
        self._selected_queues = {q for q in queues.split(",") if q}
        self._rebuild_queue_menu()
