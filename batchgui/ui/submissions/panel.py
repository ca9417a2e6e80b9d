"""Submissions: past CSV submissions from the journal, per-row status and history, resume, resubmit
failed rows (with changes, shown before sending), export, and the DynamoDB results the jobs wrote.

A row of the rows table opens its job (or array child) in the Jobs panel on its Log tab (Enter,
double-click, or the right-click menu); FAILED rows are red and say "✖ FAILED".

Everything goes through the SubmissionsService facade; the journal is local, so the list works
without a connection."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.csv_plan import RetryChanges
from batchgui.domain.errors import BatchGuiError
from batchgui.services.submission import (
    Submission,
    SubmissionsService,
    SubmissionState,
    Unit,
    is_finished,
    units_failed,
)
from batchgui.ui.jobs.overrides_form import plural
from batchgui.ui.settings import AppSettings
from batchgui.ui.submissions.cost import SubmissionCostLine
from batchgui.ui.submissions.resubmit import ResubmitDialog
from batchgui.ui.widgets.forms import wait_finished
from batchgui.ui.widgets.panel import ListPanel, PanelServices, make_table_view, rows_to_csv
from batchgui.ui.widgets.status import use_status_chips
from batchgui.ui.widgets.table_model import Column, RowTableModel
from batchgui.ui.widgets.view_state import shortcut_action

FAILED_COLOR = QColor("#c62828")
# Asked to show a job in the Jobs panel: (job id, on the Log tab).
OpenJob = Callable[[str, bool], None]


def _created(sub: Submission) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sub.created_at))


def _status_counts(sub: Submission) -> str:
    if not sub.statuses:
        return ""
    return ", ".join(f"{status} {count:,}" for status, count in sorted(sub.statuses.items()))


def all_terminal(units: list[Unit]) -> bool:
    """Every job has ended (a job Batch no longer knows about will not change either)."""
    return bool(units) and all(is_finished(u.status) or u.status == "UNKNOWN" for u in units)


def _log_link(unit: Unit) -> str:
    return f"/aws/batch/job/{unit.log_stream}" if unit.log_stream else ""


def _status_text(unit: Unit) -> str:
    return f"✖ {unit.status}" if unit.status == "FAILED" else unit.status


class UnitsModel(RowTableModel[Unit]):
    """The rows table: FAILED rows in red (their status also says so in words)."""

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            unit = self.row_at(index)
            return QBrush(FAILED_COLOR) if unit is not None and unit.status == "FAILED" else None
        return super().data(index, role)


class SubmissionsPanel(ListPanel[Submission]):
    panel_id = "submissions"
    title = "Submissions"
    empty_text = "Submit many jobs at once from a CSV file: one job (or array child) per row."

    def __init__(
        self,
        services: PanelServices,
        submissions: SubmissionsService,
        parent: QWidget | None = None,
    ) -> None:
        self.submissions = submissions
        self.on_open_job: OpenJob | None = None  # set by the composition root (the Jobs panel's open_job)
        columns: list[Column[Submission]] = [
            Column("Created", _created, lambda s: s.created_at, width=140),
            Column("File", lambda s: Path(s.file_path).name, tooltip=lambda s: s.file_path, width=150),
            Column("Rows", lambda s: f"{s.rows:,}", lambda s: s.rows, align_right=True, width=70),
            Column(
                "Jobs",
                lambda s: f"{s.submitted:,}/{s.total:,}",
                lambda s: s.submitted,
                align_right=True,
                width=80,
            ),
            Column("Mode", lambda s: s.mode, width=70),
            Column("Queue", lambda s: s.queue, width=120),
            Column("Definition", lambda s: s.definition, width=150),
            Column("State", lambda s: s.state, width=90),
            Column("Job status (rows)", _status_counts, width=260),
            Column("Id", lambda s: s.id, width=100),
        ]
        super().__init__(services, columns, lambda s: s.id, parent)
        self.units_model = UnitsModel(
            [
                Column("Rows", lambda u: u.rows_text, lambda u: u.first_row, width=90),
                Column("Job id", lambda u: u.job_id, width=260),
                Column(
                    "Array index", lambda u: "" if u.index < 0 else str(u.index), lambda u: u.index, width=80
                ),
                Column("Status", _status_text, lambda u: u.status, width=90),
                Column(
                    "Exit code",
                    lambda u: "" if u.exit_code is None else str(u.exit_code),
                    lambda u: u.exit_code,
                    align_right=True,
                    width=70,
                ),
                Column("Log", _log_link, tooltip=_log_link, width=260),
                Column("Reason", lambda u: u.reason, tooltip=lambda u: u.reason, width=200),
            ],
            lambda u: u.key,
            self,
        )
        self.units_table = make_table_view(self.units_model, "submissionUnits")
        self.units_table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.units_table.doubleClicked.connect(lambda index: self.open_unit(index, log=True))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut_action(
                self.units_table, "Open job log", QKeySequence(key), lambda: self.open_unit(log=True)
            )
        self.units_table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.units_table.customContextMenuRequested.connect(self._units_menu)
        use_status_chips(self.units_table)
        self.status_button = QPushButton("Refresh status")
        self.status_button.clicked.connect(lambda: self.spawn(self.refresh_units(), "Refresh job status"))
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Send what was not sent (after a crash, a dropped network or Stop)")
        self.resume_button.clicked.connect(lambda: self.spawn(self.resume(), "Resume the submission"))
        self.retry_button = QPushButton("Resubmit failed rows…")
        self.retry_button.clicked.connect(lambda: self.spawn(self.resubmit_failed(), "Resubmit failed rows"))
        self.resume_button.setEnabled(False)
        self.retry_button.setToolTip(
            "A new submission for the rows whose jobs FAILED: change parameters, overrides or the "
            "definition revision, see the request, then send"
        )
        self.retry_button.setEnabled(False)
        self.status_button.setEnabled(False)
        self.export_rows_button = QPushButton("Export rows CSV…")
        self.export_rows_button.setEnabled(False)
        self.export_rows_button.clicked.connect(self.export_units)
        self.units_note = QLabel()
        self.units_note.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.status_button, self.resume_button, self.retry_button, self.export_rows_button):
            buttons.addWidget(button)
        buttons.addWidget(self.units_note, 1)
        rows_page = QWidget()
        rows_layout = QVBoxLayout(rows_page)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.addLayout(buttons)
        self.cost_line = SubmissionCostLine()  # ui/submissions/cost.py
        rows_layout.addWidget(self.cost_line)
        rows_layout.addWidget(self.units_table, 1)
        self.history = QLabel()
        self.history.setObjectName("rowHistory")
        self.history.setWordWrap(True)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rows_layout.addWidget(self.history)
        self.units_table.selectionModel().currentRowChanged.connect(
            lambda _c, _p: self.spawn(self.show_history(), "Read the row's history")
        )
        self.details_tabs.insertTab(0, rows_page, "Rows and jobs")
        self.results_model: RowTableModel[dict[str, str]] = RowTableModel(
            [], lambda r: r.get("row_number", ""), self
        )
        self.results_table = make_table_view(self.results_model, "submissionResults")
        self.results_button = QPushButton("Read results")
        self.results_button.clicked.connect(lambda: self.spawn(self.load_results(), "Read DynamoDB results"))
        self.results_cancel = QPushButton("Cancel reading")
        self.results_cancel.setEnabled(False)
        self.results_cancel.clicked.connect(self.cancel_results)
        self._results_stop = threading.Event()
        self.results_note = QLabel()
        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.results_button)
        top.addWidget(self.results_cancel)
        top.addWidget(self.results_note, 1)
        results_layout.addLayout(top)
        results_layout.addWidget(self.results_table, 1)
        self.details_tabs.insertTab(1, results_page, "Results (DynamoDB)")
        self.details_tabs.setCurrentIndex(0)
        self.export_button.setText("Export submissions CSV…")
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        submissions.listeners.append(self._journal_changed)
        self._pending_select = ""
        self._shown_id = ""  # the submission whose rows the rows table shows
        self._status_task: asyncio.Task[Any] | None = None
        # Follows the selected submission's jobs while the panel is visible, until they all ended.
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._poll_status)

    # --- loading ------------------------------------------------------------------------------
    async def load(self) -> None:
        self.model.set_rows(await self.submissions.submissions())
        if self._pending_select:
            self.select(self._pending_select)
        self._list_reloaded()

    def restore_state(self, settings: AppSettings) -> None:
        super().restore_state(settings)
        # The remembered header keeps column widths; the list always opens newest first.
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    def _journal_changed(self, _submission_id: str) -> None:
        if self.isVisible() and (self._loading is None or self._loading.done()):
            self.refresh()
        self._update_buttons()

    def refresh(self) -> None:
        # The journal is local: the list works without a connection too.
        if not self.submissions.connected or self.connection is None:
            self.spawn(self._load_offline(), "Read the submission journal")
            return
        super().refresh()

    async def _load_offline(self) -> None:
        self.model.set_rows(await self.submissions.submissions())
        if self._pending_select:
            self.select(self._pending_select)
        self._list_reloaded()

    def _list_reloaded(self) -> None:
        """The shown submission may have changed (its jobs were sent meanwhile): follow it if so."""
        self._update_buttons()
        if self._shown_id and not self.following and self.isVisible():
            units = self.units_model.all_rows()
            if not units:
                self._note(units)
            self._follow(units)

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        """The journal outlives connections: keep the list."""

    def select(self, submission_id: str) -> None:
        row = self.model.row_of_key(submission_id)
        if row < 0:
            self._pending_select = submission_id
            return
        self._pending_select = ""
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))

    def current(self) -> Submission | None:
        return self.model.row_at(self.table.currentIndex())

    def row_arn(self, row: Submission) -> str:
        return row.id

    def row_name(self, row: Submission) -> str:
        return row.s3_uri

    def row_raw(self, row: Submission) -> Any:
        return {k: v for k, v in row.__dict__.items()}

    def row_details(self, row: Submission) -> list[tuple[str, str]]:
        return [
            ("Submission id", row.id),
            ("File", row.file_path),
            ("SHA-256", row.file_sha256),
            ("Object", row.s3_uri),
            ("Queue", row.queue),
            ("Definition", row.definition),
            ("Mode", row.mode),
            ("Rows", f"{row.rows:,}"),
            ("Requests", ", ".join(f"{k} {v:,}" for k, v in sorted(row.counts.items()))),
            ("State", row.state + (f" — {row.message}" if row.message else "")),
            ("Connection", row.connection),
            ("Resubmits", row.parent_id),
            ("Changed", row.changes),
        ]

    def _current_changed(self, current: Any, previous: Any) -> None:
        super()._current_changed(current, previous)
        sub = self.current()
        self._update_buttons()
        if sub is not None and sub.id == self._shown_id:
            return  # the list was reloaded: same submission, its rows stay
        self._shown_id = sub.id if sub is not None else ""
        self.units_model.set_rows([])
        self.results_model.set_rows([])
        self.results_note.setText("")
        self.history.setText("")
        self._status_timer.stop()
        if sub is not None:
            self.units_note.setText("Reading the submission…")
            self.spawn(self._show_units(sub.id), "Read the submission")
        else:
            self.units_note.setText("")

    async def _show_units(self, submission_id: str) -> None:
        units = await self.submissions.units(submission_id)
        if submission_id != self._shown_id:
            return
        self.units_model.set_rows(units)
        self.cost_line.set_units(submission_id, units)
        self._note(units)
        # Following starts at once: the jobs' status is read now and then every refresh interval.
        self._follow(units)

    def _follow(self, units: list[Unit]) -> None:
        """Read the status now and keep polling while visible, unless every job has ended."""
        sub = self.current()
        if sub is None or not self.submissions.connected or not sub.submitted:
            self._status_timer.stop()
            return
        if all_terminal(units) and not self.submissions.is_sending(sub.id) and units_cover(sub, units):
            self._status_timer.stop()
            return
        if not units:
            self.units_note.setText("Reading the jobs' status…")
        self._poll_status()
        if self.isVisible():
            self._status_timer.start(self.services.settings.refresh_interval_s * 1000)

    @property
    def following(self) -> bool:
        return self._status_timer.isActive()

    def _poll_status(self) -> None:
        if self._status_task is not None and not self._status_task.done():
            return
        self._status_task = self.spawn(self._poll_once(), "Refresh job status")

    async def _poll_once(self) -> None:
        try:
            units = await self.refresh_units()
        except BatchGuiError as error:
            self.units_note.setText(f"Cannot read the jobs' status: {error.message()} (retrying).")
            return
        sub = self.current()
        if (
            sub is not None
            and all_terminal(units)
            and not self.submissions.is_sending(sub.id)
            and units_cover(sub, units)
        ):
            self._status_timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_id:
            self._follow(self.units_model.all_rows())

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._status_timer.stop()

    def _update_buttons(self) -> None:
        sub, connected = self.current(), self.submissions.connected
        sending = sub is not None and self.submissions.is_sending(sub.id)
        self.status_button.setEnabled(sub is not None and connected and sub.submitted > 0)
        self.resume_button.setEnabled(sub is not None and connected and sub.resumable and not sending)
        units = self.units_model.all_rows() if sub is not None and sub.id == self._shown_id else []
        self.retry_button.setEnabled(connected and bool(units_failed(units)) and not sending)
        self.export_rows_button.setEnabled(bool(units))

    def _note(self, units: list[Unit]) -> None:
        failed = units_failed(units)
        sub = self.current()
        if not units:
            if sub is not None and not sub.submitted:
                self.units_note.setText(
                    "Nothing was sent (a dry run)."
                    if sub.state == SubmissionState.DRY_RUN
                    else "No job was submitted yet: press Resume to send the requests."
                )
            elif not self.submissions.connected:
                self.units_note.setText("Connect to read the jobs' status.")
            else:
                self.units_note.setText("Reading the jobs' status…")
        else:
            rows = sum(u.row_count for u in units)
            done = sum(u.row_count for u in units if u.status == "SUCCEEDED")
            self.units_note.setText(
                f"{done:,} of {plural(rows, 'row')} SUCCEEDED"
                + (f", {plural(len(failed), 'job')} FAILED" if failed else "")
                + ("" if all_terminal(units) else " · following")
            )
        self._update_buttons()

    # --- a row's job --------------------------------------------------------------------------
    def unit_at(self, index: QModelIndex | None = None) -> Unit | None:
        return self.units_model.row_at(self.units_table.currentIndex() if index is None else index)

    def open_unit(self, index: QModelIndex | None = None, log: bool = True) -> bool:
        """Show the row's job (an array child: that child) in the Jobs panel, on its Log tab."""
        unit = self.unit_at(index)
        if unit is None or not unit.job_id:
            self.units_note.setText("This row has no job yet: it was not sent.")
            return False
        if self.on_open_job is None:
            return False
        self.on_open_job(unit.job_id, log)
        return True

    def copy_unit_job_id(self) -> None:
        unit = self.unit_at()
        if unit is not None and unit.job_id:
            QGuiApplication.clipboard().setText(unit.job_id)

    def unit_menu(self, unit: Unit) -> QMenu:
        """The right-click menu of the current row: Open job, Open log, Copy job ID."""
        menu = QMenu(self)
        for text, slot in (
            ("Open job", lambda: self.open_unit(log=False)),
            ("Open log", lambda: self.open_unit(log=True)),
            ("Copy job ID", self.copy_unit_job_id),
        ):
            menu.addAction(text, slot).setEnabled(bool(unit.job_id))
        return menu

    def _units_menu(self, position: QPoint) -> None:
        index = self.units_table.indexAt(position)
        unit = self.unit_at(index)
        if unit is None:
            return
        self.units_table.setCurrentIndex(index)
        menu = self.unit_menu(unit)
        menu.exec(self.units_table.viewport().mapToGlobal(position))
        menu.deleteLater()

    # --- actions ------------------------------------------------------------------------------
    async def refresh_units(self) -> list[Unit]:
        sub = self.current()
        if sub is None or not self.submissions.connected:
            return []
        units = await self.submissions.refresh_status(sub.id)
        shown = self.current()
        if shown is not None and shown.id == sub.id:
            self.units_model.set_rows(units)
            self._note(units)
        return units

    async def show_history(self) -> None:
        """The selected row's attempts across the submission and its resubmissions."""
        sub = self.current()
        unit = self.units_model.row_at(self.units_table.currentIndex())
        if sub is None or unit is None:
            self.history.setText("")
            return
        attempts = await self.submissions.row_history(sub.id, unit.first_row)
        if len(attempts) <= 1:
            self.history.setText(f"Row {unit.rows_text}: one attempt.")
            return
        parts = [
            f"{s.id} · {u.job_id or 'not sent'} · {u.status}"
            + ("" if u.exit_code is None else f" (exit {u.exit_code})")
            + (f" · changed: {s.changes}" if s.changes else "")
            for s, u in attempts
        ]
        self.history.setText(f"History of row {unit.first_row}: " + "  →  ".join(parts))

    async def resume(self) -> None:
        sub = self.current()
        if sub is None or not self.submissions.connected:
            return
        try:
            self.resume_button.setEnabled(False)
            outcome = await self.submissions.submit(sub.id)
        except BatchGuiError as error:
            self.units_note.setText(f"{error.message()}\nPress Resume again when the network is back.")
            return
        finally:
            self._update_buttons()
        self.units_note.setText(f"{outcome.submitted:,} of {outcome.total:,} submitted.")
        self._follow(self.units_model.all_rows())

    async def resubmit_failed(self, ask: bool = True) -> Submission | None:
        """A new submission for the failed rows; with `ask`, the person edits and sees it first."""
        sub = self.current()
        if sub is None or not self.submissions.connected:
            return None
        failed = units_failed(self.units_model.all_rows())
        if not failed:
            return None
        changes = RetryChanges()
        if ask:
            dialog = ResubmitDialog(self.submissions, self.services.tasks, sub, failed, self)
            if not await wait_finished(dialog):
                return None
            changes = dialog.changes()
        try:
            retry = await self.submissions.create_retry(sub.id, failed, changes)
            await self.submissions.submit(retry.id)
        except BatchGuiError as error:
            self.units_note.setText(f"{error.message()}\nThe resubmission can be resumed from its row.")
            return None
        self.select(retry.id)
        return retry

    def export_units(self) -> None:
        sub = self.current()
        name = f"submission-{sub.id}.csv" if sub else "submission.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export rows", name, "CSV (*.csv)")
        if path:
            self.export_units_to(Path(path))

    def export_units_to(self, path: Path) -> asyncio.Task[Any]:
        text = rows_to_csv(self.units_model.columns, self.units_model.visible_rows())
        return self.spawn(self.services.files.write_text(path, text), "Export submission rows")

    def cancel_results(self) -> None:
        self._results_stop.set()
        self.results_note.setText("Cancelling after the page being read…")

    async def load_results(self) -> list[dict[str, str]]:
        """The items the jobs wrote, read page by page with a running count; Cancel keeps what was read."""
        sub = self.current()
        if sub is None or not self.submissions.connected:
            return []
        if not sub.results_table:
            self.results_note.setText("This submission's job definition names no results table.")
            return []
        self._results_stop = threading.Event()
        self.results_button.setEnabled(False)
        self.results_cancel.setEnabled(True)
        self.results_note.setText(f"Reading {sub.results_table}…")

        def progress(count: int) -> None:
            self.results_note.setText(f"Reading {sub.results_table}: {plural(count, 'item')} so far…")

        try:
            results = await self.submissions.results(sub, progress, self._results_stop)
        except BatchGuiError as error:
            self.results_note.setText(error.message())
            return []
        finally:
            self.results_button.setEnabled(True)
            self.results_cancel.setEnabled(False)
        items = results.items
        names: list[str] = []
        for item in items[:200]:
            for key in item:
                if key not in names:
                    names.append(key)
        first = [n for n in ("row_number", "job_id", "array_index") if n in names]
        ordered = first + [n for n in names if n not in first]
        columns = [Column[dict[str, str]](n, _field(n), width=110) for n in ordered]
        self.results_model = RowTableModel(columns, lambda r: r.get("row_number", ""), self)
        self.results_table.setModel(self.results_model)
        items.sort(key=lambda r: int(r.get("row_number", "0") or 0))
        self.results_model.set_rows(items)
        stopped = "" if results.complete else " (reading was cancelled: these are the first ones)"
        self.results_note.setText(
            f"{plural(len(items), 'item')} in {results.table} for submission {sub.id}{stopped}."
        )
        return items


def units_cover(sub: Submission, units: list[Unit]) -> bool:
    """The status read covers every submitted request (not only those sent before the last read)."""
    return len({u.seq for u in units}) >= sub.submitted


def _field(name: str) -> Callable[[dict[str, str]], str]:
    def text(row: dict[str, str]) -> str:
        return row.get(name, "")

    return text
