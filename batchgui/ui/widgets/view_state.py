"""Small layout helpers the panels share: a table over its details, table shortcuts, and saving the
splitter and header layout between sessions."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QSplitter, QTableView, QWidget

from batchgui.ui.settings import AppSettings
from batchgui.ui.widgets.columns import header_state, restore_header


def vertical_split(top: QWidget, bottom: QWidget, stretch: tuple[int, int] = (3, 2)) -> QSplitter:
    """`top` over `bottom`, sharing spare height in the `stretch` ratio."""
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(top)
    splitter.addWidget(bottom)
    splitter.setStretchFactor(0, stretch[0])
    splitter.setStretchFactor(1, stretch[1])
    return splitter


def shortcut_action(
    on: QWidget, text: str, key: QKeySequence | QKeySequence.StandardKey, slot: Callable[[], object]
) -> QAction:
    """An action with a shortcut that works while `on` (or a child of it) has the focus."""
    action = QAction(text, on)
    action.setShortcut(key)
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    on.addAction(action)
    return action


def save_view(settings: AppSettings, key: str, splitter: QSplitter, table: QTableView) -> None:
    settings.set_bytes_value(f"{key}/splitter", splitter.saveState())
    settings.set_bytes_value(f"{key}/header", header_state(table))


def restore_view(settings: AppSettings, key: str, splitter: QSplitter, table: QTableView) -> None:
    saved = settings.bytes_value(f"{key}/splitter")
    if saved is not None:
        splitter.restoreState(saved)
    header = settings.bytes_value(f"{key}/header")
    if header is not None:
        restore_header(table, header)
