"""The Monitor panel's four plots (pyqtgraph): throughput, jobs by status, vCPUs and memory in use.

pyqtgraph (and numpy) are imported by `load_pyqtgraph()`, called when the Monitor panel is first
shown, so they cost nothing at start-up. PySide6 is imported before pyqtgraph so pyqtgraph picks it.
Every PlotItem clips to the visible range and downsamples by peak, so 24 h of 5 s samples (17,280
points per series) draw as a few hundred points; x arrays are float64 (epoch seconds), pens are 1 px.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import PySide6.QtCore  # noqa: F401 - imported before pyqtgraph so that it binds to PySide6
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy, QVBoxLayout, QWidget

from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.history import HistoryView, throughput_per_minute
from batchgui.domain.plot_data import MinMaxCache, bucket_seconds
from batchgui.domain.samples import (
    FIELD_INDEX,
    PLATFORM_LABELS,
    FloatArray,
    memory_field,
    status_field,
    vcpu_field,
)

PLATFORM_COLOURS = {
    Platform.FARGATE: "#1f77b4",
    Platform.FARGATE_SPOT: "#17becf",
    Platform.EC2: "#ff7f0e",
    Platform.SPOT: "#9467bd",
}
STATUS_COLOURS = {
    JobStatus.SUBMITTED: "#c7c7c7",
    JobStatus.PENDING: "#bcbd22",
    JobStatus.RUNNABLE: "#ff9896",
    JobStatus.STARTING: "#aec7e8",
    JobStatus.RUNNING: "#2ca02c",
}
# Stacked bottom-up: RUNNING at the bottom, SUBMITTED on top.
STACK_ORDER = (
    JobStatus.RUNNING,
    JobStatus.STARTING,
    JobStatus.RUNNABLE,
    JobStatus.PENDING,
    JobStatus.SUBMITTED,
)
CAPACITY_COLOURS = ("#d62728", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22")


def _cache_pixels(item: Any) -> None:
    """Keep the curve's pixels between paints: a repaint of the plots redraws only changed curves."""
    item.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _cache_still_items(plot: Any) -> None:
    """Keep the pixels of a plot's title and legend entries (sample and text): they change only when
    an entry comes or goes, and painting them again was 22 items of every frame of the plots."""
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    plot.titleLabel.setCacheMode(cached)
    for sample, label in plot.legend.items:
        sample.setCacheMode(cached)
        label.setCacheMode(cached)


def _fixed(x: FloatArray, y: FloatArray) -> Callable[[], tuple[FloatArray, FloatArray]]:
    return lambda: (x, y)


def _round_up(value: float) -> float:
    """The next 1, 2, 2.5 or 5 times a power of ten (y ranges move in such steps, not every tick)."""
    if not math.isfinite(value) or value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def load_pyqtgraph() -> Any:
    """Import pyqtgraph (first use only) with the app's options."""
    import pyqtgraph as pg
    from PySide6.QtGui import QGuiApplication, QPalette

    # The plots take the theme's colours (light or dark) when they are first built.
    palette = QGuiApplication.palette()
    pg.setConfigOptions(
        antialias=False,
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.WindowText),
    )
    return pg


def paint_in_palette(pg: Any, graphics: Any, plots: Sequence[Any], palette: QPalette) -> None:
    """Draw these plots in the palette's colours: the system may turn dark while the app runs, and
    pyqtgraph takes its colours only when an item is made (a widget showing plots calls this on
    each PaletteChange)."""
    background = palette.color(QPalette.ColorRole.Base)
    foreground = palette.color(QPalette.ColorRole.WindowText)
    pg.setConfigOptions(background=background, foreground=foreground)  # for items made later
    graphics.setBackground(background)
    for plot in plots:
        for name in ("left", "bottom", "right"):
            axis = plot.getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
        plot.titleLabel.setText(plot.titleLabel.text, color=foreground)
        if plot.legend is not None:
            plot.legend.setLabelTextColor(foreground)
            for _sample, label in plot.legend.items:
                label.setText(label.text)  # the colour above is only stored until the next setText


TITLE_SIZE = "9pt"
TITLE_HEIGHT_PX = 20
AXIS_WITHOUT_LABELS_PX = 6
LEGEND_TEXT_SIZE = "7.5pt"
# A legend entry's sample line and the spacing around it, besides the label's own width.
LEGEND_SAMPLE_PX = 40
# The plots stand in a grid of two columns (throughput and status; vCPUs and memory).
PLOT_COLUMNS = 2
# Throughput has a point per minute: with this many or fewer, the points are also drawn as dots.
FEW_MINUTES = 30
# The narrowest x range while a run is shorter than the window (the plot fits the run, not the window).
MIN_SPAN_S = 10.0


@dataclass
class _Series:
    """One curve: the full-resolution data (for hover and tests) and what was last drawn."""

    key: str
    label: str
    item: Any
    source: Callable[[], tuple[FloatArray, FloatArray]] | None = None
    scale: float = 1.0
    drawn_x: FloatArray | None = None
    drawn_y: FloatArray | None = None

    @property
    def x(self) -> FloatArray | None:
        return None if self.source is None else self.source()[0]

    @property
    def y(self) -> FloatArray | None:
        return None if self.source is None else self.source()[1]

    def set(
        self,
        source: Callable[[], tuple[FloatArray, FloatArray]],
        shown_x: FloatArray,
        shown_y: FloatArray,
    ) -> bool:
        """Keep where the full-resolution data comes from (computed only when read, for hover and
        export); draw (shown_x, shown_y) unless that is what the curve already shows."""
        import numpy as np

        self.source = source
        if (
            self.drawn_x is not None
            and self.drawn_y is not None
            and np.array_equal(self.drawn_x, shown_x)
            and np.array_equal(self.drawn_y, shown_y, equal_nan=True)
        ):
            return False
        self.drawn_x, self.drawn_y = shown_x, shown_y
        self.item.setData(shown_x, shown_y)
        return True

    def value_at(self, t: float) -> float | None:
        if self.source is None:
            return None
        x, y = self.source()
        if len(x) == 0:
            return None
        import numpy as np

        index = int(np.searchsorted(x, t))
        candidates = [i for i in (index - 1, index) if 0 <= i < len(x)]
        best = min(candidates, key=lambda i: abs(x[i] - t))
        value = float(y[best])
        return None if math.isnan(value) else value


class MonitorPlots(QWidget):
    """Four linked time plots. `show_view()` draws a HistoryView over [start, end]."""

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg = load_pyqtgraph()
        self._pg = pg
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("monitorPlots")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        # No spacing between the plots and their legend rows beyond the items' own.
        self.graphics.ci.layout.setSpacing(0)
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.throughput = self._plot(0, 0, "Throughput", "jobs / minute")
        self.status = self._plot(0, 1, "Jobs by status", "jobs")
        self.vcpus = self._plot(1, 0, "vCPUs of RUNNING jobs, and capacity", "vCPUs")
        self.memory = self._plot(1, 1, "Memory of RUNNING jobs", "GiB")
        self.plots = [self.throughput, self.status, self.vcpus, self.memory]
        for plot in self.plots[1:]:
            plot.setXLink(self.throughput)
        self.series: dict[str, _Series] = {}
        self._plot_of: dict[str, Any] = {}

        for name, colour in (("submitted", "#7f7f7f"), ("succeeded", "#2ca02c"), ("failed", "#d62728")):
            self._line(self.throughput, f"rate_{name}", f"{name.title()} / min", colour)
        # Running totals on a right-hand axis of the throughput plot.
        self.totals_box = pg.ViewBox()
        self.throughput.showAxis("right")
        self.throughput.getAxis("right").setLabel("total")
        self.throughput.scene().addItem(self.totals_box)
        self.throughput.getAxis("right").linkToView(self.totals_box)
        self.totals_box.setXLink(self.throughput)
        self.throughput.vb.sigResized.connect(self._sync_totals_box)
        for name, colour in (("submitted", "#7f7f7f"), ("succeeded", "#2ca02c"), ("failed", "#d62728")):
            item = pg.PlotDataItem(
                pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine), connect="finite"
            )
            _cache_pixels(item)
            self.totals_box.addItem(item)
            self.throughput.legend.addItem(item, f"Total {name}")
            self.series[f"total_{name}"] = _Series(f"total_{name}", f"Total {name}", item)
            self._plot_of[f"total_{name}"] = self.throughput

        for status in reversed(STACK_ORDER):  # top of the stack first, so lower bands paint over it
            colour = STATUS_COLOURS[status]
            item = pg.PlotDataItem(
                pen=pg.mkPen(colour, width=1),
                brush=pg.mkBrush(colour),
                fillLevel=0,
                connect="finite",
                name=status.value.title(),
            )
            _cache_pixels(item)
            self.status.addItem(item)
            self.series[status_field(status)] = _Series(status_field(status), status.value.title(), item)
            self._plot_of[status_field(status)] = self.status

        for platform in Platform:
            label = PLATFORM_LABELS[platform]
            self._line(self.vcpus, vcpu_field(platform), label, PLATFORM_COLOURS[platform])
            self._line(self.memory, memory_field(platform), label, PLATFORM_COLOURS[platform], scale=1 / 1024)
        self._capacity_names: list[str] = []
        self._cache = MinMaxCache()
        self._y_tops: dict[int, float] = {}
        self._points_marked = False
        for plot in self.plots:
            for name in ("left", "bottom", "right"):
                axis = plot.getAxis(name)
                # Axes (and their grid lines) are redrawn only when their range changes.
                axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        for plot in self.plots:
            _cache_still_items(plot)
        self.cursors = []
        for plot in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", width=1))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.cursors.append(line)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.hover_text = ""

    def _plot(self, row: int, col: int, title: str, units: str) -> Any:
        pg = self._pg
        axis = pg.DateAxisItem(orientation="bottom")
        # Samples are seconds apart: no millisecond ticks ("44.000" on a short run in a wide window);
        # the finest labels are HH:MM:SS.
        axis.zoomLevels.pop(1, None)
        plot = self.graphics.addPlot(row=2 * row, col=col, axisItems={"bottom": axis})
        # A compact title, and no time labels on the top row (the plots share one time axis, labelled
        # on the bottom row): at 1024x700 that doubles each plot's data height (was ~50 px).
        plot.setTitle(title, size=TITLE_SIZE)
        plot.layout.setContentsMargins(0, 0, 0, 0)
        plot.titleLabel.setMaximumHeight(TITLE_HEIGHT_PX)
        if row == 0:
            axis.setStyle(showValues=False)
            axis.setHeight(AXIS_WITHOUT_LABELS_PX)
        # show_view() hands every curve at most ~3 points per pixel of the window (min/max per time
        # bucket), so pyqtgraph's own clipping and downsampling would only cost time.
        plot.setClipToView(False)
        plot.setDownsampling(ds=1, auto=False)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setLabel("left", units)
        left = plot.getAxis("left")
        left.enableAutoSIPrefix(False)
        # A fixed width: longer tick labels never re-lay the plots out.
        left.setWidth(52)
        # Counts are never negative; an empty plot shows 0..1 rather than a range around zero.
        plot.setLimits(yMin=0, minYRange=1)
        plot.setMouseEnabled(x=True, y=False)
        # The y range is set by show_view() in round steps, so axes are redrawn only when it changes.
        plot.disableAutoRange()
        plot.setYRange(0, 1, padding=0)
        # The legend sits in its own row under the plot, outside the data: never drawn over curves,
        # never clipped by the view box; its columns follow the plot's width (see _reflow_legends).
        legend = pg.LegendItem(
            offset=None, colCount=3, labelTextSize=LEGEND_TEXT_SIZE, verSpacing=-11, horSpacing=12
        )
        legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.graphics.addItem(legend, row=2 * row + 1, col=col)
        plot.legend = legend
        plot.hideButtons()
        return plot

    def legend_columns(self, plot: Any) -> int:
        """How many legend entries fit side by side under `plot` (at least one per row)."""
        # The text's own width (a label item is stretched to its grid column).
        widest = max((label.item.boundingRect().width() for _s, label in plot.legend.items), default=0.0)
        entry = widest + LEGEND_SAMPLE_PX
        # The room is the plot's share of the view, not the plot's own width: a legend laid out for
        # a wider window holds its column that wide, so after the window narrowed the plot's width
        # still said the old room and the right-hand plots were cut off.
        room = min(plot.width(), self._column_width())
        return max(1, int(room // entry)) if entry > LEGEND_SAMPLE_PX else 3

    def _column_width(self) -> float:
        margins = self.graphics.ci.getContentsMargins()
        inside = float(self.graphics.viewport().width() - margins[0] - margins[2])
        return max(1.0, inside / PLOT_COLUMNS)

    def _reflow_legends(self) -> None:
        changed = False
        for plot in self.plots:
            columns = self.legend_columns(plot)
            if plot.legend.columnCount != columns:
                plot.legend.setColumnCount(columns)
                changed = True
            _cache_still_items(plot)
        if changed:
            # The view sized the grid when the window changed, held at the minimum the old legends
            # set; with narrower legends the grid fits the view again only if it is sized again.
            self.graphics.centralWidget.setGeometry(self.graphics.range)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def apply_palette(self) -> None:
        paint_in_palette(self._pg, self.graphics, self.plots, self.palette())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # After the layout has given the plots their new widths.
        QTimer.singleShot(0, self._reflow_legends)

    def _line(self, plot: Any, key: str, label: str, colour: str, scale: float = 1.0) -> None:
        pg = self._pg
        item = plot.plot(pen=pg.mkPen(colour, width=1), name=label, connect="finite")
        _cache_pixels(item)
        self.series[key] = _Series(key, label, item, scale=scale)
        self._plot_of[key] = plot

    def _sync_totals_box(self) -> None:
        self.totals_box.setGeometry(self.throughput.vb.sceneBoundingRect())
        self.totals_box.linkedViewChanged(self.throughput.vb, self.totals_box.XAxis)

    # --- data ---------------------------------------------------------------------------------------
    def show_view(self, view: HistoryView, start: float, end: float) -> None:
        """Draw `view` over the window [start, end].

        Each curve gets at most 3 points per pixel: with more samples than that in the window, each
        time bucket is drawn as its minimum and maximum (peaks survive), and buckets that can no longer
        change are kept from one tick to the next (MinMaxCache), so a tick reduces only the newest
        rows. A curve whose points did not change is not touched; axes move in round steps.
        """
        import numpy as np

        times = view.times
        lo = int(np.searchsorted(times, start, side="left"))
        keys = [status_field(s) for s in STACK_ORDER]
        keys += [vcpu_field(p) for p in Platform] + [memory_field(p) for p in Platform]
        capacity = self._capacity_columns(view)
        keys += [key for key, _ in capacity]
        stack = [FIELD_INDEX[status_field(s)] for s in STACK_ORDER]
        vcpus = [FIELD_INDEX[vcpu_field(p)] for p in Platform]
        memory = [FIELD_INDEX[memory_field(p)] for p in Platform]
        width = len(keys)

        def derive(a: int, b: int) -> FloatArray:
            rows = view.columns[a:b]
            out = np.empty((len(rows), width), dtype=np.float64)
            np.cumsum(rows[:, stack], axis=1, out=out[:, :5])  # stacked: each band's top
            out[:, 5:9] = rows[:, vcpus]
            out[:, 9:13] = rows[:, memory] / 1024
            for number, (_, values) in enumerate(capacity):
                out[:, 13 + number] = values[a:b]
            return out

        pixels = max(100, int(self.throughput.vb.width()))
        if len(times) - lo <= 2 * pixels:
            shown_x, shown_y = times[lo:], derive(lo, len(times))
        else:
            bucket = bucket_seconds(end - start, pixels)
            shown_x, shown_y = self._cache.update(
                (view.revision, tuple(keys), bucket), times, derive, bucket, start
            )

        def full(column: int) -> Callable[[], tuple[FloatArray, FloatArray]]:
            return lambda: (times, derive(0, len(times))[:, column])

        for column, key in enumerate(keys):
            self.series[key].set(full(column), shown_x, shown_y[:, column])

        flow = throughput_per_minute(view, start)
        self._mark_points(len(flow.minutes) <= FEW_MINUTES)
        for name in ("submitted", "succeeded", "failed"):
            rate, total = getattr(flow, name), getattr(flow, f"total_{name}")
            self.series[f"rate_{name}"].set(_fixed(flow.minutes, rate), flow.minutes, rate)
            self.series[f"total_{name}"].set(_fixed(flow.minutes, total), flow.minutes, total)

        self._fit_y(self.status, shown_y[:, :5])
        self._fit_y(self.vcpus, shown_y[:, [5, 6, 7, 8, *range(13, width)]])
        self._fit_y(self.memory, shown_y[:, 9:13])
        self._fit_y(self.throughput, np.column_stack((flow.submitted, flow.succeeded, flow.failed)))
        self._fit_y(
            self.totals_box, np.column_stack((flow.total_submitted, flow.total_succeeded, flow.total_failed))
        )
        self._fit_x(times[lo:], start, end)

    def _mark_points(self, on: bool) -> None:
        """Dots on the per-minute curves while there are only a few minutes: one minute is one point,
        which a line alone does not show."""
        if on == self._points_marked:
            return
        self._points_marked = on
        for name in ("submitted", "succeeded", "failed"):
            for key in (f"rate_{name}", f"total_{name}"):
                item = self.series[key].item
                item.setSymbol("o" if on else None)
                if on:
                    item.setSymbolSize(5)
                    item.setSymbolPen(item.opts["pen"])
                    item.setSymbolBrush(item.opts["pen"].color())

    def _fit_x(self, times: FloatArray, start: float, end: float) -> None:
        """The whole window; or, while there is less data than that, only the data (a short run fills
        the plot instead of a strip at its right edge). Moved only when the data reaches the edge."""
        window = end - start
        if len(times) and times[-1] - times[0] < 0.8 * window:
            span = max(MIN_SPAN_S, 1.25 * (times[-1] - times[0]))
            low, high = float(times[0]), float(times[0]) + span
        else:
            low, high = start, end + 0.05 * window
        current_low, current_high = self.throughput.vb.viewRange()[0]
        fitted = len(times) and times[-1] - times[0] < 0.8 * window
        if (fitted and (times[-1] > current_high or abs(current_low - low) > 1e-6 * window)) or (
            not fitted
            and (end > current_high or abs((current_high - current_low) - (high - low)) > 1e-6 * window)
        ):
            self.throughput.setXRange(low, high, padding=0)

    def _fit_y(self, plot: Any, values: FloatArray) -> None:
        """0 to a round number above the largest value (a little headroom: the legend is outside)."""
        import numpy as np

        shown = values[np.isfinite(values)] if values.size else values
        top = _round_up(float(shown.max()) * 1.1) if shown.size else 1.0
        if self._y_tops.get(id(plot)) != top:
            self._y_tops[id(plot)] = top
            plot.setYRange(0, top, padding=0)

    def _capacity_columns(self, view: HistoryView) -> list[tuple[str, FloatArray]]:
        """Capacity lines (maxvCpus; desiredvCpus for EC2), added and removed as environments come and go."""
        pg = self._pg
        wanted: list[tuple[str, FloatArray]] = []
        for number, series in enumerate(view.capacity):
            colour = CAPACITY_COLOURS[number % len(CAPACITY_COLOURS)]
            for kind, values, style in (
                ("max", series.max_vcpus, Qt.PenStyle.DashLine),
                ("desired", series.desired_vcpus, Qt.PenStyle.DotLine),
            ):
                key = f"capacity_{kind}_{series.environment}"
                if kind == "desired" and (series.platform is None or series.platform.is_fargate):
                    continue
                wanted.append((key, values))
                if key not in self.series:
                    label = f"{series.environment} {kind}"
                    item = self.vcpus.plot(
                        pen=pg.mkPen(colour, width=1, style=style), name=label, connect="finite"
                    )
                    _cache_pixels(item)
                    self.series[key] = _Series(key, label, item)
                    self._plot_of[key] = self.vcpus
        names = {key for key, _ in wanted}
        for key in [k for k in self.series if k.startswith("capacity_") and k not in names]:
            gone = self.series.pop(key)
            self._plot_of.pop(key, None)
            self.vcpus.removeItem(gone.item)
            self.vcpus.legend.removeItem(gone.item)
        if self._capacity_names != [key for key, _ in wanted]:
            self._reflow_legends()
        self._capacity_names = [key for key, _ in wanted]
        return wanted

    def series_values(self, key: str) -> tuple[FloatArray, FloatArray] | None:
        """The full-resolution data last given to a series (tests read the plots through this)."""
        series = self.series.get(key)
        if series is None or series.x is None or series.y is None:
            return None
        return series.x, series.y

    def capacity_keys(self) -> list[str]:
        return list(self._capacity_names)

    def set_series_visible(self, key: str, visible: bool) -> None:
        self.series[key].item.setVisible(visible)

    def export_png(self, path: Path) -> bool:
        return bool(self.graphics.grab().save(str(path), "PNG"))

    # --- hover --------------------------------------------------------------------------------------
    def _mouse_moved(self, position: QPointF) -> None:
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(position):
                t = float(plot.vb.mapSceneToView(position).x())
                self.hover_at(t, plot)
                return
        for cursor in self.cursors:
            cursor.setVisible(False)

    def hover_at(self, t: float, plot: Any | None = None) -> str:
        """Show the values of `plot`'s visible series at time t (all plots when None)."""
        for cursor in self.cursors:
            cursor.setPos(t)
            cursor.setVisible(True)
        parts = []
        for key, series in self.series.items():
            if plot is not None and self._plot_of.get(key) is not plot:
                continue
            if not series.item.isVisible():
                continue
            value = series.value_at(t)
            if value is None:
                continue
            if key.startswith("status_"):
                value = self._band(key, t)
            shown = (
                f"{value:.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{int(value)}"
            )
            parts.append(f"{series.label} {shown}")
        try:
            when = datetime.fromtimestamp(t).strftime("%H:%M:%S")
        except (OverflowError, OSError, ValueError):
            when = ""
        text = f"{when}   " + ",  ".join(parts) if parts else when
        self.hover_text = text
        self.hovered.emit(text)
        return text

    def _band(self, key: str, t: float) -> float:
        """A stacked status band's own count (its curve holds the running sum)."""
        order = [status_field(s) for s in STACK_ORDER]
        index = order.index(key)
        top = self.series[key].value_at(t) or 0.0
        below = self.series[order[index - 1]].value_at(t) or 0.0 if index > 0 else 0.0
        return top - below
