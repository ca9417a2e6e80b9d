"""Plot data: min/max decimation of the history for drawing, and its CSV export. Pure: no I/O."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import datetime

import numpy as np

from batchgui.domain.history import HistoryView
from batchgui.domain.samples import QUEUE_FIELDS, FloatArray, format_number

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
