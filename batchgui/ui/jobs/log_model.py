"""The lines of one log stream as a list model: a window of the stream, grown a page at a time.

Rows are two plain lists (timestamps, texts) filled from pages whose lines were split on a worker;
nothing is formatted until a row is painted (`data()` formats the timestamp of the rows on screen
only), so a million lines cost two list slots each. The window knows how to grow: `older_token`
reads the page before its first line (None once the stream's head is in), `newer_token` the page
after its last line when the window is not the live end (a search result's page).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt

from batchgui.domain.job_logs import LogPage, StampFormat

Index = QModelIndex | QPersistentModelIndex
# Longer lines are painted cut (the tooltip and copy give them whole): painting 100k characters of
# one row would stall the window.
PAINT_CHARS = 2000
TIME_CHARS = len("00:00:00.000  ")


class LogLinesModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stamps: list[int] = []
        self.lines: list[str] = []
        self.show_times = True
        self.older_token: str | None = None
        self.newer_token: str | None = None  # set: the window ends before the stream's end
        self.head_reached = False
        self.char_width = 8
        self.row_height = 16
        self._widest = 0
        self._stamp = StampFormat()

    # --- Qt -------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.lines)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            text = self.lines[row]
            if len(text) > PAINT_CHARS:
                text = text[:PAINT_CHARS] + " …"
            return f"{self._stamp(self.stamps[row])}  {text}" if self.show_times else text
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.width_hint(), self.row_height)
        if role == Qt.ItemDataRole.ToolTipRole and len(self.lines[row]) > PAINT_CHARS:
            return self.lines[row][:20_000]
        return None

    def width_hint(self) -> int:
        chars = min(self._widest, PAINT_CHARS + 2) + (TIME_CHARS if self.show_times else 0)
        return (chars + 2) * self.char_width

    # --- the window -----------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """The window ends at the stream's end: a follower's new lines belong after it."""
        return self.newer_token is None

    def start(self, page: LogPage, *, live: bool) -> None:
        """Start over from one page (the newest page, or a search result's page)."""
        self.beginResetModel()
        self.stamps = list(page.stamps)
        self.lines = list(page.lines)
        self._widest = max(map(len, self.lines), default=0)
        self.older_token = page.next_backward_token
        self.head_reached = page.next_backward_token is None
        self.newer_token = None if live else page.next_forward_token
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.stamps, self.lines = [], []
        self._widest = 0
        self.older_token = self.newer_token = None
        self.head_reached = False
        self.endResetModel()

    def prepend(self, page: LogPage) -> int:
        """An older page before the first line; the number of lines added."""
        if not page.lines and (page.at_edge or page.next_backward_token in (None, self.older_token)):
            self.head_reached = True  # AWS answers the token it was given at the head
            self.older_token = None
            return 0
        self.older_token = page.next_backward_token
        count = len(page.lines)
        if count:
            self.beginInsertRows(QModelIndex(), 0, count - 1)
            self.stamps[0:0] = page.stamps
            self.lines[0:0] = page.lines
            self._widest = max(self._widest, *map(len, page.lines))
            self.endInsertRows()
        return count

    def append(self, page: LogPage) -> int:
        """New lines after the last one; the number added."""
        count = len(page.lines)
        if count:
            first = len(self.lines)
            self.beginInsertRows(QModelIndex(), first, first + count - 1)
            self.stamps.extend(page.stamps)
            self.lines.extend(page.lines)
            self._widest = max(self._widest, *map(len, page.lines))
            self.endInsertRows()
        return count

    def extend_newer(self, page: LogPage) -> int:
        """The page after a search result's window (at the stream's end it stays where it is)."""
        if page.next_forward_token:
            self.newer_token = page.next_forward_token
        return self.append(page)

    @property
    def can_fetch_older(self) -> bool:
        return self.older_token is not None and not self.head_reached

    def set_show_times(self, on: bool) -> None:
        self.show_times = on
        if self.lines:
            self.dataChanged.emit(self.index(0), self.index(len(self.lines) - 1))

    # --- reading rows ---------------------------------------------------------------------------
    def text(self, row: int) -> str:
        """A row as shown (its time when times are shown), uncut."""
        line = self.lines[row]
        return f"{self._stamp(self.stamps[row])}  {line}" if self.show_times else line

    def texts(self, rows: list[int]) -> str:
        return "\n".join(self.text(row) for row in sorted(rows))

    def find(self, timestamp_ms: int, message: str) -> int:
        """The row of an event (its first line) by time and text; -1 when not in the window."""
        first_line = message.rstrip("\n").split("\n", 1)[0]
        start = bisect_left(self.stamps, timestamp_ms)  # lines are in time order within a job's log
        for row in range(start, len(self.stamps)):
            if self.stamps[row] != timestamp_ms:
                break
            if self.lines[row] == first_line:
                return row
        return -1
