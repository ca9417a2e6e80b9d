"""The Overview: the landing page. What is running and waiting per queue, vCPUs and memory in use on
Fargate and EC2 against capacity, the environments' state, and the failures of the last hour with
their top reasons. Every tile and row is a link into the panel behind it (a `PanelLink` the main
window follows).

It reads the monitor only through its public listeners (`samples`, `jobs_failed`,
`history_replaced`) and `start()`, and the inventory facade for queues and environments.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.samples import Sample, format_number
from batchgui.services.inventory import InventoryService
from batchgui.services.job_monitor import FinishedJob, JobMonitor
from batchgui.services.journal import Submission
from batchgui.services.submission import SubmissionsService
from batchgui.ui.monitor.panel import format_age
from batchgui.ui.overview.figures import (
    QUEUE_STATUSES,
    Failure,
    OverviewFigures,
    QueueLine,
    overview_figures,
)
from batchgui.ui.widgets.empty_state import EmptyState, EmptyStateOverlay
from batchgui.ui.widgets.icons import icon
from batchgui.ui.widgets.links import PanelLink
from batchgui.ui.widgets.panel import Panel, PanelServices, make_table_view
from batchgui.ui.widgets.status import use_status_chips
from batchgui.ui.widgets.table_model import Column, RowTableModel
from batchgui.ui.widgets.tile import Tile

# From this panel width the environments and failures tables sit side by side (each then has ~600 px).
SIDE_BY_SIDE_FROM = 1250
KEEP_FAILURES = 2000  # the failures table shows the last hour; more than this is not worth keeping


@dataclass(frozen=True)
class QueueRow:
    line: QueueLine
    state: str = ""
    status: str = ""
    freshness: str = ""  # "idle queue, checked 40 s ago" (the monitor's), when older than live


def _count_column(status: JobStatus) -> Column[QueueRow]:
    return Column(
        status.value.title(),
        lambda r: str(r.line.count(status)),
        lambda r: r.line.count(status),
        align_right=True,
        width=72,
    )


QUEUE_COLUMNS: list[Column[QueueRow]] = [
    Column("Queue", lambda r: r.line.queue, tooltip=lambda r: r.line.queue, width=104),
    Column("State", lambda r: r.state, width=92),
    *(_count_column(s) for s in QUEUE_STATUSES),
    Column(
        # Two lines: the table fits a 1024 px window without scrolling sideways.
        "Oldest\nRUNNABLE",
        lambda r: format_age(r.line.oldest_age_s),
        lambda r: r.line.oldest_age_s,
        tooltip=lambda r: r.line.oldest_job,
        align_right=True,
        width=90,
    ),
    Column("Data", lambda r: r.freshness or "live", width=150),
    # Last: the reason is the column that takes the spare width and gives way first at 1024 px.
    Column("Why it waits", lambda r: r.line.reason, tooltip=lambda r: r.line.reason, width=260),
]
DATA_COLUMN = len(QUEUE_COLUMNS) - 2
# Which status a click on a count column opens.
STATUS_OF_COLUMN = {2 + n: s for n, s in enumerate(QUEUE_STATUSES)}

ENV_COLUMNS: list[Column[ComputeEnvironment]] = [
    Column("Environment", lambda c: c.name, width=130),
    Column("Platform", lambda c: c.platform.value if c.platform else "UNMANAGED", width=96),
    Column("State", lambda c: c.state, width=92),
    Column("Status", lambda c: c.status, width=80),
    Column(
        "Max vCPUs",
        lambda c: "" if c.max_vcpus is None else str(c.max_vcpus),
        lambda c: c.max_vcpus,
        align_right=True,
        width=80,
    ),
    Column("Status reason", lambda c: c.status_reason, tooltip=lambda c: c.status_reason, width=200),
]


def _when(failure: Failure) -> str:
    return datetime.fromtimestamp(failure.at).strftime("%H:%M:%S")


FAILURE_COLUMNS: list[Column[Failure]] = [
    Column("When", _when, lambda f: f.at, width=70),
    Column("Job", lambda f: f.name, tooltip=lambda f: f.job_id, width=150),
    Column("Queue", lambda f: f.queue, width=110),
    Column("Reason", lambda f: f.reason, tooltip=lambda f: f.reason, width=260),
]


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QTableView) else 0)
    return box


class OverviewPanel(Panel):
    panel_id = "overview"
    title = "Overview"

    # A tile or row was activated: the main window shows the panel it names.
    link_activated = Signal(object)

    def __init__(
        self,
        services: PanelServices,
        monitor: JobMonitor,
        inventory: InventoryService,
        parent: QWidget | None = None,
        *,
        submissions: SubmissionsService | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(services, parent)
        self.monitor = monitor
        self.inventory = inventory
        self.submissions = submissions
        self._clock = clock
        self._sample: Sample | None = None
        self._failures: deque[Failure] = deque(maxlen=KEEP_FAILURES)
        self._queues: list[JobQueue] = []
        self._environments_loaded = False
        self.figures = overview_figures(None, (), clock())
        # What each tile opens (by object name); the oldest-RUNNABLE tile's link follows the data.
        self.tile_links: dict[str, PanelLink] = {}

        # --- header -------------------------------------------------------------------------
        self.status_label = QLabel("Waiting for the first sample…")
        self.status_label.setObjectName("overviewStatus")
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.setToolTip("Read queues and environments again (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(self.status_label, 1)
        header.addWidget(self.refresh_button)

        # --- tiles --------------------------------------------------------------------------
        self.tile_running = self._tile(
            "Running", "overviewRunning", PanelLink("jobs", status=JobStatus.RUNNING)
        )
        self.tile_runnable = self._tile(
            "Runnable", "overviewRunnable", PanelLink("jobs", status=JobStatus.RUNNABLE)
        )
        self.tile_failed = self._tile(
            "Failed (last hour)", "overviewFailed", PanelLink("jobs", status=JobStatus.FAILED)
        )
        self.tile_fargate = self._tile("Fargate vCPUs", "overviewFargate", PanelLink("monitor"))
        self.tile_ec2 = self._tile("EC2 vCPUs", "overviewEc2", PanelLink("monitor"))
        self.tile_oldest = self._tile(
            "Oldest RUNNABLE", "overviewOldest", PanelLink("jobs", status=JobStatus.RUNNABLE)
        )
        self.tile_submission = self._tile("Latest submission", "overviewSubmission", PanelLink("submissions"))
        self.tile_submission.show_value("—", "none yet")
        self.tile_submission.setVisible(submissions is not None)
        tiles = QHBoxLayout()
        for tile, stretch in (
            (self.tile_running, 2),
            (self.tile_runnable, 2),
            (self.tile_failed, 2),
            (self.tile_fargate, 3),
            (self.tile_ec2, 3),
            (self.tile_oldest, 4),
            (self.tile_submission, 3),
        ):
            tiles.addWidget(tile, stretch)

        # --- tables -------------------------------------------------------------------------
        self.queue_model: RowTableModel[QueueRow] = RowTableModel(QUEUE_COLUMNS, lambda r: r.line.queue, self)
        self.queue_table = self._table(self.queue_model, "overviewQueues", self._queue_activated)
        self.queue_table.setToolTip("Enter or double-click: the jobs of that queue (in that status column)")
        self.env_model: RowTableModel[ComputeEnvironment] = RowTableModel(ENV_COLUMNS, lambda c: c.name, self)
        self.env_table = self._table(self.env_model, "overviewEnvironments", self._env_activated)
        self.env_table.setToolTip("Enter or double-click: the environment in Compute environments")
        self.failure_model: RowTableModel[Failure] = RowTableModel(FAILURE_COLUMNS, lambda f: f.job_id, self)
        self.failure_table = self._table(self.failure_model, "overviewFailures", self._failure_activated)
        self.failure_table.setToolTip("Enter or double-click: the job in the Jobs panel")
        self.failure_table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.reasons_label = QLabel("")
        self.reasons_label.setObjectName("overviewReasons")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.queue_empty = EmptyStateOverlay(
            self.queue_table,
            EmptyState(
                "No job queues yet",
                "Jobs are submitted to a queue; a queue sends them to compute environments.",
                lambda: self.link_activated.emit(PanelLink("job-queues")),
                button_text="Open Job queues",
                icon_name="job-queues",
            ),
            ready=lambda: self.load_count > 0,
        )
        self.env_empty = EmptyStateOverlay(
            self.env_table,
            EmptyState(
                "No compute environments yet",
                "Create one (Fargate or EC2) for your queues to run jobs on.",
                lambda: self.link_activated.emit(PanelLink("compute-environments")),
                button_text="Open Compute environments",
                icon_name="compute-environments",
            ),
            ready=lambda: self._environments_loaded,
        )
        self.failure_empty = EmptyStateOverlay(
            self.failure_table,
            EmptyState(
                "No failures in the last hour",
                "Jobs the monitor sees fail are listed here with their reasons.",
                icon_name="status-success",
            ),
        )

        self.queues_box = _group("Queues — active jobs by status", self.queue_table)
        self.envs_box = _group("Compute environments", self.env_table)
        self.failures_box = _group("Failures in the last hour", self.reasons_label, self.failure_table)
        # Environments beside failures on a wide window; one above the other on a narrow one, so
        # each table has the width its columns need (see _arrange).
        self.bottom = bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.setObjectName("overviewBottom")
        bottom.setChildrenCollapsible(False)
        bottom.addWidget(self.envs_box)
        bottom.addWidget(self.failures_box)
        bottom.setSizes([500, 500])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("overviewSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.queues_box)
        self.splitter.addWidget(bottom)
        self.splitter.setSizes([300, 260])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addLayout(tiles)
        layout.addWidget(self.splitter, 1)

        self.loaded.connect(self.queue_empty.update)
        monitor.samples.add(self._on_sample)
        monitor.jobs_failed.add(self._on_jobs_failed)
        monitor.history_replaced.add(self._on_history_replaced)
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= SIDE_BY_SIDE_FROM
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.bottom.orientation() != orientation:
            self.bottom.setOrientation(orientation)
            self.bottom.setSizes([500, 500])
            # Stacked, the bottom holds two tables: the queues (a row per queue) give up height.
            self.splitter.setSizes([300, 260] if wide else [170, 390])

    # --- building -------------------------------------------------------------------------------
    def _tile(self, caption: str, name: str, link: PanelLink) -> Tile:
        tile = Tile(caption, name, clickable=True)
        tile.setToolTip(link.describe())
        self.tile_links[name] = link
        tile.clicked.connect(lambda: self.link_activated.emit(self.tile_links[name]))
        return tile

    def _table(
        self, model: QAbstractTableModel, name: str, activated: Callable[[QModelIndex], None]
    ) -> QTableView:
        view = make_table_view(model, name)
        view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        use_status_chips(view)
        view.activated.connect(activated)
        open_row = QAction("Open", view)
        open_row.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_row.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_row.triggered.connect(lambda: activated(view.currentIndex()))
        view.addAction(open_row)
        return view

    # --- data -----------------------------------------------------------------------------------
    async def load(self) -> None:
        self.monitor.start()
        queues, environments = await asyncio.gather(
            self.inventory.job_queues(), self.inventory.compute_environments()
        )
        self._queues = queues
        self.env_model.set_rows(environments)
        self._environments_loaded = True
        self.env_empty.update()
        if self.submissions is not None:
            self._show_submission(await self.submissions.submissions())
        self._show()

    def _show_submission(self, submissions: list[Submission]) -> None:
        if not submissions:
            self.tile_submission.show_value("—", "none yet (Ctrl+N)")
            self.tile_links["overviewSubmission"] = PanelLink("submissions")
            return
        latest = max(submissions, key=lambda s: s.created_at)
        self.tile_submission.show_value(
            Path(latest.file_path).name,
            f"{latest.state}, {latest.submitted:,}/{latest.total:,} sent",
            f"{latest.file_path} → {latest.queue}",
        )
        self.tile_links["overviewSubmission"] = PanelLink("submissions", filter_text=latest.id)

    def _on_sample(self, sample: Sample) -> None:
        self._sample = sample
        self._show()

    def _on_jobs_failed(self, jobs: list[FinishedJob]) -> None:
        now = self._clock()
        for job in jobs:
            self._failures.append(Failure(now, job.job_id, job.name, job.queue, job.reason))
        self._show()

    def _on_history_replaced(self, _history: object) -> None:
        self._sample = None
        self._failures.clear()
        self._show()

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        self._sample = None
        self._failures.clear()
        self._queues = []
        self._environments_loaded = False
        self.env_model.set_rows([])
        self._show()

    def _show(self) -> None:
        now = self._clock()
        figures = overview_figures(self._sample, self._failures, now)
        self.figures = figures
        lines = {q.queue: q for q in figures.queues}
        blank = tuple(0 for _ in QUEUE_STATUSES)
        fresh = self.monitor.freshness_texts()
        rows = [
            QueueRow(lines.pop(q.name, QueueLine(q.name, blank)), q.state, q.status, fresh.get(q.name, ""))
            for q in self._queues
        ]
        rows.extend(QueueRow(line) for line in lines.values())
        self.queue_model.set_rows(rows)
        # The Data column says only what is not live: shown when some queue is read less often.
        stale = any(r.freshness for r in rows)
        if self.queue_table.isColumnHidden(DATA_COLUMN) == stale:
            self.queue_table.setColumnHidden(DATA_COLUMN, not stale)
        self.failure_model.set_rows(figures.failures)
        self.queue_empty.update()
        self.failure_empty.update()
        self._show_tiles(figures)
        if self._sample is None:
            self.status_label.setText(
                "Waiting for the first sample…" if self.connection is not None else "Not connected"
            )
        else:
            when = datetime.fromtimestamp(self._sample.t).strftime("%H:%M:%S")
            self.status_label.setText(f"Live: sampled at {when}, every {self._sample.interval_s:.0f} s")

    def _show_tiles(self, figures: OverviewFigures) -> None:
        live = self._sample is not None
        self.tile_running.show_value(str(figures.total(JobStatus.RUNNING)) if live else "—")
        self.tile_runnable.show_value(str(figures.total(JobStatus.RUNNABLE)) if live else "—")
        failures = len(figures.failures)
        reasons = "; ".join(f"{reason} ({n})" for reason, n in figures.top_reasons)
        self.tile_failed.show_value(str(failures), reasons[:80] if failures else "none seen")
        self.reasons_label.setText(f"Top reasons: {reasons}" if failures else "")
        self.reasons_label.setVisible(bool(failures))
        for tile, family in ((self.tile_fargate, "Fargate"), (self.tile_ec2, "EC2")):
            use = figures.family(family)
            if not live:
                tile.show_value("—")
                continue
            capacity = "no environment" if use.capacity_vcpus is None else format_number(use.capacity_vcpus)
            tile.show_value(
                f"{format_number(use.vcpus)} / {capacity}",
                f"{format_number(use.memory_mib / 1024)} GiB memory",
                f"{family}: vCPUs and memory of RUNNING jobs, against the environments' maxvCpus",
            )
        oldest = figures.oldest_runnable()
        if oldest is None:
            self.tile_oldest.show_value("—", "no job waiting" if live else "")
            link = PanelLink("jobs", status=JobStatus.RUNNABLE)
        else:
            self.tile_oldest.show_value(
                format_age(oldest.oldest_age_s), f"{oldest.queue}: {oldest.reason or 'no reason given'}"
            )
            link = PanelLink("jobs", queue=oldest.queue, status=JobStatus.RUNNABLE, job_id=oldest.oldest_job)
        self.tile_links[self.tile_oldest.objectName()] = link
        self.tile_oldest.setToolTip(link.describe())

    # --- links ----------------------------------------------------------------------------------
    def _queue_activated(self, index: QModelIndex) -> None:
        row = self.queue_model.row_at(index)
        if row is not None:
            status = STATUS_OF_COLUMN.get(index.column())
            self.link_activated.emit(PanelLink("jobs", queue=row.line.queue, status=status))

    def _env_activated(self, index: QModelIndex) -> None:
        env = self.env_model.row_at(index)
        if env is not None:
            self.link_activated.emit(PanelLink("compute-environments", filter_text=env.name))

    def _failure_activated(self, index: QModelIndex) -> None:
        failure = self.failure_model.row_at(index)
        if failure is not None:
            self.link_activated.emit(
                PanelLink("jobs", queue=failure.queue, status=JobStatus.FAILED, job_id=failure.job_id)
            )
