"""The jobs table, built for 100,000 rows.

Why not RowTableModel: that model recomputes its whole view on every change. Here:
- rows live in a list with an id -> row index; `_order` holds every row index sorted by the current
  column (ascending by a precomputed key; a descending sort is the same list read backwards, with
  empty values keyed so they still come last), and `_view` is the filtered subset of `_order`;
- new rows are sorted among themselves and merged into `_order` by bisection (no full re-sort);
- upserts are buffered and applied at most once per FLUSH_MS, so a loading queue repaints ~12 times
  a second however fast pages arrive;
- a status change that does not move a row (sorted on another column, no status tab) is a
  dataChanged, not a relayout: the view keeps its scroll position and selection.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_detail import JobDetail

ModelIndex = QModelIndex | QPersistentModelIndex
JOB_ROLE = Qt.ItemDataRole.UserRole + 1
FLUSH_MS = 80
SortKey = str | float
STATUS_ORDER = {status: number for number, status in enumerate(JobStatus)}
STATUS_COLORS = {
    JobStatus.SUCCEEDED: QColor("#2e7d32"),
    JobStatus.FAILED: QColor("#c62828"),
    JobStatus.RUNNING: QColor("#1565c0"),
    JobStatus.STARTING: QColor("#6a1b9a"),
}
_TEXT_LAST = "\U0010ffff"
_INF = float("inf")


def format_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def definition_name(arn_or_name: str) -> str:
    """`name:revision` from a job definition ARN (or the name as given)."""
    return arn_or_name.rsplit("/", 1)[-1]


def _duration(job: JobSummary) -> float | None:
    return job.duration_s


def _array_text(job: JobSummary, detail: JobDetail | None) -> str:
    if job.array_index is not None:
        return f"#{job.array_index}"
    if job.array_size is None:
        return ""
    if detail is not None and detail.array_status_summary:
        return f"{detail.children_done}/{job.array_size} done"
    return str(job.array_size)


@dataclass(frozen=True)
class JobColumn:
    title: str
    text: Callable[[JobSummary, JobDetail | None], str]
    # The sort key: a str or a number; None means empty (always sorted last).
    key: Callable[[JobSummary, JobDetail | None], str | float | None]
    numeric: bool = False
    width: int = 120
    align_right: bool = False


def _opt_int(value: int | None) -> str:
    return "" if value is None else str(value)


COLUMNS: list[JobColumn] = [
    JobColumn("Name", lambda j, _d: j.name, lambda j, _d: j.name.lower(), width=180),
    JobColumn("Job id", lambda j, _d: j.job_id, lambda j, _d: j.job_id, width=250),
    JobColumn(
        "Status", lambda j, _d: j.status.value, lambda j, _d: STATUS_ORDER[j.status], numeric=True, width=90
    ),
    JobColumn(
        "Status reason",
        lambda j, _d: j.status_reason,
        lambda j, _d: j.status_reason.lower() or None,
        width=180,
    ),
    JobColumn("Queue", lambda j, _d: j.queue, lambda j, _d: j.queue, width=120),
    JobColumn(
        "Definition",
        lambda j, _d: definition_name(j.job_definition),
        lambda j, _d: definition_name(j.job_definition).lower() or None,
        width=160,
    ),
    JobColumn("Created", lambda j, _d: format_time(j.created_at), lambda j, _d: j.created_at, True, 140),
    JobColumn("Started", lambda j, _d: format_time(j.started_at), lambda j, _d: j.started_at, True, 140),
    JobColumn("Stopped", lambda j, _d: format_time(j.stopped_at), lambda j, _d: j.stopped_at, True, 140),
    JobColumn(
        "Duration", lambda j, _d: format_duration(_duration(j)), lambda j, _d: _duration(j), True, 70, True
    ),
    JobColumn(
        "Attempts",
        lambda _j, d: "" if d is None else str(len(d.attempts)),
        lambda _j, d: None if d is None else len(d.attempts),
        True,
        60,
        True,
    ),
    JobColumn("Exit code", lambda j, _d: _opt_int(j.exit_code), lambda j, _d: j.exit_code, True, 60, True),
    JobColumn(
        "Array",
        _array_text,
        lambda j, _d: j.array_size if j.array_size is not None else j.array_index,
        True,
        90,
        True,
    ),
    JobColumn(
        "Platform",
        lambda _j, d: "" if d is None else d.platform,
        lambda _j, d: None if d is None or not d.platform else d.platform,
        width=80,
    ),
]
COLUMN_OF = {c.title: n for n, c in enumerate(COLUMNS)}


class JobsTableModel(QAbstractTableModel):
    """Jobs keyed by id, sorted and filtered in the model, updated in coalesced batches."""

    counts_changed = Signal()
    rows_changed = Signal()

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self.columns = COLUMNS
        self._rows: list[JobSummary] = []
        self._index: dict[str, int] = {}
        self._search: list[str] = []
        self._details: dict[str, JobDetail] = {}
        self._counts: dict[JobStatus, int] = dict.fromkeys(JobStatus, 0)
        self._sort_column = -1
        self._descending = False
        self._order: list[int] = []
        self._order_keys: list[SortKey] = []
        self._view: list[int] = self._order
        self._status_filter: JobStatus | None = None
        self._words: list[str] = []
        self._pending: dict[str, JobSummary] = {}
        self._pending_details: dict[str, JobDetail] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(flush_ms)
        self._flush_timer.timeout.connect(self.flush)

    # --- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._view)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def _source(self, position: int) -> int:
        return self._view[len(self._view) - 1 - position] if self._descending else self._view[position]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._view):
            return None
        job = self._rows[self._source(index.row())]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(job, self._details.get(job.job_id))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.title == "Status reason":
                return job.status_reason or None
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column.title == "Status":
            return STATUS_COLORS.get(job.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == JOB_ROLE:
            return job
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.flush()
        self.layoutAboutToBeChanged.emit()
        persistent, old = self._remember_persistent()
        self._sort_column = column if 0 <= column < len(self.columns) else -1
        self._descending = self._sort_column >= 0 and order == Qt.SortOrder.DescendingOrder
        self._resort()
        self._view = self._filtered()
        self._restore_persistent(persistent, old)
        self.layoutChanged.emit()
        self.rows_changed.emit()

    # --- reading ------------------------------------------------------------------------------
    def job_at(self, index: ModelIndex) -> JobSummary | None:
        if not index.isValid() or not 0 <= index.row() < len(self._view):
            return None
        return self._rows[self._source(index.row())]

    def job(self, job_id: str) -> JobSummary | None:
        number = self._index.get(job_id)
        return None if number is None else self._rows[number]

    def detail(self, job_id: str) -> JobDetail | None:
        return self._details.get(job_id)

    def row_of(self, job_id: str) -> int:
        """The displayed row of a job, or -1 when it is not shown."""
        number = self._index.get(job_id)
        if number is None:
            return -1
        try:
            position = self._view.index(number)
        except ValueError:
            return -1
        return len(self._view) - 1 - position if self._descending else position

    def visible_jobs(self) -> list[JobSummary]:
        view = reversed(self._view) if self._descending else self._view
        return [self._rows[i] for i in view]

    def all_jobs(self) -> list[JobSummary]:
        """Every job the model holds, shown or filtered out, in arrival order."""
        return list(self._rows)

    def total(self) -> int:
        return len(self._rows)

    def counts(self) -> dict[JobStatus, int]:
        return dict(self._counts)

    @property
    def status_filter(self) -> JobStatus | None:
        return self._status_filter

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._pending_details)

    # --- changing -----------------------------------------------------------------------------
    def upsert(self, jobs: Iterable[JobSummary]) -> None:
        """New jobs and new states of known jobs; applied at the next flush (≤ FLUSH_MS)."""
        for job in jobs:
            self._pending[job.job_id] = job
        self._schedule()

    def set_details(self, details: Iterable[JobDetail]) -> None:
        """DescribeJobs results: extra columns (attempts, platform, array progress) and fresher states."""
        for detail in details:
            self._pending_details[detail.job_id] = detail
            self._pending[detail.job_id] = detail.summary
        self._schedule()

    def clear(self) -> None:
        self._flush_timer.stop()
        self.beginResetModel()
        self._rows = []
        self._index = {}
        self._search = []
        self._details = {}
        self._pending = {}
        self._pending_details = {}
        self._counts = dict.fromkeys(JobStatus, 0)
        self._order = []
        self._order_keys = []
        self._view = self._order
        self.endResetModel()
        self.counts_changed.emit()
        self.rows_changed.emit()

    def set_status_filter(self, status: JobStatus | None) -> None:
        if status == self._status_filter:
            return
        self._status_filter = status
        self._refilter()

    def set_filter_text(self, text: str) -> None:
        """Show jobs whose name, id or definition contains every word of `text` (case-insensitive)."""
        words = text.lower().split()
        if words == self._words:
            return
        self._words = words
        self._refilter()

    def _schedule(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Apply buffered upserts now: one model signal for the whole batch."""
        self._flush_timer.stop()
        if not self._pending and not self._pending_details:
            return
        pending, self._pending = self._pending, {}
        old_details = {job_id: self._details.get(job_id) for job_id in self._pending_details}
        self._details.update(self._pending_details)
        detail_ids = set(self._pending_details)
        self._pending_details = {}
        new_jobs: list[JobSummary] = []
        moved: list[int] = []
        changed = bool(detail_ids)
        counts = self._counts
        sort_column = self.columns[self._sort_column] if self._sort_column >= 0 else None
        status_moves = False
        for job_id, job in pending.items():
            number = self._index.get(job_id)
            if number is None:
                new_jobs.append(job)
                continue
            old = self._rows[number]
            if old == job and job_id not in detail_ids:
                continue
            changed = True
            self._rows[number] = job
            if old.status is not job.status:
                counts[old.status] -= 1
                counts[job.status] += 1
                status_moves = status_moves or self._status_filter is not None
            if old.name != job.name or old.job_definition != job.job_definition:
                self._search[number] = _search_text(job)
            if sort_column is not None:
                details = self._details.get(job_id)
                before = old_details.get(job_id, details)
                if sort_column.key(old, before) != sort_column.key(job, details):
                    moved.append(number)
        if not new_jobs and not changed:
            return
        if not new_jobs and not moved and not status_moves:
            # Nothing moves: repaint what is shown, keep scroll and selection as they are.
            if self._view:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(self._view) - 1, len(self.columns) - 1)
                )
            self.counts_changed.emit()
            return
        start = len(self._rows)
        for job in new_jobs:
            self._index[job.job_id] = len(self._rows)
            self._rows.append(job)
            self._search.append(_search_text(job))
            counts[job.status] += 1
        added = list(range(start, len(self._rows)))
        appending = sort_column is None and not moved and not status_moves
        if appending and not self._filtering():
            first = len(self._view)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._order.extend(added)
            self._view = self._order
            self.endInsertRows()
        elif appending:
            shown = self._filter_rows(added)
            if shown:
                first = len(self._view)
                self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
                self._order.extend(added)
                self._view.extend(shown)
                self.endInsertRows()
            else:
                self._order.extend(added)
        else:
            self.layoutAboutToBeChanged.emit()
            persistent, old_view = self._remember_persistent()
            if moved:
                self._remove_from_order(moved)
            self._insert_into_order(moved + added)
            self._view = self._filtered()
            self._restore_persistent(persistent, old_view)
            self.layoutChanged.emit()
        self.counts_changed.emit()
        self.rows_changed.emit()

    # --- internals ----------------------------------------------------------------------------
    def _filtering(self) -> bool:
        return self._status_filter is not None or bool(self._words)

    def _filter_rows(self, candidates: Sequence[int]) -> list[int]:
        if not self._filtering():
            return list(candidates)
        status, words, rows, search = self._status_filter, self._words, self._rows, self._search
        shown = list(candidates)
        if status is not None:
            shown = [i for i in shown if rows[i].status is status]
        for word in words:
            shown = [i for i in shown if word in search[i]]
        return shown

    def _filtered(self) -> list[int]:
        return self._filter_rows(self._order) if self._filtering() else self._order

    def _refilter(self) -> None:
        self.flush()
        self.layoutAboutToBeChanged.emit()
        persistent, old = self._remember_persistent()
        self._view = self._filtered()
        self._restore_persistent(persistent, old)
        self.layoutChanged.emit()
        self.rows_changed.emit()

    def _key_of(self, number: int) -> SortKey:
        column = self.columns[self._sort_column]
        job = self._rows[number]
        value = column.key(job, self._details.get(job.job_id))
        if value is None or value == "":
            # Empty values come last whichever way the column is sorted.
            if column.numeric:
                return -_INF if self._descending else _INF
            return "" if self._descending else _TEXT_LAST
        return value

    def _resort(self) -> None:
        if self._sort_column < 0:
            self._order = list(range(len(self._rows)))
            self._order_keys = []
            return
        column = self.columns[self._sort_column]
        key, details = column.key, self._details
        if details:
            get = details.get
            raw = [key(job, get(job.job_id)) for job in self._rows]
        else:
            raw = [key(job, None) for job in self._rows]
        if column.numeric:
            empty: SortKey = -_INF if self._descending else _INF
        else:
            empty = "" if self._descending else _TEXT_LAST
        keys: list[SortKey] = [empty if v is None or v == "" else v for v in raw]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._order = order
        self._order_keys = [keys[i] for i in order]

    def _remove_from_order(self, numbers: Sequence[int]) -> None:
        gone = set(numbers)
        keep = [n for n, number in enumerate(self._order) if number not in gone]
        self._order = [self._order[n] for n in keep]
        if self._order_keys:
            self._order_keys = [self._order_keys[n] for n in keep]

    def _insert_into_order(self, numbers: Sequence[int]) -> None:
        if self._sort_column < 0:
            self._order = self._order + list(numbers)
            return
        items = sorted((self._key_of(n), n) for n in numbers)
        if len(items) > len(self._order) // 4:
            self._resort()
            return
        order, keys = self._order, self._order_keys
        new_order: list[int] = []
        new_keys: list[SortKey] = []
        start = 0
        for key, number in items:
            at = bisect.bisect_right(keys, key, lo=start)
            new_order.extend(order[start:at])
            new_keys.extend(keys[start:at])
            new_order.append(number)
            new_keys.append(key)
            start = at
        new_order.extend(order[start:])
        new_keys.extend(keys[start:])
        self._order, self._order_keys = new_order, new_keys

    def _remember_persistent(self) -> tuple[list[QModelIndex], list[int]]:
        """The persistent indexes (selection, current) and the rows they point at."""
        persistent = self.persistentIndexList()
        sources = [self._source(p.row()) if 0 <= p.row() < len(self._view) else -1 for p in persistent]
        return persistent, sources

    def _restore_persistent(self, persistent: list[QModelIndex], sources: list[int]) -> None:
        if not persistent:
            return
        position: dict[int, int] = {}
        for source in set(sources):
            if source < 0:
                continue
            try:
                at = self._view.index(source)
            except ValueError:
                continue
            position[source] = len(self._view) - 1 - at if self._descending else at
        new_indexes = [
            self.index(position[s], p.column()) if s in position else QModelIndex()
            for p, s in zip(persistent, sources, strict=True)
        ]
        self.changePersistentIndexList(persistent, new_indexes)


def _search_text(job: JobSummary) -> str:
    return f"{job.name}\t{job.job_id}\t{definition_name(job.job_definition)}".lower()
