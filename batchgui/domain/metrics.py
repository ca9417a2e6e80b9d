"""Live-monitoring arithmetic: what one poll of the Batch API means, and the history of those samples.

Pure: no I/O. The poller (services/job_monitor.py) feeds it job summaries and descriptions; the plots
read numpy views of `History`. Times are epoch seconds (float) unless a name says `_ms`.

- A *sample* is one poll: per queue, the active jobs by status, the jobs submitted / succeeded /
  failed since the previous poll, vCPUs and memory of RUNNING jobs by platform, and the oldest RUNNABLE
  job; per compute environment, its capacity (maxvCpus, desiredvCpus).
- `History` keeps samples as columns (one float64 array per field), sums the selected queues as each
  sample arrives (so a plot update costs O(1) arithmetic, not O(history)), and turns the time between
  two samples that is much longer than the poll interval into a gap (a NaN row: plots break the line).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus, Platform
from batchgui.domain.job_resources import TrackedJob
from batchgui.domain.job_tracking import CREATED, QUEUE, REASON, RESOURCES, STATUS, ActiveRow

FloatArray = npt.NDArray[np.float64]

HISTORY_S = 24 * 3600
# Two samples further apart than this many poll intervals have a gap between them (the app was
# closed, paused or minimised): drawn as a break in the line, never as a straight segment.
GAP_FACTOR = 2.5

ACTIVE_STATUSES: tuple[JobStatus, ...] = JobStatus.active()
PLATFORMS: tuple[Platform, ...] = tuple(Platform)
PLATFORM_LABELS = {
    Platform.FARGATE: "Fargate",
    Platform.FARGATE_SPOT: "Fargate Spot",
    Platform.EC2: "EC2",
    Platform.SPOT: "Spot",
}

# The per-queue columns of a sample, in storage order.
STATUS_FIELDS = tuple(f"status_{s.value}" for s in ACTIVE_STATUSES)
EVENT_FIELDS = ("submitted", "succeeded", "failed")
VCPU_FIELDS = tuple(f"vcpus_{p.value}" for p in PLATFORMS)
MEMORY_FIELDS = tuple(f"memory_{p.value}" for p in PLATFORMS)
OLDEST_FIELD = "oldest_runnable_created"
QUEUE_FIELDS: tuple[str, ...] = (*STATUS_FIELDS, *EVENT_FIELDS, *VCPU_FIELDS, *MEMORY_FIELDS, OLDEST_FIELD)
FIELD_INDEX = {name: i for i, name in enumerate(QUEUE_FIELDS)}
_OLDEST = FIELD_INDEX[OLDEST_FIELD]


def status_field(status: JobStatus) -> str:
    return f"status_{status.value}"


def vcpu_field(platform: Platform) -> str:
    return f"vcpus_{platform.value}"


def memory_field(platform: Platform) -> str:
    return f"memory_{platform.value}"


# --- platforms ---------------------------------------------------------------------------------------
def _family_matches(platform: Platform, capabilities: tuple[str, ...]) -> bool:
    if not capabilities:
        return True
    wants_fargate = "FARGATE" in capabilities
    return platform.is_fargate == wants_fargate


def attribute_platforms(
    running: Sequence[TrackedJob],
    queues: Mapping[str, JobQueue],
    environments: Mapping[str, ComputeEnvironment],
) -> dict[str, Platform]:
    """Which platform each RUNNING job is on.

    The Batch API does not name the compute environment a job runs in, so: take the environments of
    the job's queue in their order, keep those of the job's family (FARGATE jobs on FARGATE /
    FARGATE_SPOT, EC2 jobs on EC2 / SPOT), and fill them in order up to each one's maxvCpus — which is
    how the scheduler places work. When all are full (or capacity is unknown) the first one is used.
    """
    used: dict[str, float] = {}
    placed: dict[str, Platform] = {}
    # Oldest first: they were placed first.
    for job in sorted(running, key=lambda j: (j.created_at_ms or 0, j.job_id)):
        queue = queues.get(job.queue)
        capabilities = job.resources.platform_capabilities if job.resources else ()
        vcpus = job.resources.vcpus if job.resources else 0.0
        candidates = []
        if queue is not None:
            for order in queue.compute_environments:
                ce = environments.get(order.name)
                if ce is not None and ce.platform is not None and _family_matches(ce.platform, capabilities):
                    candidates.append(ce)
        if not candidates:
            if capabilities:
                placed[job.job_id] = Platform.FARGATE if "FARGATE" in capabilities else Platform.EC2
            continue
        chosen = candidates[0]
        for ce in candidates:
            limit = ce.max_vcpus if ce.max_vcpus is not None else math.inf
            if used.get(ce.name, 0.0) + vcpus <= limit:
                chosen = ce
                break
        used[chosen.name] = used.get(chosen.name, 0.0) + vcpus
        assert chosen.platform is not None
        placed[job.job_id] = chosen.platform
    return placed


# --- samples -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueSample:
    queue: str
    values: tuple[float, ...]  # aligned with QUEUE_FIELDS
    oldest_runnable_job: str = ""
    oldest_runnable_reason: str = ""

    def get(self, name: str) -> float:
        return self.values[FIELD_INDEX[name]]

    def count(self, status: JobStatus) -> int:
        return int(self.get(status_field(status)))


@dataclass(frozen=True)
class CapacitySample:
    environment: str
    platform: Platform | None
    max_vcpus: float
    desired_vcpus: float  # NaN for Fargate: it has no provisioned fleet
    queues: tuple[str, ...] = ()  # the queues that use it, to follow the queue selection


@dataclass(frozen=True)
class Sample:
    t: float
    interval_s: float
    queues: tuple[QueueSample, ...]
    capacity: tuple[CapacitySample, ...] = ()


@dataclass
class QueueEvents:
    """Jobs submitted and finished in one queue since the previous poll."""

    submitted: int = 0
    succeeded: int = 0
    failed: int = 0


def build_sample(
    t: float,
    interval_s: float,
    *,
    jobs: Iterable[TrackedJob] = (),
    queues: Sequence[JobQueue],
    environments: Sequence[ComputeEnvironment],
    events: Mapping[str, QueueEvents] | None = None,
    active: Mapping[str, ActiveRow] | None = None,
) -> Sample:
    """Aggregate the active jobs (`jobs`, and/or the poller's compact `active` book) into one sample."""
    events = events or {}
    rows: dict[str, ActiveRow] = {job.job_id: job.row() for job in jobs}
    book: Mapping[str, ActiveRow] = rows if active is None else ({**active, **rows} if rows else active)
    status_index = {s.value: FIELD_INDEX[status_field(s)] for s in ACTIVE_STATUSES}
    counts: dict[str, list[float]] = {q.name: [0.0] * len(QUEUE_FIELDS) for q in queues}
    oldest: dict[str, tuple[int, str, str]] = {}  # queue -> (createdAt ms, job id, reason)
    running: list[TrackedJob] = []
    runnable = JobStatus.RUNNABLE.value
    for job_id, row in book.items():
        queue_name = row[QUEUE]
        values = counts.get(queue_name)
        if values is None:
            values = counts[queue_name] = [0.0] * len(QUEUE_FIELDS)
        status = row[STATUS]
        index = status_index.get(status)
        if index is not None:
            values[index] += 1
        if status == runnable:
            created = row[CREATED]
            if created is not None:
                best = oldest.get(queue_name)
                if best is None or created < best[0]:
                    oldest[queue_name] = (created, job_id, row[REASON])
        elif status == "RUNNING" and row[RESOURCES] is not None:
            running.append(TrackedJob.from_row(job_id, row))
    queue_map = {q.name: q for q in queues}
    env_map = {ce.name: ce for ce in environments}
    platforms = attribute_platforms(running, queue_map, env_map)
    for job in running:
        platform = platforms.get(job.job_id)
        if platform is not None and job.resources is not None:
            values = counts[job.queue]
            values[FIELD_INDEX[vcpu_field(platform)]] += job.resources.vcpus
            values[FIELD_INDEX[memory_field(platform)]] += job.resources.memory_mib
    samples = []
    for name in sorted(counts):
        values = counts[name]
        happened = events.get(name) or QueueEvents()
        values[FIELD_INDEX["submitted"]] = happened.submitted
        values[FIELD_INDEX["succeeded"]] = happened.succeeded
        values[FIELD_INDEX["failed"]] = happened.failed
        first = oldest.get(name)
        values[_OLDEST] = first[0] / 1000 if first is not None else math.nan
        samples.append(QueueSample(name, tuple(values), first[1] if first else "", first[2] if first else ""))
    users: dict[str, list[str]] = {}
    for queue in queues:
        for order in queue.compute_environments:
            users.setdefault(order.name, []).append(queue.name)
    capacity = tuple(
        CapacitySample(
            ce.name,
            ce.platform,
            float(ce.max_vcpus) if ce.max_vcpus is not None else math.nan,
            math.nan
            if ce.platform is None or ce.platform.is_fargate or ce.desired_vcpus is None
            else float(ce.desired_vcpus),
            tuple(users.get(ce.name, ())),
        )
        for ce in sorted(environments, key=lambda e: e.name)
        if ce.type == "MANAGED" or ce.platform is not None
    )
    return Sample(t, interval_s, tuple(samples), capacity)


# --- history -----------------------------------------------------------------------------------------
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
                row[_OLDEST] = np.nan
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
        row[_OLDEST] = np.nan
        if gap:
            row[:] = np.nan
            return row
        for name in self._selected_names():
            queue_sample = given.get(name)
            if queue_sample is None:
                continue
            values = np.asarray(queue_sample.values, dtype=np.float64)
            oldest = np.fmin(row[_OLDEST], values[_OLDEST])
            row += np.nan_to_num(values)
            row[_OLDEST] = oldest
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
            oldest = np.fmin(oldest, data[:, _OLDEST])
            total += np.nan_to_num(data)
        total[:, _OLDEST] = oldest
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


# --- drawing ---------------------------------------------------------------------------------------
_NICE_BUCKETS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200)


def bucket_seconds(window_s: float, pixels: int) -> float:
    """A round bucket width giving at most one bucket per pixel over `window_s` (round widths keep the
    buckets, and so the drawn points, where they were when the plot is resized a little)."""
    wanted = window_s / max(1, pixels)
    for width in _NICE_BUCKETS_S:
        if width >= wanted:
            return float(width)
    return float(math.ceil(wanted / 86400) * 86400)


def decimate_min_max(times: FloatArray, values: FloatArray, bucket_s: float) -> tuple[FloatArray, FloatArray]:
    """Each time bucket drawn as its minimum and maximum (peaks survive), all columns at once.

    `values` is (len(times), K). Rows whose first column is NaN are gaps (the app was not sampling):
    a bucket holding one ends with a NaN point, so the line breaks there. Returns x (3 per bucket, at
    the bucket's centre) and y (3 per bucket, K columns): min, max, then max again or NaN at a gap.
    """
    if len(times) == 0:
        return times, values
    index = np.floor(times / bucket_s)
    starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
    lows = np.fmin.reduceat(values, starts, axis=0)
    highs = np.fmax.reduceat(values, starts, axis=0)
    gap = np.logical_or.reduceat(np.isnan(values[:, 0]), starts)
    x = np.repeat((index[starts] + 0.5) * bucket_s, 3)
    y = np.empty((3 * len(starts), values.shape[1]), dtype=np.float64)
    y[0::3] = lows
    y[1::3] = highs
    y[2::3] = highs
    y[2::3][gap] = np.nan
    return x, y


class MinMaxCache:
    """`decimate_min_max` over a history that grows at its end: closed buckets are kept, and each
    update reduces only the rows of the bucket still open (and any new ones), so drawing 24 h of
    samples costs the same per tick as drawing a minute of them.

    `key` says what the rows mean (history, queue selection, columns): a new key starts afresh.
    """

    def __init__(self) -> None:
        self._key: object = None
        self._x = np.zeros(0, dtype=np.float64)
        self._y = np.zeros((0, 0), dtype=np.float64)
        self._open_from = -math.inf  # left edge of the bucket still open

    def update(
        self,
        key: object,
        times: FloatArray,
        derive: Callable[[int, int], FloatArray],
        bucket_s: float,
        start: float,
    ) -> tuple[FloatArray, FloatArray]:
        """The drawn points from `start` on; `derive(lo, hi)` gives the columns of rows lo..hi."""
        if key != self._key or (len(self._x) and self._y.shape[1] != derive(0, 0).shape[1]):
            self._key = key
            self._x = np.zeros(0, dtype=np.float64)
            self._y = np.zeros((0, derive(0, 0).shape[1]), dtype=np.float64)
            self._open_from = -math.inf
        first = max(self._open_from, start - bucket_s)
        lo = int(np.searchsorted(times, first, side="left"))
        x, y = decimate_min_max(times[lo:], derive(lo, len(times)), bucket_s)
        if len(x):
            closed = 3 * (len(x) // 3 - 1)  # every bucket but the last is closed: later rows come after
            self._x = np.concatenate((self._x, x[:closed]))
            self._y = np.concatenate((self._y, y[:closed]))
            self._open_from = math.floor(times[-1] / bucket_s) * bucket_s
            x, y = x[closed:], y[closed:]
        keep = int(np.searchsorted(self._x, start, side="left"))
        keep -= keep % 3
        if keep:
            self._x, self._y = self._x[keep:], self._y[keep:]
        return np.concatenate((self._x, x)), np.concatenate((self._y, y))


# --- export ------------------------------------------------------------------------------------------
def format_number(value: float) -> str:
    """A whole number without decimals, others with up to two."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def history_csv(view: HistoryView, start: float) -> str:
    """The plotted data (selected queues summed) as CSV, one row per sample; gaps are left out."""
    out = io.StringIO()
    writer = csv.writer(out)
    capacity_titles = [f"{c.environment} {kind}vCpus" for c in view.capacity for kind in ("max", "desired")]
    writer.writerow(["time_utc", "epoch_s", *QUEUE_FIELDS, *capacity_titles])
    for index, t in enumerate(view.times):
        if t < start:
            continue
        row = view.columns[index]
        if math.isnan(row[0]):
            continue
        cells = ["" if math.isnan(v) else format_number(float(v)) for v in row]
        capacity = []
        for c in view.capacity:
            for series in (c.max_vcpus, c.desired_vcpus):
                value = float(series[index])
                capacity.append("" if math.isnan(value) else format_number(value))
        when = datetime.fromtimestamp(float(t)).astimezone().isoformat(timespec="seconds")
        writer.writerow([when, f"{t:.3f}", *cells, *capacity])
    return out.getvalue()
