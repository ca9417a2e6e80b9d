"""Help → Keyboard shortcuts (F1): every shortcut the window and its panels define, read from the
actions themselves, so the list can never drift from what the keys do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout, QWidget

from batchgui.ui.widgets.panel import make_table_view
from batchgui.ui.widgets.table_model import Column, RowTableModel


@dataclass(frozen=True)
class Shortcut:
    keys: str
    action: str
    where: str
    order: int = 0  # where it was found: the window's menus first, then the panels in navigation order


def action_shortcuts(actions: Iterable[QAction], where: str) -> list[Shortcut]:
    """The shortcuts of `actions` as a person reads them ("Ctrl+Shift+N", "Create…")."""
    found = []
    for action in actions:
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()
        )
        name = (action.text() or action.toolTip()).replace("&", "").rstrip(".…")
        if keys and name:
            found.append(Shortcut(keys, name, where))
    return found


def collect_shortcuts(window: QWidget, panels: Iterable[tuple[str, QWidget]]) -> list[Shortcut]:
    """The main window's menu shortcuts, then each panel's own, without repeats."""
    seen: set[tuple[str, str]] = set()
    rows: list[Shortcut] = []
    panel_widgets = [w for _, w in panels]
    window_actions = [
        a for a in window.findChildren(QAction) if not any(p.isAncestorOf(_owner(a)) for p in panel_widgets)
    ]
    groups = [("Everywhere", window_actions), *((title, w.findChildren(QAction)) for title, w in panels)]
    for where, actions in groups:
        for shortcut in action_shortcuts(actions, where):
            if (shortcut.keys, shortcut.where) not in seen:
                seen.add((shortcut.keys, shortcut.where))
                rows.append(Shortcut(shortcut.keys, shortcut.action, where, len(rows)))
    return rows


def _owner(action: QAction) -> QWidget:
    parent = action.parent()
    return parent if isinstance(parent, QWidget) else QWidget()


COLUMNS: list[Column[Shortcut]] = [
    Column("Keys", lambda s: s.keys, width=150),
    Column("Action", lambda s: s.action, width=260),
    Column("Where", lambda s: s.where, lambda s: s.order, width=160),
]


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: list[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 520)
        self.model: RowTableModel[Shortcut] = RowTableModel(COLUMNS, lambda s: f"{s.where}\t{s.keys}", self)
        self.model.set_rows(shortcuts)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Find a shortcut or an action")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Find a shortcut")
        self.filter_edit.textChanged.connect(self.model.set_filter_text)
        self.table = make_table_view(self.model, "shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)
