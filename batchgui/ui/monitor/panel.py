"""Live monitoring: throughput, jobs by status, and vCPU/memory use by platform, plotted as it happens.

The panel is given the monitor facade (services/job_monitor.py, bound to the connection by the
composition root) and shows what it samples. Start-up cost is kept near zero: polling starts when the
panel is first shown or when desktop notifications are on, and pyqtgraph is imported when the plots
are first built. Polling carries on while other panels are shown (history keeps growing), stops while
the window is minimised unless notifications are on, and stops when the user pauses it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from batchgui import resources
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.samples import MEMORY_FIELDS, VCPU_FIELDS, format_number
from batchgui.services.job_monitor import (
    FinishedJob,
    JobMonitor,
    MonitorSettings,
    MonitorState,
    MonitorStatus,
    RunnableAlert,
)
from batchgui.ui.jobs.runnable_pane import WhyRunnableLink
from batchgui.ui.monitor.cost import MonitorCost
from batchgui.ui.monitor.tray import TrayNotifier
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.menu_button import menu_button
from batchgui.ui.widgets.panel import Panel, PanelServices, make_table_view
from batchgui.ui.widgets.table_model import Column, RowTableModel
from batchgui.ui.widgets.tile import Tile, muted
from batchgui.ui.widgets.view_state import restore_view, save_view, shortcut_action, vertical_split

if TYPE_CHECKING:
    from batchgui.domain.history import NowFigures
    from batchgui.domain.samples import Sample
    from batchgui.ui.monitor.plots import MonitorPlots

WINDOWS: tuple[tuple[str, int], ...] = (
    ("15 min", 900),
    ("1 h", 3600),
    ("6 h", 6 * 3600),
    ("24 h", 24 * 3600),
)
STATUS_COLUMNS = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


def format_age(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@dataclass(frozen=True)
class QueueRow:
    """One queue's latest numbers, for the table under the plots."""

    queue: str
    counts: tuple[int, ...] = (0, 0, 0, 0, 0)  # STATUS_COLUMNS order
    vcpus: float = 0.0
    memory_gib: float = 0.0
    oldest_age_s: float | None = None
    oldest_job: str = ""
    reason: str = ""
    freshness: str = ""  # "idle queue, checked 40 s ago" when older than the live interval


def _count_column(number: int, title: str) -> Column[QueueRow]:
    return Column(
        title.title(), lambda r: str(r.counts[number]), lambda r: r.counts[number], align_right=True, width=84
    )


COLUMNS: list[Column[QueueRow]] = [
    Column("Queue", lambda r: r.queue, width=180),
    Column(
        "Data",
        lambda r: r.freshness or "live",
        tooltip=lambda r: (
            "How fresh this queue's numbers are: busy queues are read every interval, "
            "idle ones (no active jobs for a while) checked less often, within the request budget"
        ),
        width=190,
    ),
    *(_count_column(i, s) for i, s in enumerate(STATUS_COLUMNS)),
    Column("vCPUs", lambda r: format_number(r.vcpus), lambda r: r.vcpus, align_right=True, width=70),
    Column(
        "Memory GiB",
        lambda r: format_number(r.memory_gib),
        lambda r: r.memory_gib,
        align_right=True,
        width=90,
    ),
    Column(
        "Oldest RUNNABLE",
        lambda r: format_age(r.oldest_age_s),
        lambda r: r.oldest_age_s,
        tooltip=lambda r: r.oldest_job,
        align_right=True,
        width=110,
    ),
    Column("Why it waits", lambda r: r.reason, tooltip=lambda r: r.reason, width=300),
]


def queue_rows(sample: Sample, now: float, freshness: Mapping[str, str] | None = None) -> list[QueueRow]:
    fresh = freshness or {}
    rows = []
    for queue in sample.queues:
        rows.append(
            QueueRow(
                queue.queue,
                tuple(int(queue.get(f"status_{s}")) for s in STATUS_COLUMNS),
                sum(queue.get(f) for f in VCPU_FIELDS),
                sum(queue.get(f) for f in MEMORY_FIELDS) / 1024,
                queue.oldest_runnable_age_s(now),
                queue.oldest_runnable_job,
                queue.oldest_runnable_reason,
                fresh.get(queue.queue, ""),
            )
        )
    return rows


class MonitorPanel(Panel):
    panel_id = "monitor"
    title = "Monitor"

    def __init__(
        self,
        services: PanelServices,
        monitor: JobMonitor,
        parent: QWidget | None = None,
        notifier: TrayNotifier | None = None,
    ) -> None:
        super().__init__(services, parent)
        self.notifier = notifier or TrayNotifier(QIcon(str(resources.path("icons/batchgui.svg"))), self)
        self.monitor = monitor
        self.plots: MonitorPlots | None = None
        self._watched_window: QWidget | None = None
        self._dirty = False
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self.redraw)
        settings = services.settings

        # --- toolbar ------------------------------------------------------------------------------
        self.window_combo = QComboBox()
        self.window_combo.setObjectName("monitorWindow")
        for label, seconds in WINDOWS:
            self.window_combo.addItem(label, seconds)
        self.window_combo.setCurrentIndex(min(3, max(0, settings.int_value("monitor/window_index", 0))))
        self.window_combo.setToolTip("How much history the plots show")
        self.window_combo.currentIndexChanged.connect(self._window_changed)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("monitorPause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Stop polling and freeze the plots (Ctrl+P)")
        self.pause_button.toggled.connect(self._pause_toggled)
        shortcut_action(self, "Pause / resume monitoring", QKeySequence("Ctrl+P"), self.pause_button.toggle)
        self.notify_check = QCheckBox("Desktop notifications")
        self.notify_check.setObjectName("monitorNotify")
        self.notify_check.setToolTip(
            "Notify when a job fails or a queue has had RUNNABLE jobs waiting longer than the threshold "
            "(set in Options). Monitoring then continues while the window is minimised."
        )
        self.notify_check.setChecked(settings.int_value("monitor/notify", 0) == 1)
        self.notify_check.toggled.connect(self._notify_toggled)
        self.options_button = menu_button("Options", self._options_menu(settings), "monitorOptions")
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setToolTip("Save the plotted data (selected queues, current window) as CSV")
        self.export_csv_button.clicked.connect(self.export_csv)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.setToolTip("Save the plots as a PNG image")
        self.export_png_button.clicked.connect(self.export_png)
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("Window"))
        toolbar.addWidget(self.window_combo)
        toolbar.addWidget(self.pause_button)
        toolbar.addWidget(self.notify_check)
        toolbar.addWidget(self.options_button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.export_csv_button)
        toolbar.addWidget(self.export_png_button)

        self.status_label = QLabel("Not monitoring yet")
        self.status_label.setObjectName("monitorStatus")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.selection_label = QLabel("All queues")
        self.selection_label.setObjectName("monitorSelection")
        self.show_all_button = QPushButton("Show all queues")
        self.show_all_button.clicked.connect(self.show_all_queues)
        self.show_all_button.setVisible(False)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.selection_label)
        status_row.addWidget(self.show_all_button)

        # --- "Now" tiles -------------------------------------------------------------------------
        self.tile_running = Tile("Running", "tileRunning")
        self.tile_runnable = Tile("Runnable", "tileRunnable")
        self.tile_failed = Tile("Failed (last hour)", "tileFailed")
        # Counted from what the monitor saw fail, so a failure before it started is not included.
        self.tile_failed.setToolTip(
            "Jobs the monitor saw fail in the last hour (failures before monitoring started are not "
            "counted; the Jobs panel's FAILED tab lists every failed job)"
        )
        self.tile_vcpus = Tile("vCPUs in use / provisioned", "tileVcpus")
        self.tile_oldest = Tile("Oldest RUNNABLE job", "tileOldest")
        self.why_runnable = WhyRunnableLink(self.tile_oldest)
        tiles = QHBoxLayout()
        for tile, stretch in (
            (self.tile_running, 1),
            (self.tile_runnable, 1),
            (self.tile_failed, 1),
            (self.tile_vcpus, 2),  # its caption is the longest
            (self.tile_oldest, 2),
        ):
            tiles.addWidget(tile, stretch)
        self.cost = MonitorCost(monitor, self.spawn)  # the cost tile and the "Cost & shares" tab
        tiles.addWidget(self.cost.tile, 2)

        # --- plots and the queue table ----------------------------------------------------------
        self.plot_holder = QWidget()
        self.plot_layout = QVBoxLayout(self.plot_holder)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        self.plot_placeholder = QLabel("The plots appear when monitoring starts.")
        self.plot_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plot_layout.addWidget(self.plot_placeholder)
        self.hover_label = QLabel("Hover over a plot to read its values; click a legend entry to hide it.")
        self.hover_label.setObjectName("monitorHover")
        muted(self.hover_label)
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.plot_layout.addWidget(self.hover_label)
        self.model: RowTableModel[QueueRow] = RowTableModel(COLUMNS, lambda r: r.queue, self)
        self.table = make_table_view(self.model, "monitorTable")
        self.table.setToolTip("Select queues to plot only them; select none to plot all")
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        shortcut_action(self.table, "Copy queue names", QKeySequence.StandardKey.Copy, self.copy_queue_names)
        self.splitter = vertical_split(self.plot_holder, self.table, (4, 1))
        self.splitter.setSizes([520, 140])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(toolbar)
        layout.addLayout(status_row)
        layout.addLayout(tiles)
        layout.addWidget(self.splitter, 1)

        monitor.apply_settings(self.monitor_settings())
        monitor.samples.add(self._on_sample)
        monitor.history_replaced.add(self._on_history_replaced)
        monitor.status.add(self._on_status)
        monitor.jobs_failed.add(self._on_jobs_failed)
        monitor.runnable_waiting.add(self._on_runnable_waiting)

    # --- options ----------------------------------------------------------------------------------
    def _options_menu(self, settings: AppSettings) -> QMenu:
        menu = QMenu(self)
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, 300)
        self.interval_spin.setSuffix(" s")
        self.interval_spin.setValue(settings.int_value("monitor/interval_s", 5))
        self.interval_spin.setToolTip("How often to sample (stretched automatically when polls are slow)")
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(1, 50)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSuffix(" requests/s")
        self.budget_spin.setValue(settings.int_value("monitor/requests_per_s", 10))
        self.budget_spin.setToolTip(
            "At most this many Batch API requests per second (AWS allows ~50/s per account)"
        )
        self.threshold_spin = QSpinBox()
        self.threshold_spin.setRange(1, 24 * 60)
        self.threshold_spin.setSuffix(" min")
        self.threshold_spin.setValue(settings.int_value("monitor/runnable_alert_min", 10))
        self.threshold_spin.setToolTip("Notify when a queue's oldest RUNNABLE job has waited this long")
        form.addRow("Sample every", self.interval_spin)
        form.addRow("Request budget", self.budget_spin)
        form.addRow("RUNNABLE alert after", self.threshold_spin)
        for spin in (self.interval_spin, self.threshold_spin):
            spin.valueChanged.connect(self._options_changed)
        self.budget_spin.valueChanged.connect(self._options_changed)
        action = QWidgetAction(menu)
        action.setDefaultWidget(form_widget)
        menu.addAction(action)
        return menu

    def monitor_settings(self) -> MonitorSettings:
        return MonitorSettings(
            interval_s=float(self.interval_spin.value()),
            requests_per_s=float(self.budget_spin.value()),
            runnable_alert_s=60.0 * self.threshold_spin.value(),
        )

    def _options_changed(self) -> None:
        settings = self.services.settings
        settings.set_int_value("monitor/interval_s", self.interval_spin.value())
        settings.set_int_value("monitor/requests_per_s", int(self.budget_spin.value()))
        settings.set_int_value("monitor/runnable_alert_min", self.threshold_spin.value())
        self.monitor.apply_settings(self.monitor_settings())

    # --- the monitor --------------------------------------------------------------------------------
    def ensure_plots(self) -> MonitorPlots:
        if self.plots is None:
            from batchgui.ui.monitor.plots import MonitorPlots

            self.plots = MonitorPlots()
            self.plots.hovered.connect(self.hover_label.setText)
            self.plot_layout.removeWidget(self.plot_placeholder)
            self.plot_placeholder.deleteLater()
            self.plot_layout.insertWidget(0, self.cost.tabs(self.plots), 1)
        return self.plots

    async def load(self) -> None:
        self.ensure_plots()
        self.monitor.start()
        if not self.model.all_rows():
            # Name the queues straight away; their numbers come with the first sample.
            names = await self.monitor.queue_names()
            if not self.model.all_rows():
                self.model.set_rows([QueueRow(name) for name in names])
        self.redraw()

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        # The monitor has re-bound itself to the new connection already (it hears of it first).
        self.model.set_rows([])
        if connection is not None and self.notify_check.isChecked():
            self.monitor.start()

    def _on_sample(self, sample: Sample) -> None:
        self.model.set_rows(queue_rows(sample, time.time(), self.monitor.freshness_texts()))
        self._schedule_redraw()

    def _on_history_replaced(self, _history: object) -> None:
        self._apply_selection()
        self._schedule_redraw()

    def _on_status(self, status: MonitorStatus) -> None:
        text = status.message
        if status.requests_last_poll:
            text += f"  ·  {status.requests_last_poll} requests in the last poll ({status.poll_s:.1f} s)"
        self.status_label.setText(text)
        colour = {
            MonitorState.DELAYED: "#b35900",
            MonitorState.THROTTLED: "#b35900",
            MonitorState.ERROR: "#c00000",
        }.get(status.state, "")
        self.status_label.setStyleSheet(f"color: {colour};" if colour else "")
        if status.state in (MonitorState.DELAYED, MonitorState.THROTTLED, MonitorState.ERROR):
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(f"Monitor: {status.message}", 10_000)

    # --- notifications ------------------------------------------------------------------------------
    def _on_jobs_failed(self, jobs: list[FinishedJob]) -> None:
        if not self.notify_check.isChecked() or not jobs:
            return
        if len(jobs) == 1:
            job = jobs[0]
            text = f"{job.name or job.job_id} in {job.queue}" + (f": {job.reason}" if job.reason else "")
            self.notifier.notify("Job failed", text, critical=True)
        else:
            queues = sorted({j.queue for j in jobs})
            self.notifier.notify(f"{len(jobs)} jobs failed", "In " + ", ".join(queues), critical=True)

    def _on_runnable_waiting(self, alert: RunnableAlert) -> None:
        if not self.notify_check.isChecked():
            return
        self.notifier.notify(
            f"Jobs waiting in {alert.queue}",
            f"A job has been RUNNABLE for {format_age(alert.age_s)}"
            + (f": {alert.reason}" if alert.reason else ""),
        )

    def _notify_toggled(self, on: bool) -> None:
        self.services.settings.set_int_value("monitor/notify", 1 if on else 0)
        self._update_suspended()
        if on and self.connection is not None:
            self.monitor.start()

    # --- pause, minimise, window, selection ---------------------------------------------------------
    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.monitor.pause()
        else:
            self.monitor.resume()
        if not paused:
            self._schedule_redraw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self._watched_window and window is not self:
            window.installEventFilter(self)
            self._watched_window = window
        if self._dirty:
            self._schedule_redraw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched_window and event.type() == QEvent.Type.WindowStateChange:
            self._update_suspended()
        return False

    def _update_suspended(self) -> None:
        window = self._watched_window
        minimised = window is not None and window.isMinimized()
        self.monitor.set_suspended(minimised and not self.notify_check.isChecked())

    def _window_changed(self, index: int) -> None:
        self.services.settings.set_int_value("monitor/window_index", index)
        self._schedule_redraw()

    def window_s(self) -> int:
        return int(self.window_combo.currentData())

    def selected_queues(self) -> list[str]:
        rows = [self.model.row_at(i) for i in self.table.selectionModel().selectedRows()]
        return sorted(r.queue for r in rows if r is not None)

    def _selection_changed(self, *_: object) -> None:
        self._apply_selection()
        self._schedule_redraw()

    def _apply_selection(self) -> None:
        names = self.selected_queues()
        self.monitor.history.select(names or None)
        self.monitor.store.set_viewed("monitor", names)  # read every tick while plotted alone
        self.selection_label.setText(
            "All queues"
            if not names
            else f"Showing {len(names)} queue{'s' if len(names) != 1 else ''}: "
            + ", ".join(names[:4])
            + ("…" if len(names) > 4 else "")
        )
        self.show_all_button.setVisible(bool(names))

    def show_all_queues(self) -> None:
        self.table.clearSelection()

    def copy_queue_names(self) -> None:
        names = self.selected_queues()
        if names:
            QGuiApplication.clipboard().setText("\n".join(names))

    # --- drawing ------------------------------------------------------------------------------------
    def _schedule_redraw(self) -> None:
        self._dirty = True
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Draw the latest history (skipped while hidden or paused; done when shown again)."""
        if self.plots is None:
            return
        if not self.isVisible() or self.pause_button.isChecked():
            self._dirty = True
            return
        self._dirty = False
        history = self.monitor.history
        now = time.time()
        end = max(now, history.last_time() or now)
        start = end - self.window_s()
        view = history.view()
        self.plots.show_view(view, start, end)
        self.cost.show(view, start, end)
        self.show_now(history.now(now))

    def show_now(self, now: NowFigures) -> None:
        if now.sampled_at is None:
            return
        self.tile_running.show_value(str(now.running))
        self.tile_runnable.show_value(str(now.runnable))
        self.tile_failed.show_value(str(now.failed_last_hour))
        self.tile_vcpus.show_value(
            f"{format_number(now.vcpus_in_use)} / {format_number(now.vcpus_provisioned)}",
            f"max {format_number(now.vcpus_max)}" if now.vcpus_max else "",
            "vCPUs of RUNNING jobs / vCPUs provisioned (EC2 desiredvCpus + Fargate tasks)",
        )
        self.why_runnable.set_job(now.oldest_runnable_job)
        if now.oldest_runnable_age_s is None:
            self.tile_oldest.show_value("none waiting")
        else:
            self.tile_oldest.show_value(
                format_age(now.oldest_runnable_age_s),
                f"{now.oldest_runnable_queue}: {now.oldest_runnable_reason or 'no status reason given'}",
                f"Job {now.oldest_runnable_job}",
            )

    # --- export -------------------------------------------------------------------------------------
    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export monitoring data", "monitor.csv", "CSV (*.csv)")
        if path:
            self.export_csv_to(Path(path))

    def export_csv_to(self, path: Path) -> Any:
        start = time.time() - self.window_s()
        return self.spawn(self.monitor.export_csv(path, start), "Export monitoring data")

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "monitor.png", "PNG image (*.png)")
        if path:
            self.export_png_to(Path(path))

    def export_png_to(self, path: Path) -> bool:
        plots = self.ensure_plots()
        saved = plots.export_png(path)
        if not saved:
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(
                    f"Could not write {path}: check the folder exists and is writable", 8000
                )
        return saved

    # --- state --------------------------------------------------------------------------------------
    def save_state(self, settings: AppSettings) -> None:
        save_view(settings, f"panels/{self.panel_id}", self.splitter, self.table)

    def restore_state(self, settings: AppSettings) -> None:
        restore_view(settings, f"panels/{self.panel_id}", self.splitter, self.table)

    def shutdown(self) -> None:
        self.monitor.stop()
        self.notifier.hide()
