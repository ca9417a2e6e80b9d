"""The jobs table, built for 100,000 rows.

Why not RowTableModel: that model recomputes its whole view on every change. Here:
- rows live in a list with an id -> row index; `_order` holds every row index sorted by the current
  column (ascending by a precomputed key; a descending sort is the same list read backwards, with
  empty values keyed so they still come last), and `_view` is the filtered subset of `_order`;
- new rows are sorted among themselves and merged into `_order` by bisection (no full re-sort);
  the orders of columns sorted before are kept (sort_keys.OrderCache) until a key of theirs changes,
  so sorting by one of them again only merges the rows added since;
- a queue's history (100,000 rows) is made into rows and sorted on a worker (`block_builder`), the
  GUI thread only swaps the block in (`add_block`);
- upserts are buffered and applied at most once per FLUSH_MS, so a loading queue repaints ~12 times
  a second however fast pages arrive; a timed flush applies at most FLUSH_MAX_ROWS of them and
  lets the event loop run before the next slice (100,000 rows from the history arrive at once);
- sort keys are computed per column once (the first time the column is sorted, by plain list
  comprehensions rather than a call per row) and then kept up to date row by row, so sorting
  100,000 rows again is one numpy argsort (numeric columns) or one `sorted` over cached strings;
- a status change that does not move a row (sorted on another column, no status tab) is a
  dataChanged, not a relayout: the view keeps its scroll position and selection;
- rows are compact (ui/jobs/rows.py: a tuple of interned strings and time columns per job), and
  numeric sort keys sit in `array('d')` columns (8 bytes a row, not a 24-byte float object);
- array children's bookkeeping lives in ui/jobs/children.py.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterable, Sequence
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
from batchgui.domain.job_tracking import ArrayProgress
from batchgui.ui.jobs.children import ArrayChildren
from batchgui.ui.jobs.columns import COLUMNS, JobColumn
from batchgui.ui.jobs.rows import INDEX, STATUS, JobRows, RowBlock, build_block
from batchgui.ui.jobs.sort_keys import (
    KeyColumn,
    OrderCache,
    SortedOrder,
    SortKey,
    empty_key,
    is_empty,
    keys_of,
    merge_sorted,
    same_key,
    sort_order,
)
from batchgui.ui.widgets.table_model import header_text

ModelIndex = QModelIndex | QPersistentModelIndex
JOB_ROLE = Qt.ItemDataRole.UserRole + 1
FLUSH_MS = 80
# Rows one timed flush applies (a few ms of GUI time); the rest follow at once, slice by slice.
# With the sandbox and the listing's workers in the app's process the GUI thread shares the GIL
# with them, and 4,000 rows took 20-40 ms of wall time on this 2-core machine.
FLUSH_MAX_ROWS = 2000
# Idle-time sort key computation: rows per slice (a few ms), and the quiet time after the last
# batch of new rows before it starts (so it does not slow a load down).
WARM_ROWS = 5000
WARM_AFTER_MS = 300
STATUS_COLORS = {
    JobStatus.SUCCEEDED: QColor("#2e7d32"),
    JobStatus.FAILED: QColor("#c62828"),
    JobStatus.RUNNING: QColor("#1565c0"),
    JobStatus.STARTING: QColor("#6a1b9a"),
}


COLUMN_OF = {c.title: n for n, c in enumerate(COLUMNS)}


class JobsTableModel(QAbstractTableModel):
    """Jobs keyed by id, sorted and filtered in the model, updated in coalesced batches."""

    counts_changed = Signal()
    rows_changed = Signal()

    def __init__(self, parent: QObject | None = None, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self.columns = COLUMNS
        self._titles = [c.title for c in COLUMNS]
        self._rows = JobRows()
        self._details: dict[str, JobDetail] = {}
        self._counts: dict[JobStatus, int] = dict.fromkeys(JobStatus, 0)
        self._sort_column = -1
        self._descending = False
        self._order: list[int] = []
        # The sort keys of `_order`, in order (for merging new rows in); None until needed.
        self._order_keys: list[SortKey] | None = None
        # Column number -> that column's sort key of every row (see KeyColumn).
        self._key_cache: dict[int, KeyColumn] = {}
        self._orders = OrderCache()  # the orders of the columns sorted before
        self._order_keys_source: Callable[[], list[SortKey]] | None = None
        self._view: list[int] = self._order
        self._status_filter: JobStatus | None = None
        self._words: list[str] = []
        self._pending: dict[str, JobSummary] = {}
        self._pending_details: dict[str, JobDetail] = {}
        self._children = ArrayChildren()
        # The shown rows when some parent is expanded (and no status tab is chosen), else None.
        self._display: list[int] | None = None
        self._flush_ms = flush_ms
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush_slice)
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.timeout.connect(self._warm_keys)

    # --- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._shown_count()

    def _shown_count(self) -> int:
        return len(self._display) if self._display is not None else len(self._view)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def _source(self, position: int) -> int:
        if self._display is not None:
            return self._display[position]
        return self._view[len(self._view) - 1 - position] if self._descending else self._view[position]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._shown_count():
            return None
        number = self._source(index.row())
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column.title == "Name":
                return self._children.name_text(self._rows, number, self._display is not None)
            progress = self._children.progress
            job_id = self._rows.job_id(number)
            if column.title == "Array" and job_id in progress:
                return progress[job_id].text()
            return column.text(self._rows.job(number), self._details.get(job_id))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.title == "Status reason":
                return self._rows.job(number).status_reason or None
            progress = self._children.progress
            job_id = self._rows.job_id(number)
            if column.title == "Array" and job_id in progress:
                return progress[job_id].text()
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column.title == "Status":
            return STATUS_COLORS.get(self._rows.status(number))
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == JOB_ROLE:
            return self._rows.job(number)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return header_text(self._titles, section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.flush()
        column = column if 0 <= column < len(self.columns) else -1
        descending = column >= 0 and order == Qt.SortOrder.DescendingOrder
        if column == self._sort_column and descending == self._descending:
            # Every flush keeps the order right, so the same sort again has nothing to do
            # (QTableView.sortByColumn asks twice: once itself, once through the header).
            return
        self.layoutAboutToBeChanged.emit()
        persistent, old = self._remember_persistent()
        if self._sort_column >= 0:
            left = SortedOrder(self._order, self._order_keys, self._order_keys_source, len(self._rows))
            self._orders.keep((self._sort_column, self._descending), left)
        self._sort_column = column
        self._descending = descending
        kept = self._orders.take((column, descending)) if column >= 0 else None
        if kept is None:
            self._resort()
        else:  # sorted so before and no key of it changed since: merge the rows added since
            self._order, self._order_keys, self._order_keys_source = kept.order, kept.keys, kept.keys_source
            if kept.rows < len(self._rows):
                self._insert_into_order(range(kept.rows, len(self._rows)))
        self._view = self._filtered()
        self._rebuild_display()
        self._restore_persistent(persistent, old)
        self.layoutChanged.emit()
        self.rows_changed.emit()

    # --- reading ------------------------------------------------------------------------------
    def job_at(self, index: ModelIndex) -> JobSummary | None:
        if not index.isValid() or not 0 <= index.row() < self._shown_count():
            return None
        return self._rows.job(self._source(index.row()))

    def job(self, job_id: str) -> JobSummary | None:
        number = self._rows.number(job_id)
        return None if number is None else self._rows.job(number)

    def has_job(self, job_id: str) -> bool:
        return job_id in self._rows

    def detail(self, job_id: str) -> JobDetail | None:
        return self._details.get(job_id)

    def row_of(self, job_id: str) -> int:
        """The displayed row of a job, or -1 when it is not shown."""
        number = self._rows.number(job_id)
        if number is None:
            return -1
        if self._display is not None:
            try:
                return self._display.index(number)
            except ValueError:
                return -1
        try:
            position = self._view.index(number)
        except ValueError:
            return -1
        return len(self._view) - 1 - position if self._descending else position

    def visible_jobs(self) -> list[JobSummary]:
        return self._rows.jobs(self._shown())

    def all_jobs(self) -> list[JobSummary]:
        """Every job the model holds, shown or filtered out, in arrival order."""
        return self._rows.jobs(range(len(self._rows)))

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

    def add_all(self, jobs: Sequence[JobSummary]) -> None:
        """Many jobs at once into an empty model (a queue's history on reopen): one model reset, one
        sort, instead of slices merged in flush by flush. A model that holds rows takes them as upserts."""
        self.add_block(self.block_builder()(jobs))

    def block_builder(self) -> Callable[[Sequence[JobSummary]], RowBlock]:
        """A Qt-free function making jobs into a RowBlock sorted as this table is now: to run on a
        worker, its result handed to `add_block` on the GUI thread."""
        column = self._sort_column
        sort = None if column < 0 else (column, self.columns[column], self._descending)
        return lambda jobs: build_block(jobs, sort)

    def add_block(self, block: RowBlock) -> None:
        """`add_all` of rows already built (see `block_builder`): the GUI thread only swaps them in."""
        if self._rows or self._pending or self._pending_details:
            self.upsert(block.rows.jobs(self._rows.changed_in(block.rows)))  # held rows: what differs
            return
        self.beginResetModel()
        self._orders.clear()
        self._rows = block.rows
        self._counts = dict(block.counts)
        self._children.add(self._rows, block.children)
        if self._sort_column < 0:
            self._order = list(range(len(self._rows)))
        elif block.sort == (self._sort_column, self._descending) and block.keys is not None:
            self._key_cache[self._sort_column] = block.keys
            self._order, self._order_keys, self._order_keys_source = block.order, None, block.order_keys
        else:
            self._resort()
        self._view = self._filtered()
        self._rebuild_display()
        self.endResetModel()
        self._warm_timer.start(WARM_AFTER_MS)
        self.counts_changed.emit()
        self.rows_changed.emit()

    def set_details(self, details: Iterable[JobDetail]) -> None:
        """DescribeJobs results: extra columns (attempts, platform, array progress) and fresher states."""
        for detail in details:
            self._pending_details[detail.job_id] = detail
            self._pending[detail.job_id] = detail.summary
        self._schedule()

    def clear(self) -> None:
        self._flush_timer.stop()
        self.beginResetModel()
        self._rows = JobRows()
        self._details = {}
        self._pending = {}
        self._pending_details = {}
        self._counts = dict.fromkeys(JobStatus, 0)
        self._children.clear()
        self._display = None
        self._order = []
        self._order_keys = None
        self._order_keys_source = None
        self._key_cache = {}
        self._orders.clear()
        self._warm_timer.stop()
        # A filter that stays on needs a view of its own: `_view` is `_order` itself only when nothing
        # is filtered (sharing them while filtering added every new row twice, matching or not).
        self._view = self._filtered()
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
            self._flush_timer.start(self._flush_ms)

    def _flush_slice(self) -> None:
        self.flush(FLUSH_MAX_ROWS)
        if self._pending:
            self._flush_timer.start(0)

    def flush(self, limit: int | None = None) -> None:
        """Apply buffered upserts now (at most `limit` of them): one model signal for the batch."""
        self._flush_timer.stop()
        if not self._pending and not self._pending_details:
            return
        if limit is not None and len(self._pending) > limit:
            pending = dict(itertools.islice(self._pending.items(), limit))
            for job_id in pending:
                del self._pending[job_id]
        else:
            pending, self._pending = self._pending, {}
        self._details.update(self._pending_details)
        detail_ids = set(self._pending_details)
        self._pending_details = {}
        new_jobs: list[JobSummary] = []
        moved: list[int] = []
        changed = bool(detail_ids)
        counts = self._counts
        sort_column = self.columns[self._sort_column] if self._sort_column >= 0 else None
        if sort_column is not None:
            self._column_keys(self._sort_column)  # the keys before this batch, to see rows move
        caches = self._key_cache
        updated: list[tuple[int, JobSummary]] = []
        detail_of = self._details.get
        status_moves = False
        rows = self._rows
        for job_id, job in pending.items():
            number = rows.number(job_id)
            if number is None:
                new_jobs.append(job)
                continue
            if job_id not in detail_ids and rows.same(number, job):
                continue
            changed = True
            old_status = rows.status(number)
            rows.replace(number, job)
            if old_status is not job.status:
                counts[old_status] -= 1
                counts[job.status] += 1
                status_moves = status_moves or self._status_filter is not None
            updated.append((number, job))
        if updated:
            forget: set[int] = set()  # columns whose kept sorted orders a changed key makes wrong
            for column_number, keys in caches.items():
                known = [(n, job) for n, job in updated if n < len(keys)]
                if not known:
                    continue
                new_keys = self.columns[column_number].cached_keys([job for _n, job in known], detail_of)
                for (number, _job), key in zip(known, new_keys, strict=True):
                    if not same_key(keys[number], key):
                        keys[number] = key
                        forget.add(column_number)
                        if column_number == self._sort_column:
                            moved.append(number)
            self._orders.forget(forget)
        if not new_jobs and not changed:
            return
        displayed = self._display is not None
        if not new_jobs and not moved and not status_moves and not displayed:
            # Nothing moves: repaint what is shown, keep scroll and selection as they are.
            if self._view:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(self._view) - 1, len(self.columns) - 1)
                )
            self.counts_changed.emit()
            return
        for job in new_jobs:
            counts[job.status] += 1
        added = rows.append(new_jobs)
        self._children.add(rows, added)
        self._warm_timer.start(WARM_AFTER_MS)
        appending = sort_column is None and not moved and not status_moves and not displayed
        if appending and not self._filtering():
            first = len(self._view)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._order.extend(added)
            self._view = self._order
            self.endInsertRows()
        elif appending:
            if self._view is self._order:
                self._view = list(self._order)  # filtering began (the first children): a view of its own
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
            self._rebuild_display()
            self._restore_persistent(persistent, old_view)
            self.layoutChanged.emit()
        self.counts_changed.emit()
        self.rows_changed.emit()

    # --- internals ----------------------------------------------------------------------------
    def _filtering(self) -> bool:
        return self._status_filter is not None or bool(self._words) or bool(self._children.kids)

    def _filter_rows(self, candidates: Sequence[int]) -> list[int]:
        if not self._filtering():
            return list(candidates)
        status, words, rows = self._status_filter, self._words, self._rows.tuples
        shown = list(candidates)
        if status is not None:
            shown = [i for i in shown if rows[i][STATUS] is status]
        elif self._children.kids:
            # Children are shown under their expanded parent, not among the top-level rows.
            shown = [i for i in shown if rows[i][INDEX] is None]
        for word in words:
            shown = self._rows.matching(shown, word)
        return shown

    def _filtered(self) -> list[int]:
        return self._filter_rows(self._order) if self._filtering() else self._order

    def _refilter(self) -> None:
        self.flush()
        self.layoutAboutToBeChanged.emit()
        persistent, old = self._remember_persistent()
        self._view = self._filtered()
        self._rebuild_display()
        self._restore_persistent(persistent, old)
        self.layoutChanged.emit()
        self.rows_changed.emit()

    def _keys_of_rows(self, column: JobColumn, start: int, stop: int) -> list[Any]:
        return self._rows.keys(column, start, stop, self._details.get)

    def _key_column(self, column_number: int) -> KeyColumn:
        found = self._key_cache.get(column_number)
        if found is None:
            found = array("d") if self.columns[column_number].numeric else []
            self._key_cache[column_number] = found
        return found

    def _column_keys(self, column_number: int) -> KeyColumn:
        """Every row's sort key for a column, computed once and then kept up to date by `flush`."""
        keys = self._key_column(column_number)
        if len(keys) < len(self._rows):
            keys.extend(self._keys_of_rows(self.columns[column_number], len(keys), len(self._rows)))
        return keys

    def _warm_keys(self) -> None:
        """Compute a slice of some column's sort keys while the app is idle, so that the first click
        on a column header after a big load sorts at once instead of computing 100,000 keys then."""
        total = len(self._rows)
        for column_number, column in enumerate(self.columns):
            keys = self._key_column(column_number)
            if len(keys) < total:
                done = len(keys)
                keys.extend(self._keys_of_rows(column, done, min(total, done + WARM_ROWS)))
                self._warm_timer.start(0)
                return

    def _key_of(self, number: int) -> SortKey:
        value = self._column_keys(self._sort_column)[number]
        if is_empty(value):
            return empty_key(self.columns[self._sort_column].numeric, self._descending)
        return value  # type: ignore[no-any-return]

    def _resort(self) -> None:
        self._order_keys = None
        if self._sort_column < 0:
            self._order = list(range(len(self._rows)))
            self._order_keys_source = None
            return
        keys = self._column_keys(self._sort_column)
        numeric = self.columns[self._sort_column].numeric
        self._order, self._order_keys_source = sort_order(keys, numeric, self._descending)

    def _sorted_keys(self) -> list[SortKey]:
        """The keys of `_order`, built on the first merge after a sort (most sorts never need them)."""
        if self._order_keys is None:
            source = self._order_keys_source
            # The order changes only through a sort (which sets a new source) or a merge (which
            # builds the keys first), so a source left by the last sort still matches `_order`.
            if source is not None:
                self._order_keys = source()
            else:
                self._order_keys = [self._key_of(number) for number in self._order]
            self._order_keys_source = None
        return self._order_keys

    def _remove_from_order(self, numbers: Sequence[int]) -> None:
        self._sorted_keys()
        gone = set(numbers)
        keep = [n for n, number in enumerate(self._order) if number not in gone]
        self._order = [self._order[n] for n in keep]
        if self._order_keys is not None:
            self._order_keys = [self._order_keys[n] for n in keep]

    def _insert_into_order(self, numbers: Sequence[int]) -> None:
        if self._sort_column < 0:
            self._order = self._order + list(numbers)
            return
        items = sorted((self._key_of(n), n) for n in numbers)
        if len(items) > len(self._order) // 4:
            self._resort()
            return
        self._order, self._order_keys = merge_sorted(self._order, self._sorted_keys(), items)

    def _remember_persistent(self) -> tuple[list[QModelIndex], list[int]]:
        """The persistent indexes (selection, current) and the rows they point at."""
        persistent = self.persistentIndexList()
        count = self._shown_count()
        sources = [self._source(p.row()) if 0 <= p.row() < count else -1 for p in persistent]
        return persistent, sources

    def _restore_persistent(self, persistent: list[QModelIndex], sources: list[int]) -> None:
        if not persistent:
            return
        position: dict[int, int] = {}
        wanted = {source for source in sources if source >= 0}
        if len(wanted) > 8 or self._display is not None:
            # Many selected rows: one pass over the shown rows instead of a search per row.
            for at, source in enumerate(self._shown()):
                if source in wanted:
                    position[source] = at
        else:
            last = len(self._view) - 1
            for source in wanted:
                try:
                    at = self._view.index(source)
                except ValueError:
                    continue
                position[source] = last - at if self._descending else at
        new_indexes = [
            self.index(position[s], p.column()) if s in position else QModelIndex()
            for p, s in zip(persistent, sources, strict=True)
        ]
        self.changePersistentIndexList(persistent, new_indexes)

    # --- array children -------------------------------------------------------------------------
    def _shown(self) -> list[int]:
        """Row numbers in the order shown."""
        if self._display is not None:
            return self._display
        return list(reversed(self._view)) if self._descending else self._view

    def _rebuild_display(self) -> None:
        if not self._children.expanded or self._status_filter is not None:
            self._display = None
            return
        shown = reversed(self._view) if self._descending else self._view
        self._display = self._children.display(self._rows, shown, self._words)

    def _relayout(self) -> None:
        self.flush()
        self.layoutAboutToBeChanged.emit()
        persistent, old = self._remember_persistent()
        self._rebuild_display()
        self._restore_persistent(persistent, old)
        self.layoutChanged.emit()
        self.rows_changed.emit()

    def is_expanded(self, job_id: str) -> bool:
        return job_id in self._children.expanded

    def set_expanded(self, job_id: str, expanded: bool) -> None:
        """Show (or hide) an array parent's children right under it."""
        if expanded == (job_id in self._children.expanded):
            return
        if expanded:
            self._children.expanded.add(job_id)
        else:
            self._children.expanded.discard(job_id)
        self._relayout()

    def set_child_status_filter(self, status: JobStatus | None) -> None:
        """Show only the expanded arrays' children in this status (None: all of them)."""
        if status == self._children.status:
            return
        self._children.status = status
        self._relayout()

    @property
    def child_status_filter(self) -> JobStatus | None:
        return self._children.status

    def children_of(self, job_id: str) -> list[JobSummary]:
        return self._rows.jobs(self._children.of(self._rows, job_id))

    def children_total(self) -> int:
        return self._children.total()

    def set_progress(self, progress: dict[str, ArrayProgress]) -> None:
        """Array parents' progress text ("8 running · 42 runnable · 0 failed of 50")."""
        if not self._children.set_progress(progress):
            return
        shown = self._shown_count()
        if shown:
            column = COLUMN_OF["Array"]
            self.dataChanged.emit(self.index(0, column), self.index(shown - 1, column))

    def remove(self, job_ids: Iterable[str]) -> None:
        """Drop jobs that no longer exist (or were not listed again); selection and current row stay
        on the jobs that remain."""
        self.flush()
        rows = self._rows
        drop = {n for n in map(rows.number, job_ids) if n is not None}
        if not drop:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        count = self._shown_count()
        kept_ids = [rows.job_id(self._source(p.row())) if 0 <= p.row() < count else None for p in persistent]
        keep = [n for n in range(len(rows)) if n not in drop]
        renumber = {old: new for new, old in enumerate(keep)}
        dropped = [rows.job_id(n) for n in drop]
        for job_id in dropped:
            self._details.pop(job_id, None)
        rows.keep(keep)
        self._key_cache = {
            column: keys_of(keys, [n for n in keep if n < len(keys)])
            for column, keys in self._key_cache.items()
        }
        self._counts = rows.counts()
        self._order = [renumber[n] for n in self._order if n in renumber]
        self._order_keys = None
        self._order_keys_source = None
        self._orders.clear()
        self._children.rebuild(rows, dropped)
        self._view = self._filtered()
        self._rebuild_display()
        new_indexes = []
        for p, kept in zip(persistent, kept_ids, strict=True):
            row = self.row_of(kept) if kept is not None else -1
            new_indexes.append(self.index(row, p.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, new_indexes)
        self.layoutChanged.emit()
        self.counts_changed.emit()
        self.rows_changed.emit()

    def top_level_ids(self) -> set[str]:
        return self._rows.top_level_ids()

    def parent_ids(self) -> set[str]:
        return self._rows.parent_ids()
