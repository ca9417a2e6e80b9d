"""An editable two-column table (tags: key/value; fair-share: identifier/weight) and the tags dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.fargate import Problem
from batchgui.ui.widgets.forms import ApplyDialog

ModelIndex = QModelIndex | QPersistentModelIndex
MAX_TAGS = 50


class PairsModel(QAbstractTableModel):
    """Rows of two strings, edited in place."""

    def __init__(self, headers: tuple[str, str], rows: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self._headers = headers
        self._rows: list[list[str]] = [[a, b] for a, b in rows or []]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._rows[index.row()][index.column()]
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or index.row() >= len(self._rows):
            return False
        self._rows[index.row()][index.column()] = str(value)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        return True

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 2:
            return self._headers[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def add_row(self, first: str = "", second: str = "") -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append([first, second])
        self.endInsertRows()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()

    def pairs(self) -> list[tuple[str, str]]:
        """Rows with something in them, trimmed."""
        return [(a.strip(), b.strip()) for a, b in self._rows if a.strip() or b.strip()]


class PairsEditor(QWidget):
    """The table with Add and Remove buttons."""

    def __init__(
        self,
        headers: tuple[str, str],
        rows: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = PairsModel(headers, rows)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def add(self) -> None:
        row = self.model.add_row()
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove_selected(self) -> None:
        self.model.remove_rows([i.row() for i in self.view.selectionModel().selectedRows()])


def tag_problems(pairs: list[tuple[str, str]]) -> list[Problem | str]:
    """AWS tag limits: 50 per resource, key 1-128 chars, value up to 256, no 'aws:' prefix."""
    problems: list[Problem | str] = []
    seen: set[str] = set()
    for key, value in pairs:
        if not key:
            problems.append(f"A tag with value {value!r} has no key.")
            continue
        if len(key) > 128:
            problems.append(f"Tag key {key[:20]}… is longer than 128 characters.")
        if len(value) > 256:
            problems.append(f"Value of tag {key} is longer than 256 characters.")
        if key.lower().startswith("aws:"):
            problems.append(f"Tag key {key}: the aws: prefix is reserved for AWS.")
        if key in seen:
            problems.append(f"Tag key {key} is listed twice.")
        seen.add(key)
    if len(pairs) > MAX_TAGS:
        problems.append(f"At most {MAX_TAGS} tags per resource ({len(pairs)} given).")
    return problems


class TagsDialog(ApplyDialog):
    """View and edit a resource's tags; Save makes the tags exactly what the table shows."""

    def __init__(
        self,
        arn: str,
        tags: dict[str, str],
        save: Callable[[dict[str, str]], Awaitable[None]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Tags", "Save tags", parent)
        self.setObjectName("tagsDialog")
        self.resize(520, 380)
        self._save = save
        heading = QLabel(f"Tags of <b>{arn.rsplit('/', 1)[-1]}</b><br><small>{arn}</small>")
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = PairsEditor(("Key", "Value"), sorted(tags.items()))
        self.body.addWidget(heading)
        self.body.addWidget(self.editor, 1)

    def tags(self) -> dict[str, str]:
        return dict(self.editor.model.pairs())

    def validate(self) -> list[Problem | str]:
        return tag_problems(self.editor.model.pairs())

    async def apply(self) -> None:
        await self._save(self.tags())
