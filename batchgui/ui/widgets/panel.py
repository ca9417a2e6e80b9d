"""What every panel shares: the services it is given, refresh, auto-refresh while visible, and the
list-with-details layout used by the inventory panels."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QByteArray, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QGuiApplication, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.connection import ConnectionInfo
from batchgui.services.connections import ConnectionManager
from batchgui.services.events import Listeners
from batchgui.services.files import FileService
from batchgui.services.tasks import TaskSet
from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.columns import (
    ColumnFitter,
    FittingTableView,
    fit_headers,
    header_state,
    restore_header,
)
from batchgui.ui.widgets.empty_state import EMPTY_HINTS, EmptyState, EmptyStateOverlay, Trigger
from batchgui.ui.widgets.icons import PANEL_ICONS, icon
from batchgui.ui.widgets.status import use_status_chips
from batchgui.ui.widgets.table_model import Column, RowTableModel
from batchgui.ui.widgets.view_state import shortcut_action, vertical_split

T = TypeVar("T")
ROW_HEIGHT = 22


@dataclass
class PanelServices:
    """What a panel is given by the composition root."""

    tasks: TaskSet
    connections: ConnectionManager
    settings: AppSettings
    files: FileService
    # How many blocking calls are running (the status bar shows it); panels never run calls themselves.
    calls_in_flight: Listeners[int] = field(default_factory=Listeners)


class Panel(QWidget):
    """A page of the main window. Subclasses implement `load()`; refresh() runs it in the background."""

    panel_id = "panel"
    title = "Panel"
    # A line about what the panel shows (where its rows came from), put in the window's status bar
    # while the panel is the one shown.
    status_widget: QWidget | None = None
    loaded = Signal()
    busy_changed = Signal(bool)

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._loading: asyncio.Task[None] | None = None
        self._stale = True
        self.load_count = 0
        self._auto_refresh = QTimer(self)
        self._auto_refresh.timeout.connect(self._auto_refresh_tick)
        services.connections.info_changed.add(self._connection_changed)

    @property
    def connection(self) -> ConnectionInfo | None:
        """The open connection (where and who), or None."""
        return self.services.connections.current

    def refresh(self) -> None:
        """Reload from the current connection (F5). A reload already running is replaced."""
        if self.connection is None:
            return
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self._stale = False
        self._loading = self.services.tasks.spawn(self._load_and_signal(), f"Refresh {self.title}")

    async def _load_and_signal(self) -> None:
        self.busy_changed.emit(True)
        try:
            await self.load()
            self.load_count += 1
        finally:
            self.busy_changed.emit(False)
            self.loaded.emit()

    async def load(self) -> None:
        """Fetch and show this panel's data (through the panel's facades)."""

    def focus_filter(self) -> None:
        """Ctrl+F: put the cursor in this panel's filter, if it has one."""

    def save_state(self, settings: AppSettings) -> None:
        """Remember splitter positions and the like."""

    def restore_state(self, settings: AppSettings) -> None:
        """Put back what save_state remembered."""

    def _connection_changed(self, connection: ConnectionInfo | None) -> None:
        self._stale = True
        self.on_connection_changed(connection)
        if connection is not None and self.isVisible():
            self.refresh()

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        """Clear what belonged to the previous connection."""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
        self._auto_refresh.start(self.services.settings.refresh_interval_s * 1000)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._auto_refresh.stop()

    def _auto_refresh_tick(self) -> None:
        if self._loading is None or self._loading.done():
            self.refresh()

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        return self.services.tasks.spawn(coro, what)


def make_table_view(
    model: QAbstractTableModel, object_name: str, widths: Sequence[int | None] | None = None
) -> QTableView:
    """A table view set up for big models: fixed row heights, model-side sort, no content sizing.

    Column widths come from `widths`, or from a RowTableModel's columns."""
    if widths is None:
        widths = [c.width for c in model.columns] if isinstance(model, RowTableModel) else []
    view = FittingTableView()
    view.setObjectName(object_name)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(ROW_HEIGHT)
    horizontal = view.horizontalHeader()
    horizontal.setSectionsMovable(True)
    horizontal.setSortIndicatorShown(True)
    for number, width in enumerate(widths):
        view.setColumnWidth(number, width or 120)
    fit_headers(view)
    ColumnFitter(view)
    horizontal.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    horizontal.customContextMenuRequested.connect(
        lambda position: column_menu(view).exec(horizontal.mapToGlobal(position))
    )
    return view


def column_menu(view: QTableView) -> QMenu:
    """The header's right-click menu: a check per column to show or hide it (the header's saved
    state remembers the choice). The last visible column can't be hidden."""
    header = view.horizontalHeader()
    model = view.model()
    menu = QMenu(view)
    menu.setObjectName("columnMenu")
    shown = [n for n in range(model.columnCount()) if not header.isSectionHidden(n)]
    for number in range(model.columnCount()):
        title = str(model.headerData(number, Qt.Orientation.Horizontal) or f"Column {number + 1}")
        action = menu.addAction(title)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(number))
        action.setEnabled(not (len(shown) == 1 and number in shown))
        action.toggled.connect(lambda on, n=number: header.setSectionHidden(n, not on))
    return menu


def rows_to_csv(columns: Sequence[Column[Any]], rows: Sequence[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow([c.text(row) for c in columns])
    return out.getvalue()


def details_html(pairs: Sequence[tuple[str, str]]) -> str:
    from html import escape

    cells = "".join(
        f"<tr><th align='left' valign='top' style='padding-right:12px'>{escape(k)}</th>"
        f"<td>{escape(v).replace(chr(10), '<br>')}</td></tr>"
        for k, v in pairs
    )
    return f"<table cellspacing='2'>{cells}</table>"


def monospace_font() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


class ListPanel(Panel, Generic[T]):
    """A filterable, sortable table with a details pane (structured and raw JSON)."""

    # What the empty table says under "No <title> yet" (EMPTY_HINTS has the inventory panels').
    empty_text = ""

    def __init__(
        self,
        services: PanelServices,
        columns: Sequence[Column[T]],
        key: Callable[[T], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, parent)
        self.model: RowTableModel[T] = RowTableModel(columns, key, self)
        # Actions on the selected rows; the context menu offers the same objects (shortcuts shown,
        # enabled state shared with the action bar).
        self.row_actions: list[QAction] = []
        self.table = make_table_view(self.model, f"{self.panel_id}Table")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName(f"{self.panel_id}Filter")
        self.filter_edit.setPlaceholderText("Filter (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.model.set_filter_text)
        self.count_label = QLabel()
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.setToolTip("Refresh (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton(icon("export"), "Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        self.toolbar = QHBoxLayout()
        self.toolbar.addWidget(self.filter_edit, 1)
        self.toolbar.addWidget(self.count_label)
        self.toolbar.addWidget(self.refresh_button)
        self.toolbar.addWidget(self.export_button)
        self.details = QTextBrowser()
        self.details.setObjectName(f"{self.panel_id}Details")
        self.raw_json = QPlainTextEdit()
        self.raw_json.setReadOnly(True)
        self.raw_json.setFont(monospace_font())
        self.details_tabs = QTabWidget()
        # Alt+D and Alt+J switch the tabs from the keyboard.
        self.details_tabs.addTab(self.details, "&Details")
        self.details_tabs.addTab(self.raw_json, "&JSON")
        self.splitter = vertical_split(self.table, self.details_tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.toolbar)
        layout.addWidget(self.splitter, 1)
        self.model.rows_changed.connect(self._update_count)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.copy_arn_action = shortcut_action(
            self.table, "Copy ARN", QKeySequence.StandardKey.Copy, self.copy_arns
        )
        open_details = QAction("Open details", self)
        open_details.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_details.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_details.triggered.connect(self.open_details)
        self.table.addAction(open_details)
        self.table.doubleClicked.connect(lambda _index: self.open_details())
        self.copy_name_action = QAction("Copy name", self)
        self.copy_name_action.triggered.connect(self.copy_names)
        use_status_chips(self.table)
        self.empty_state = EmptyStateOverlay(
            self.table,
            EmptyState(
                f"No {self.title.lower()} yet",
                self.empty_text or EMPTY_HINTS.get(self.panel_id, ""),
                icon_name=self.panel_id if self.panel_id in PANEL_ICONS else "info",
            ),
            ready=lambda: self.load_count > 0,
            filtered=lambda: bool(self.model.all_rows()),
            clear_filter=self.clear_filters,
        )
        self.loaded.connect(self.empty_state.update)
        self._update_count()

    # --- for subclasses -----------------------------------------------------------------------
    def row_arn(self, row: T) -> str:
        return str(getattr(row, "arn", ""))

    def row_name(self, row: T) -> str:
        return str(getattr(row, "name", ""))

    def row_details(self, row: T) -> list[tuple[str, str]]:
        return []

    def row_raw(self, row: T) -> Any:
        return getattr(row, "raw", {})

    def context_actions(self, menu: QMenu, rows: list[T]) -> None:
        """Add panel-specific actions for the selected rows (by default: `row_actions`)."""
        if self.row_actions:
            menu.addSeparator()
            menu.addActions(self.row_actions)

    # --- behaviour ----------------------------------------------------------------------------
    def selected_row(self) -> T | None:
        """The first selected row, for actions on one row."""
        rows = self.selected_rows()
        return rows[0] if rows else None

    def selected_rows(self) -> list[T]:
        rows = []
        for index in self.table.selectionModel().selectedRows():
            row = self.model.row_at(index)
            if row is not None:
                rows.append(row)
        return rows

    def open_details(self) -> None:
        """Enter (or a double-click) on a row: its details, focused, so the keyboard can scroll them."""
        self.details_tabs.setCurrentIndex(0)
        self.details.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def set_empty_action(self, trigger: Trigger, button_text: str = "") -> None:
        """The button the empty table offers (e.g. Create…, New CSV submission…)."""
        state = self.empty_state.state
        state.set_content(
            state.title,
            state.hint_label.text(),
            trigger,
            button_text=button_text,
            icon_name=self.panel_id if self.panel_id in PANEL_ICONS else "info",
        )

    def clear_filters(self) -> None:
        """Show every row again: the filter text and the action bar's filter choices."""
        self.filter_edit.clear()
        for combo in self.findChildren(QComboBox):
            if combo.objectName().endswith("-filter"):
                combo.setCurrentIndex(0)

    def copy_arns(self) -> None:
        rows = self.selected_rows()
        if rows:
            QGuiApplication.clipboard().setText("\n".join(self.row_arn(r) for r in rows))

    def copy_names(self) -> None:
        rows = self.selected_rows()
        if rows:
            QGuiApplication.clipboard().setText("\n".join(self.row_name(r) for r in rows))

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export table", f"{self.panel_id}.csv", "CSV (*.csv)")
        if path:
            self.export_csv_to(Path(path))

    def export_csv_to(self, path: Path) -> asyncio.Task[Any]:
        text = rows_to_csv(self.model.columns, self.model.visible_rows())
        return self.spawn(self.services.files.write_text(path, text), f"Export {self.title}")

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        self.model.set_rows([])
        self.details.clear()
        self.raw_json.clear()

    def save_state(self, settings: AppSettings) -> None:
        settings.set_bytes_value(f"panels/{self.panel_id}/splitter", self.splitter.saveState())
        settings.set_bytes_value(f"panels/{self.panel_id}/header", header_state(self.table))
        settings.set_bytes_value(
            f"panels/{self.panel_id}/header-columns", QByteArray(self._column_signature())
        )

    def restore_state(self, settings: AppSettings) -> None:
        splitter = settings.bytes_value(f"panels/{self.panel_id}/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        header = settings.bytes_value(f"panels/{self.panel_id}/header")
        columns = settings.bytes_value(f"panels/{self.panel_id}/header-columns")
        # A header saved for other columns (added, removed or reordered since) would put widths and
        # positions on the wrong columns: start from the defaults instead.
        if header is not None and columns is not None and columns.data() == self._column_signature():
            restore_header(self.table, header)

    def _column_signature(self) -> bytes:
        return "\t".join(c.title for c in self.model.columns).encode()

    def _update_count(self) -> None:
        if not self.table.selectionModel().currentIndex().isValid() and self.model.rowCount():
            # Something is always selected, so the details pane is never empty when there are rows.
            self.table.selectRow(0)
        shown, total = self.model.rowCount(), len(self.model.all_rows())
        self.count_label.setText(
            f"{shown} of {total}" if shown != total else f"{total} row{'' if total == 1 else 's'}"
        )

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current)
        if row is None:
            self.details.clear()
            self.raw_json.clear()
            return
        self.details.setHtml(details_html(self.row_details(row)))
        self.raw_json.setPlainText(json.dumps(self.row_raw(row), indent=2, default=str, sort_keys=True))

    def _context_menu(self, position: QPoint) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        menu = QMenu(self)
        # The panel's own actions, so the menu shows their shortcuts and enabled state.
        menu.addAction(self.copy_arn_action)
        menu.addAction(self.copy_name_action)
        self.context_actions(menu, rows)
        menu.exec(self.table.viewport().mapToGlobal(position))
