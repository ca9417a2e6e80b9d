"""A table model over typed rows that sorts and filters its own list.

QSortFilterProxyModel took ~9 s to sort 100k rows here; sorting the model's list took 87 ms. So every
table is a RowTableModel: rows are kept in `_rows`; `_view` holds the indices currently shown, in
display order. Replacing rows keeps the selection and scroll position (persistent indexes are
remapped by row key), so a refresh never makes the table jump.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

T = TypeVar("T")
ModelIndex = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    sort_key: Callable[[T], Any] | None = None
    tooltip: Callable[[T], str] | None = None
    align_right: bool = False
    width: int | None = None


def header_text(titles: Sequence[str], section: int, orientation: Qt.Orientation, role: int) -> str | None:
    """headerData for a table: column titles across, row numbers down."""
    if role != Qt.ItemDataRole.DisplayRole:
        return None
    if orientation == Qt.Orientation.Horizontal and 0 <= section < len(titles):
        return titles[section]
    if orientation == Qt.Orientation.Vertical:
        return str(section + 1)
    return None


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None or value == "", value if value is not None else 0)


class RowTableModel(QAbstractTableModel, Generic[T]):
    """Rows of type T shown through `columns`; `key(row)` identifies a row across refreshes."""

    rows_changed = Signal()

    def __init__(
        self, columns: Sequence[Column[T]], key: Callable[[T], str], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._key = key
        self._rows: list[T] = []
        self._search: list[str] = []
        self._view: list[int] = []
        self._filter_text = ""
        self._row_filter: Callable[[T], bool] | None = None
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # --- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._view)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._view):
            return None
        row = self._rows[self._view[index.row()]]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == ROW_ROLE:
            return row
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_text([c.title for c in self._columns], section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._sort_order = order
        self._relayout(self._rows, self._search)

    # --- rows ---------------------------------------------------------------------------------
    @property
    def columns(self) -> list[Column[T]]:
        return list(self._columns)

    def all_rows(self) -> list[T]:
        return list(self._rows)

    def visible_rows(self) -> list[T]:
        return [self._rows[i] for i in self._view]

    def row_at(self, index: ModelIndex) -> T | None:
        if not index.isValid() or index.row() >= len(self._view):
            return None
        return self._rows[self._view[index.row()]]

    def row_of_key(self, key: str) -> int:
        """The visible row number of the row with this key, or -1."""
        for position, source in enumerate(self._view):
            if self._key(self._rows[source]) == key:
                return position
        return -1

    def set_rows(self, rows: Iterable[T]) -> None:
        """Replace all rows, keeping selection and scroll on rows that are still there."""
        new_rows = list(rows)
        self._relayout(new_rows, [self._search_text(r) for r in new_rows])

    def set_filter_text(self, text: str) -> None:
        """Show only rows whose cells contain every word of `text` (case-insensitive)."""
        self._filter_text = text.strip().lower()
        self._relayout(self._rows, self._search)

    def set_row_filter(self, predicate: Callable[[T], bool] | None) -> None:
        """An extra filter (state, platform…) applied together with the text filter."""
        self._row_filter = predicate
        self._relayout(self._rows, self._search)

    # --- internals ----------------------------------------------------------------------------
    def _search_text(self, row: T) -> str:
        return "\t".join(c.text(row) for c in self._columns).lower()

    def _compute_view(self, rows: list[T], search: list[str]) -> list[int]:
        words = self._filter_text.split()
        predicate = self._row_filter
        view = [
            i
            for i in range(len(rows))
            if all(w in search[i] for w in words) and (predicate is None or predicate(rows[i]))
        ]
        if 0 <= self._sort_column < len(self._columns):
            column = self._columns[self._sort_column]
            key_of = column.sort_key or column.text
            keys = [_none_last(key_of(rows[i])) for i in view]
            order = sorted(range(len(view)), key=keys.__getitem__)
            if self._sort_order == Qt.SortOrder.DescendingOrder:
                # Keep empty values last in both directions.
                filled = [i for i in order if not keys[i][0]]
                empty = [i for i in order if keys[i][0]]
                order = filled[::-1] + empty
            view = [view[i] for i in order]
        return view

    def _relayout(self, rows: list[T], search: list[str]) -> None:
        self.layoutAboutToBeChanged.emit()
        old_keys = [self._key(self._rows[i]) for i in self._view]
        persistent = self.persistentIndexList()
        self._rows = rows
        self._search = search
        self._view = self._compute_view(rows, search)
        if persistent:
            position_of_key = {self._key(self._rows[src]): pos for pos, src in enumerate(self._view)}
            new_indexes = []
            for index in persistent:
                row = index.row()
                key = old_keys[row] if 0 <= row < len(old_keys) else None
                new_row = position_of_key.get(key, -1) if key is not None else -1
                new_indexes.append(self.index(new_row, index.column()) if new_row >= 0 else QModelIndex())
            self.changePersistentIndexList(persistent, new_indexes)
        self.layoutChanged.emit()
        self.rows_changed.emit()
