"""The history of monitoring samples of one connection (24 h), as columns the plots read.

Pure: no I/O. `History` keeps samples as columns (one float64 array per field), sums the selected
queues as each sample arrives (so a plot update costs O(1) arithmetic, not O(history)), and turns the
time between two samples that is much longer than the poll interval into a gap (a NaN row: plots break
the line). Also the per-minute throughput and the "Now" figures of the latest sample.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.samples import (
    EVENT_FIELDS,
    FIELD_INDEX,
    OLDEST_FIELD,
    OLDEST_INDEX,
    PLATFORMS,
    QUEUE_FIELDS,
    VCPU_FIELDS,
    FloatArray,
    QueueSample,
    Sample,
    vcpu_field,
)

HISTORY_S = 24 * 3600
# Two samples further apart than this many poll intervals have a gap between them (the app was
# closed, paused or minimised): drawn as a break in the line, never as a straight segment.
GAP_FACTOR = 2.5


class _Columns:
    """A growable 2-D float64 array with a moving start (old rows dropped without copying each time)."""

    def __init__(self, width: int, capacity: int = 256) -> None:
        self._data = np.full((capacity, width), np.nan, dtype=np.float64)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, row: Sequence[float] | FloatArray) -> None:
        if self._end == self._data.shape[0]:
            live = self._data[self._start : self._end]
            size = max(256, 2 * len(live))
            grown = np.full((size, self._data.shape[1]), np.nan, dtype=np.float64)
            grown[: len(live)] = live
            self._data, self._start, self._end = grown, 0, len(live)
        self._data[self._end] = row
        self._end += 1

    def drop_front(self, count: int) -> None:
        self._start = min(self._end, self._start + count)

    def view(self) -> FloatArray:
        return self._data[self._start : self._end]

    def last(self) -> FloatArray | None:
        return self._data[self._end - 1] if self._end > self._start else None


@dataclass(frozen=True)
class CapacitySeries:
    environment: str
    platform: Platform | None
    max_vcpus: FloatArray
    desired_vcpus: FloatArray


@dataclass(frozen=True)
class HistoryView:
    """The selected queues' sums as numpy views (valid until the next append)."""

    times: FloatArray
    columns: FloatArray  # shape (len(times), len(QUEUE_FIELDS))
    capacity: tuple[CapacitySeries, ...]
    # Changes when the rows change meaning (another history, another queue selection): caches of
    # drawn points start afresh.
    revision: int = 0

    def series(self, name: str) -> FloatArray:
        return self.columns[:, FIELD_INDEX[name]]

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class Throughput:
    """Per-minute counts (NaN for minutes with no sample) and running totals over the range."""

    minutes: FloatArray  # bin centres (kept within the sampled time), epoch seconds
    submitted: FloatArray
    succeeded: FloatArray
    failed: FloatArray
    total_submitted: FloatArray
    total_succeeded: FloatArray
    total_failed: FloatArray


def throughput_per_minute(view: HistoryView, start: float = -math.inf) -> Throughput:
    keep = view.times >= start
    times = view.times[keep]
    rows = view.columns[keep]
    measured = ~np.isnan(rows[:, FIELD_INDEX["submitted"]])
    empty = np.zeros(0, dtype=np.float64)
    if not measured.any():
        return Throughput(empty, empty, empty, empty, empty, empty, empty)
    minute = np.floor(times / 60.0)
    first = minute[measured].min()
    index = (minute - first).astype(np.int64)
    size = int(index[measured].max()) + 1
    has = np.bincount(index[measured], minlength=size) > 0
    out: list[FloatArray] = []
    totals: list[FloatArray] = []
    for name in EVENT_FIELDS:
        weights = np.nan_to_num(rows[:, FIELD_INDEX[name]])
        counts = np.bincount(index[measured], weights=weights[measured], minlength=size).astype(np.float64)
        totals.append(np.cumsum(counts))
        counts[~has] = np.nan
        out.append(counts)
    centres = (first + np.arange(size, dtype=np.float64)) * 60.0 + 30.0
    # Within the sampled time: the first and the still open minute are drawn where their samples are,
    # so a run shorter than a minute does not put its only point outside the plotted range.
    np.clip(centres, times[measured].min(), times[measured].max(), out=centres)
    return Throughput(centres, out[0], out[1], out[2], totals[0], totals[1], totals[2])


@dataclass
class NowFigures:
    """The "Now" tiles."""

    running: int = 0
    runnable: int = 0
    failed_last_hour: int = 0
    vcpus_in_use: float = 0.0
    vcpus_provisioned: float = 0.0
    vcpus_max: float = 0.0
    oldest_runnable_age_s: float | None = None
    oldest_runnable_job: str = ""
    oldest_runnable_queue: str = ""
    oldest_runnable_reason: str = ""
    sampled_at: float | None = None


_REVISIONS = itertools.count(1)


@dataclass
class History:
    """Samples of one connection, at most `keep_s` back, summed over the selected queues as they come."""

    keep_s: float = HISTORY_S
    _times: _Columns = field(default_factory=lambda: _Columns(2))  # t, interval
    _queues: dict[str, _Columns] = field(default_factory=dict)
    _capacity: dict[str, _Columns] = field(default_factory=dict)  # max, desired
    _platforms: dict[str, Platform | None] = field(default_factory=dict)
    _ce_queues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _selection: frozenset[str] | None = None  # None: every queue
    _selected: _Columns = field(default_factory=lambda: _Columns(len(QUEUE_FIELDS)))
    _last: Sample | None = None
    _revision: int = field(default_factory=lambda: next(_REVISIONS))

    def __len__(self) -> int:
        return len(self._times)

    @property
    def queues(self) -> list[str]:
        return sorted(self._queues)

    @property
    def last_sample(self) -> Sample | None:
        return self._last

    @property
    def selection(self) -> frozenset[str] | None:
        return self._selection

    def last_time(self) -> float | None:
        row = self._times.last()
        return None if row is None else float(row[0])

    def append(self, sample: Sample) -> None:
        """Add a sample (times must increase); a long silence before it becomes a gap."""
        previous = self._times.last()
        if previous is not None:
            last_t, last_interval = float(previous[0]), float(previous[1])
            if sample.t <= last_t:
                return  # out of order (e.g. a restored sample older than a live one): ignore
            if sample.t - last_t > GAP_FACTOR * max(sample.interval_s, last_interval):
                self._append_row(min(last_t + last_interval, sample.t - 1e-3), math.nan, None)
        self._append_row(sample.t, sample.interval_s, sample)
        self._last = sample
        self.trim(sample.t - self.keep_s)

    def extend(self, samples: Iterable[Sample]) -> None:
        for sample in samples:
            self.append(sample)

    def _append_row(self, t: float, interval: float, sample: Sample | None) -> None:
        length = len(self._times)
        self._times.append((t, interval))
        nan_row = np.full(len(QUEUE_FIELDS), np.nan)
        given = {q.queue: q for q in sample.queues} if sample else {}
        for name in given:
            if name not in self._queues:
                self._queues[name] = self._backfilled(len(QUEUE_FIELDS), length)
        for name, columns in self._queues.items():
            queue_sample = given.get(name)
            if queue_sample is not None:
                columns.append(queue_sample.values)
            elif sample is not None:
                # A queue not in this sample (deleted, or not yet created): no jobs.
                row = np.zeros(len(QUEUE_FIELDS))
                row[OLDEST_INDEX] = np.nan
                columns.append(row)
            else:
                columns.append(nan_row)
        capacity = {c.environment: c for c in sample.capacity} if sample else {}
        for name, item in capacity.items():
            if name not in self._capacity:
                self._capacity[name] = self._backfilled(2, length)
            self._platforms[name] = item.platform
            self._ce_queues[name] = item.queues
        for name, columns in self._capacity.items():
            found = capacity.get(name)
            columns.append((found.max_vcpus, found.desired_vcpus) if found else (np.nan, np.nan))
        self._selected.append(self._sum_selected_row(given, sample is None))

    @staticmethod
    def _backfilled(width: int, length: int) -> _Columns:
        columns = _Columns(width, max(256, length * 2))
        for _ in range(length):
            columns.append(np.full(width, np.nan))
        return columns

    def _selected_names(self) -> list[str]:
        if self._selection is None:
            return list(self._queues)
        return [q for q in self._queues if q in self._selection]

    def _sum_selected_row(self, given: Mapping[str, QueueSample], gap: bool) -> FloatArray:
        row = np.zeros(len(QUEUE_FIELDS))
        row[OLDEST_INDEX] = np.nan
        if gap:
            row[:] = np.nan
            return row
        for name in self._selected_names():
            queue_sample = given.get(name)
            if queue_sample is None:
                continue
            values = np.asarray(queue_sample.values, dtype=np.float64)
            oldest = np.fmin(row[OLDEST_INDEX], values[OLDEST_INDEX])
            row += np.nan_to_num(values)
            row[OLDEST_INDEX] = oldest
        return row

    def trim(self, before: float) -> None:
        times = self._times.view()
        drop = int(np.searchsorted(times[:, 0], before, side="left"))
        if drop:
            self._times.drop_front(drop)
            for columns in (*self._queues.values(), *self._capacity.values(), self._selected):
                columns.drop_front(drop)

    def select(self, queues: Iterable[str] | None) -> None:
        """Show the sum of these queues (None: all); recomputed once here, then kept up as samples come."""
        self._selection = None if queues is None else frozenset(queues)
        self._revision = next(_REVISIONS)
        names = self._selected_names()
        count = len(self._times)
        gaps = np.isnan(self._times.view()[:, 1]) if count else np.zeros(0, dtype=bool)
        total = np.zeros((count, len(QUEUE_FIELDS)))
        oldest = np.full(count, np.nan)
        for name in names:
            data = self._queues[name].view()
            oldest = np.fmin(oldest, data[:, OLDEST_INDEX])
            total += np.nan_to_num(data)
        total[:, OLDEST_INDEX] = oldest
        total[gaps] = np.nan
        selected = _Columns(len(QUEUE_FIELDS), max(256, count * 2))
        for row in total:
            selected.append(row)
        self._selected = selected

    def selected_environments(self) -> list[str]:
        if self._selection is None:
            return sorted(self._capacity)
        return sorted(ce for ce, users in self._ce_queues.items() if set(users) & self._selection)

    def view(self) -> HistoryView:
        wanted = set(self.selected_environments())
        capacity = tuple(
            CapacitySeries(name, self._platforms.get(name), cols.view()[:, 0], cols.view()[:, 1])
            for name, cols in sorted(self._capacity.items())
            if name in wanted
        )
        return HistoryView(self._times.view()[:, 0], self._selected.view(), capacity, self._revision)

    def now(self, now: float | None = None) -> NowFigures:
        """The "Now" tiles for the selected queues, from the latest sample."""
        sample = self._last
        figures = NowFigures()
        if sample is None:
            return figures
        now = sample.t if now is None else now
        figures.sampled_at = sample.t
        names = set(self._selected_names())
        oldest: QueueSample | None = None
        for queue in sample.queues:
            if queue.queue not in names:
                continue
            figures.running += queue.count(JobStatus.RUNNING)
            figures.runnable += queue.count(JobStatus.RUNNABLE)
            figures.vcpus_in_use += sum(queue.get(f) for f in VCPU_FIELDS)
            created = queue.get(OLDEST_FIELD)
            if not math.isnan(created) and (oldest is None or created < oldest.get(OLDEST_FIELD)):
                oldest = queue
        if oldest is not None:
            figures.oldest_runnable_age_s = max(0.0, now - oldest.get(OLDEST_FIELD))
            figures.oldest_runnable_job = oldest.oldest_runnable_job
            figures.oldest_runnable_queue = oldest.queue
            figures.oldest_runnable_reason = oldest.oldest_runnable_reason
        fargate_in_use = sum(
            q.get(vcpu_field(p)) for q in sample.queues if q.queue in names for p in PLATFORMS if p.is_fargate
        )
        wanted = set(self.selected_environments())
        provisioned = 0.0
        for item in sample.capacity:
            if item.environment not in wanted:
                continue
            if not math.isnan(item.max_vcpus):
                figures.vcpus_max += item.max_vcpus
            if not math.isnan(item.desired_vcpus):
                provisioned += item.desired_vcpus
        # Fargate has no fleet: what it has provisioned is what its jobs use.
        figures.vcpus_provisioned = provisioned + fargate_in_use
        view = self.view()
        recent = view.times >= now - 3600
        figures.failed_last_hour = int(np.nansum(view.series("failed")[recent]))
        return figures
