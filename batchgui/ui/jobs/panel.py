"""Jobs: find, inspect, follow, submit, cancel/terminate — built for queues of 100,000 jobs.

The table is a JobsTableModel fed page by page while ListJobs streams in; the details pane is filled
from DescribeJobs for the selected job only; the visible rows are described (100 ids per call) for
the columns ListJobs does not give (attempts, platform, array progress). Finished jobs come from the
local history first when it has the queue ("from history, synced 12:03"), then only what is new is
listed (services/jobs.py).

Live states come from the one job store (services/job_store.py): the panel subscribes to its change
sets and never polls on its own. An array parent shows its children's progress and expands into its
children (double-click or "Children"): they are real rows, so Cancel/Terminate act on the selected
children. F5 lists again without emptying the table, so selection and scroll stay.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import KeysView, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.job_requests import JobFilters, StopResult
from batchgui.domain.job_tracking import ArrayProgress, parent_of
from batchgui.services.job_store import JobChanges, JobStore
from batchgui.services.jobs import JobsService, KnownRows, LoadResult, SubmitResult
from batchgui.ui.jobs.actions import JobActions
from batchgui.ui.jobs.inspector import JobInspector
from batchgui.ui.jobs.model import JobsTableModel
from batchgui.ui.jobs.rows import RowBlock
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.date_field import DateTimeField
from batchgui.ui.widgets.elided_label import ElidedLabel
from batchgui.ui.widgets.empty_state import EMPTY_JOBS_HINT, attach_empty_state
from batchgui.ui.widgets.forms import push_button as _button  # one home: forms.py
from batchgui.ui.widgets.menu_button import menu_button
from batchgui.ui.widgets.panel import (
    Panel,
    PanelServices,
    make_table_view,
)
from batchgui.ui.widgets.status import chip_label, use_status_chips
from batchgui.ui.widgets.view_state import restore_view, save_view, shortcut_action, vertical_split

logger = logging.getLogger(__name__)
ALL_QUEUES = "All queues"
DESCRIBE_VISIBLE_DELAY_MS = 250
FILTER_MIN_WIDTH = 160
PREFIX_MIN_WIDTH = 110


class JobsPanel(JobActions, Panel):
    panel_id = "jobs"
    title = "Jobs"

    def __init__(
        self, services: PanelServices, jobs: JobsService, store: JobStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(services, parent)
        self.jobs = jobs
        self.store = store
        self.model = JobsTableModel(self)
        self._queues: list[str] = []
        self._selected_queues: set[str] = set()
        self._loaded_once = False
        self._poll_task: asyncio.Task[Any] | None = None
        self._describing: set[str] = set()
        self.last_stop_results: list[StopResult] = []
        self.last_submits: list[SubmitResult] = []
        self.last_load_seconds = 0.0
        # While the panel itself puts listed pages into the store, the store's change set is an echo
        # of rows the model already has: not applied twice.
        self._putting = False
        self._build()
        self._unsubscribe = store.subscribe(self._on_store_changes)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    # --- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.queue_menu = QMenu(self)
        self.queue_button = menu_button("Queues: all", self.queue_menu, "jobsQueues")
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setObjectName("jobsNamePrefix")
        self.prefix_edit.setPlaceholderText("Name starts with… (searched by AWS)")
        self.prefix_edit.setClearButtonEnabled(True)
        self.prefix_edit.returnPressed.connect(self.refresh)
        self.after_box = QCheckBox("Created after")
        self.after_edit = DateTimeField(QDateTime.currentDateTime().addDays(-1))
        self.before_box = QCheckBox("before")
        self.before_edit = DateTimeField(QDateTime.currentDateTime())
        for edit in (self.after_edit, self.before_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setToolTip("Creation time range, searched by AWS (ListJobs filters)")
        self.search_button = _button(
            "Search", "List the jobs again with the name prefix and dates (Enter)", self.refresh
        )
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("jobsFilter")
        self.filter_edit.setPlaceholderText("Filter name / id / definition (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.model.set_filter_text)
        self.source_label = ElidedLabel()
        self.source_label.setObjectName("jobsSource")
        self.source_label.setToolTip("Where the rows come from: the local history of finished jobs, or AWS")
        # Shown in the window's status bar while the panel is (the search row had no room for it at 1024).
        self.status_widget = self.source_label
        top = _row(
            self.queue_button,
            self.prefix_edit,
            self.after_box,
            self.after_edit,
            self.before_box,
            self.before_edit,
            self.search_button,
        )
        top.addStretch(1)

        self.submit_button = _button(
            "Submit…", "Submit a job (Ctrl+Shift+N)", lambda: self.spawn(self.submit_new(), "Submit job")
        )
        # Ctrl+N is the window's New CSV submission; "create" in a panel is Ctrl+Shift+N everywhere.
        self.submit_button.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.clone_button = _button(
            "Clone…",
            "Submit a copy of the selected job, edited first",
            lambda: self.spawn(self.clone_selected(), "Clone job"),
        )
        self.resubmit_button = _button(
            "Resubmit…",
            "Submit the selected FAILED jobs again, with edited overrides",
            lambda: self.spawn(self.resubmit_selected(), "Resubmit jobs"),
        )
        self.cancel_button = _button(
            "Cancel…",
            "Cancel selected jobs that have not started",
            lambda: self.spawn(self.stop_selected(False), "Cancel jobs"),
        )
        self.terminate_button = _button(
            "Terminate…",
            "Terminate the selected jobs (Delete)",
            lambda: self.spawn(self.stop_selected(True), "Terminate jobs"),
        )
        self.refresh_button = _button("Refresh", "List again (F5)", self.refresh)
        self.stop_load_button = _button("Stop", "Stop listing (what arrived stays)", self.stop_loading)
        self.stop_load_button.hide()
        self.export_button = _button("Export…", "Export the jobs shown to a CSV file", self.export_csv)
        self.children_button = _button(
            "Children",
            "Show or hide the selected array job's children (double-click)",
            self.toggle_current_children,
            "jobsChildren",
        )
        self.child_status_combo = QComboBox()
        self.child_status_combo.setObjectName("jobsChildStatus")
        self.child_status_combo.setToolTip("Which children of the expanded arrays to show")
        self.child_status_combo.addItem("Children: all")
        for status in JobStatus:
            self.child_status_combo.addItem(f"Children: {status.value}")
        self.child_status_combo.hide()  # shown while an array is expanded
        self.child_status_combo.currentIndexChanged.connect(
            lambda i: self.model.set_child_status_filter(list(JobStatus)[i - 1] if i > 0 else None)
        )
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(90)
        self.progress.hide()
        self.count_label = QLabel()
        self.count_label.setObjectName("jobsCount")
        # The filter box takes the free middle of the action row: wide at any window size, and the
        # status tabs below keep the whole width for their counts (SUCCEEDED (90,000)…).
        actions = _row(
            self.submit_button,
            self.clone_button,
            self.resubmit_button,
            self.cancel_button,
            self.terminate_button,
            12,
            (self.filter_edit, 1),
            self.count_label,
            self.progress,
            self.stop_load_button,
            self.refresh_button,
            self.export_button,
        )

        self.status_tabs = QTabBar()
        self.status_tabs.setObjectName("jobsStatusTabs")
        self.status_tabs.setExpanding(False)
        self.status_tabs.addTab("All")
        for status in JobStatus:
            self.status_tabs.addTab(chip_label(status.value))
        self.status_tabs.currentChanged.connect(self._status_tab_changed)

        self.table = self._make_table()
        attach_empty_state(
            self.table,
            "No jobs to show",
            EMPTY_JOBS_HINT,
            self.submit_button,
            ready=lambda: self.load_count > 0,
            icon_name="jobs",
        )
        self.details_tabs = JobInspector(self.jobs, self.model, self.spawn, self.current_job)
        self.inspector = self.details_tabs
        self.details = self.inspector.details
        self.details.job_clicked.connect(self.show_job)
        self.log_view = self.inspector.log_view
        self.raw_json = self.inspector.raw_json
        self.splitter = vertical_split(self.table, self.details_tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(actions)
        tabs_row = QHBoxLayout()
        tabs_row.addWidget(self.status_tabs)
        tabs_row.addStretch(1)
        tabs_row.addWidget(self.child_status_combo)
        tabs_row.addWidget(self.children_button)
        layout.addLayout(tabs_row)
        layout.addWidget(self.splitter, 1)

        self.model.counts_changed.connect(self._update_counts)
        self.model.rows_changed.connect(self._update_counts)  # "15 of 44 jobs" as the filter changes
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
        # ...but the filter and name boxes keep room to type in; the tabs scroll when they must.
        self.filter_edit.setMinimumWidth(FILTER_MIN_WIDTH)
        self.prefix_edit.setMinimumWidth(PREFIX_MIN_WIDTH)
        for widget in (self.children_button, self.child_status_combo):
            widget.setMinimumWidth(widget.sizeHint().width())
        self.status_tabs.setUsesScrollButtons(True)
        self._add_shortcuts()
        self._rebuild_queue_menu()
        self._update_counts()

    def _make_table(self) -> QTableView:
        view = make_table_view(self.model, "jobsTable", [c.width for c in self.model.columns])
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        use_status_chips(view)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.doubleClicked.connect(self._double_clicked)
        return view

    def _add_shortcuts(self) -> None:
        shortcut_action(self.table, "Copy job id", QKeySequence.StandardKey.Copy, self.copy_ids)
        shortcut_action(self.table, "Terminate", QKeySequence(Qt.Key.Key_Delete), self.terminate_button.click)

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
        # "Runnable 3", as the status chips say it ("RUNNABLE (3)" needed scroll arrows at 1024).
        self.status_tabs.setTabText(0, f"All {self.model.total():,}")
        for number, status in enumerate(JobStatus, 1):
            self.status_tabs.setTabText(number, f"{chip_label(status.value)} {counts[status]:,}")
        shown, total = self.model.rowCount(), self.model.total()
        children = self.model.children_total()
        if children:
            _show_text(self.count_label, f"{shown:,}/{total:,} jobs, {children:,} children")
            self.count_label.setToolTip(
                f"{shown:,} rows shown of {total:,} jobs, {children:,} of them children"
            )
        else:
            _show_text(
                self.count_label, f"{shown:,} of {total:,} jobs" if shown != total else f"{total:,} jobs"
            )

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # --- loading ------------------------------------------------------------------------------
    async def load(self) -> None:
        names = await self.jobs.queue_names()
        if names != self._queues:
            self._queues = names
            self._selected_queues &= set(names)
            self._rebuild_queue_menu()
        # Not emptied first: rows stay (and with them selection and scroll); those not listed
        # again are dropped at the end.
        self.model.flush()
        before = self.model.top_level_ids()
        listed: set[str] = set()
        known: list[KeysView[str]] = []  # the history's ids, not copied into `listed` (100,000 of them)

        def on_page(rows: list[JobSummary]) -> None:
            listed.update(j.job_id for j in rows)
            self.model.upsert(rows)
            self._put_in_store(rows)

        build = self.model.block_builder()

        def prepare(rows: list[JobSummary]) -> tuple[RowBlock, list[JobSummary]]:
            return build(rows), _tracked(rows)  # on a worker: a queue's history is 100,000 rows

        def take(prepared: tuple[RowBlock, list[JobSummary]]) -> None:
            block, tracked = prepared
            known.append(block.rows.job_ids())
            self.model.add_block(block)
            self._put_tracked(tracked)

        def on_history(count: int, synced_ms: int) -> None:
            self.source_label.setText(f"{count:,} from history (synced {_clock(synced_ms)}), listing new…")

        self.progress.show()
        self.stop_load_button.show()
        self.source_label.setText("listing from AWS…")
        try:
            self.store.set_viewed("jobs", self._selected_queues)  # the poller reads these every tick
            result = await self.jobs.load(
                self.queues_to_list(),
                on_page,
                self.filters(),
                budget=self.store.budget,
                on_history=on_history,
                known_rows=KnownRows(prepare, take),
            )
            while self.model.pending:  # the table takes the last rows slice by slice
                await asyncio.sleep(0.02)
            self.last_load_seconds = result.seconds
            source = _source_text(result)
            if result.history_problem:
                # Said where the person looks for where rows come from, and kept in the log.
                self.source_label.setText("job history set aside · " + source)
                self.source_label.setToolTip(result.history_problem)
                logger.warning("%s", result.history_problem)
            else:
                self.source_label.setText(source)
        finally:
            self.progress.hide()
            self.stop_load_button.hide()
            self.model.flush()
        self.model.remove({i for i in before - listed if not any(i in ids for ids in known)})
        self._show_progress(self.model.parent_ids())  # not a store lookup per row of 100,000
        self._loaded_once = True
        self._select_first_if_none()

    def _put_in_store(self, rows: list[JobSummary]) -> None:
        self._put_tracked(_tracked(rows))

    def _put_tracked(self, tracked: list[JobSummary]) -> None:
        if not tracked:
            return
        self._putting = True
        try:
            self.store.put(tracked)
        finally:
            self._putting = False

    def stop_loading(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()

    def _auto_refresh_tick(self) -> None:
        """While visible: a live poll (active statuses + new jobs), not a full reload."""
        if not self.jobs.connected or not self._loaded_once:
            return
        if self._loading is not None and not self._loading.done():
            return
        if self._poll_task is not None and not self._poll_task.done():
            return
        self._poll_task = self.spawn(self.poll_now(), "Update job states")

    async def poll_now(self) -> None:
        """Fresh states through the store's one poller (nothing to do while its loop runs: the
        panel hears every change), then the selected job's details again."""
        if not self.jobs.connected:
            return
        if not self.store.live:
            await self.store.refresh()
        await self.inspector.refresh_shown()  # the job shown (a child opened from Details stays)

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        self._cancel_job_tasks()
        self._loaded_once = False
        # The chosen queues stay (those the new connection lacks are dropped when it lists its
        # queues), so the queues saved from the last session apply once the app connects.
        self._queues = []
        self._rebuild_queue_menu()
        self.model.clear()
        self.inspector.clear()

    def _cancel_job_tasks(self) -> None:
        self.inspector.cancel()
        if self._poll_task is not None and not self._poll_task.done():
            self._poll_task.cancel()

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
        if not self.jobs.connected:
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
            self.spawn(self._describe_ids(wanted), "Describe visible jobs")

    async def _describe_ids(self, ids: list[str]) -> None:
        try:
            self.model.set_details(await self.store.describe(ids))
        finally:
            self._describing.difference_update(ids)

    # --- the store's changes, array children -------------------------------------------------
    def _on_store_changes(self, changes: JobChanges) -> None:
        """Apply what the store says changed to the jobs this panel lists (and their children)."""
        if not self._loaded_once or self._putting:
            return
        model = self.model
        queues = set(self.queues_to_list())
        # With AWS-side filters (name prefix, dates) only jobs already listed are updated.
        new_ones = not self.filters().active
        rows: list[JobSummary] = []
        parents: set[str] = set()
        for job in changes.updated:
            parent = parent_of(job.job_id) if job.array_index is not None else None
            if parent is not None:
                if model.has_job(parent) or model.has_job(job.job_id):
                    rows.append(job)
                    parents.add(parent)
            elif model.has_job(job.job_id) or (new_ones and job.queue in queues):
                rows.append(job)
                if job.array_size is not None:
                    parents.add(job.job_id)
        if rows:
            model.upsert(rows)
        if changes.gone:
            model.remove(changes.gone)
        self._show_progress(parents)

    def _show_progress(self, parents: set[str]) -> None:
        progress: dict[str, ArrayProgress] = {}
        for job_id in parents:
            found = self.store.progress(job_id)
            if found is not None:
                progress[job_id] = found
        self.model.set_progress(progress)

    def _double_clicked(self, index: QModelIndex) -> None:
        job = self.model.job_at(index)
        if job is not None and job.array_index is None and (job.array_size or job.num_nodes) is not None:
            self.toggle_children(job.job_id)  # an array's children, or a multi-node job's nodes

    def toggle_current_children(self) -> None:
        job = self.current_job()
        if job is not None:
            parent = parent_of(job.job_id) if job.array_index is not None else job.job_id
            if parent is not None and self.model.job(parent) is not None:
                self.toggle_children(parent)

    def toggle_children(self, job_id: str) -> asyncio.Task[Any] | None:
        """Expand an array parent into its children (listed through the store), or collapse it."""
        if self.model.is_expanded(job_id):
            self.model.set_expanded(job_id, False)
            self.store.collapse(job_id)
            self.child_status_combo.setVisible(bool(self.store.expanded))
            return None
        self.model.set_expanded(job_id, True)
        self.child_status_combo.show()
        return self.spawn(self._expand(job_id), "List array children")

    async def _expand(self, job_id: str) -> None:
        def on_page(rows: list[JobSummary]) -> None:
            self.model.upsert(rows)
            self.model.flush()  # the first children are painted at once, not at the next flush

        self.model.upsert(self.store.children(job_id))
        await self.store.expand(job_id, on_page)
        self._show_progress({job_id})

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
        if self.jobs.connected:
            self.inspector.show_job(job_id)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        job = self.model.job_at(current)
        if job is None or not self.jobs.connected:
            return
        self.inspector.show_known(job.job_id)

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
        return self.spawn(self.jobs.save_text(path, self.csv_text()), "Export jobs")

    def save_state(self, settings: AppSettings) -> None:
        save_view(settings, f"panels/{self.panel_id}", self.splitter, self.table)
        settings.set_str_value(f"panels/{self.panel_id}/queues", ",".join(sorted(self._selected_queues)))

    def restore_state(self, settings: AppSettings) -> None:
        restore_view(settings, f"panels/{self.panel_id}", self.splitter, self.table)
        queues = settings.str_value(f"panels/{self.panel_id}/queues")
        self._selected_queues = {q for q in queues.split(",") if q}
        self._rebuild_queue_menu()


def _tracked(rows: list[JobSummary]) -> list[JobSummary]:
    """What the store tracks: what can still change (active jobs) and array parents (for their
    progress); a finished plain job needs no second copy there."""
    return [j for j in rows if not j.status.is_terminal or j.array_size is not None]


def _clock(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone().strftime("%H:%M")


def _source_text(result: LoadResult) -> str:
    """Where the rows came from, said plainly: "90,000 from history (synced 12:03), 1,200 from AWS"."""
    listed = f"{result.jobs:,} from AWS"
    if result.synced_at_ms is None:
        return f"all {listed}"
    return f"{result.from_history:,} from history (synced {_clock(result.synced_at_ms)}), {listed}"


def _row(*items: QWidget | tuple[QWidget, int] | int) -> QHBoxLayout:
    """A row of widgets: a (widget, stretch) pair stretches, a number is a spacing."""
    row = QHBoxLayout()
    for item in items:
        if isinstance(item, int):
            row.addSpacing(item)
        elif isinstance(item, tuple):
            row.addWidget(*item)
        else:
            row.addWidget(item)
    return row


def _show_text(label: QLabel, text: str) -> None:
    """A label that is never cut: what it says takes its room from the widgets that can shrink."""
    label.setText(text)
    label.setMinimumWidth(label.sizeHint().width())
