"""The lines of one log stream as a list model: a window of the stream, grown a page at a time.

Rows are kept a page at a time, as tuples (timestamps, texts) of lines split on a worker; nothing is
formatted until a row is painted (`data()` formats the timestamp of the rows on screen only). Tuples,
not one big list: a tuple of strings and ints holds nothing the garbage collector must follow, so it
stops tracking it, while a list of a million lines is walked by every full collection (110 ms here,
on whichever thread triggers it, with the GUI thread waiting on the GIL). The window knows how to
grow: `older_token` reads the page before its first line (None once the stream's head is in),
`newer_token` the page after its last line when the window is not the live end (a search result's
page).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt

from batchgui.domain.job_logs import LogPage, StampFormat

Index = QModelIndex | QPersistentModelIndex
# Longer lines are painted cut (the tooltip and copy give them whole): painting 100k characters of
# one row would stall the window.
PAINT_CHARS = 2000
TIME_CHARS = len("00:00:00.000  ")
# A follower's small pages (a few lines a poll) join the last page's tuples up to this many lines, so
# a long follow does not leave one tuple per poll.
MERGE_ROWS = 2000


class PagedLines:
    """Lines and their timestamps, a tuple pair per page, addressed by row."""

    def __init__(self) -> None:
        self.stamps: list[tuple[int, ...]] = []
        self.texts: list[tuple[str, ...]] = []
        self._starts: list[int] = []  # each page's first row
        self.count = 0

    def _reindex(self) -> None:
        sizes = [len(page) for page in self.texts]
        self._starts = [0, *accumulate(sizes[:-1])] if sizes else []
        self.count = sum(sizes)

    def _at(self, row: int) -> tuple[int, int]:
        if not 0 <= row < self.count:
            raise IndexError(row)
        page = bisect_right(self._starts, row) - 1
        return page, row - self._starts[page]

    def line(self, row: int) -> str:
        page, offset = self._at(row)
        return self.texts[page][offset]

    def stamp(self, row: int) -> int:
        page, offset = self._at(row)
        return self.stamps[page][offset]

    def prepend(self, stamps: list[int], texts: list[str]) -> None:
        if texts:
            self.stamps.insert(0, tuple(stamps))
            self.texts.insert(0, tuple(texts))
            self._reindex()

    def append(self, stamps: list[int], texts: list[str]) -> None:
        if not texts:
            return
        if self.texts and len(self.texts[-1]) + len(texts) <= MERGE_ROWS:
            self.stamps[-1] += tuple(stamps)
            self.texts[-1] += tuple(texts)
            self.count += len(texts)
            return
        self.stamps.append(tuple(stamps))
        self.texts.append(tuple(texts))
        self._starts.append(self.count)
        self.count += len(texts)

    def first_at_or_after(self, timestamp_ms: int) -> int:
        """The first row whose timestamp is not before `timestamp_ms` (rows are in time order)."""
        for page, stamps in enumerate(self.stamps):
            if stamps and stamps[-1] >= timestamp_ms:
                return self._starts[page] + bisect_left(stamps, timestamp_ms)
        return self.count


class LogLinesModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = PagedLines()
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
        return 0 if parent.isValid() else self.rows.count

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            text = self.rows.line(row)
            if len(text) > PAINT_CHARS:
                text = text[:PAINT_CHARS] + " …"
            return f"{self._stamp(self.rows.stamp(row))}  {text}" if self.show_times else text
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.width_hint(), self.row_height)
        if role == Qt.ItemDataRole.ToolTipRole and len(line := self.rows.line(row)) > PAINT_CHARS:
            return line[:20_000]
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
        self.rows = PagedLines()
        self.rows.append(page.stamps, page.lines)
        self._widest = max(map(len, page.lines), default=0)
        self.older_token = page.next_backward_token
        self.head_reached = page.next_backward_token is None
        self.newer_token = None if live else page.next_forward_token
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = PagedLines()
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
            self.rows.prepend(page.stamps, page.lines)
            self._widest = max(self._widest, *map(len, page.lines))
            self.endInsertRows()
        return count

    def append(self, page: LogPage) -> int:
        """New lines after the last one; the number added."""
        count = len(page.lines)
        if count:
            first = self.rows.count
            self.beginInsertRows(QModelIndex(), first, first + count - 1)
            self.rows.append(page.stamps, page.lines)
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
        if self.rows.count:
            self.dataChanged.emit(self.index(0), self.index(self.rows.count - 1))

    # --- reading rows ---------------------------------------------------------------------------
    def text(self, row: int) -> str:
        """A row as shown (its time when times are shown), uncut."""
        line = self.rows.line(row)
        return f"{self._stamp(self.rows.stamp(row))}  {line}" if self.show_times else line

    def texts(self, rows: list[int]) -> str:
        return "\n".join(self.text(row) for row in sorted(rows))

    def find(self, timestamp_ms: int, message: str) -> int:
        """The row of an event (its first line) by time and text; -1 when not in the window."""
        first_line = message.rstrip("\n").split("\n", 1)[0]
        rows = self.rows
        for row in range(rows.first_at_or_after(timestamp_ms), rows.count):
            if rows.stamp(row) != timestamp_ms:
                break
            if rows.line(row) == first_line:
                return row
        return -1
