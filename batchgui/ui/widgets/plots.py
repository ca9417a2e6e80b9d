"""The Monitor panel's four plots (pyqtgraph): throughput, jobs by status, vCPUs and memory in use.

pyqtgraph (and numpy) are imported by `load_pyqtgraph()`, called when the Monitor panel is first
shown, so they cost nothing at start-up. PySide6 is imported before pyqtgraph so pyqtgraph picks it.
Every PlotItem clips to the visible range and downsamples by peak, so 24 h of 5 s samples (17,280
points per series) draw as a few hundred points; x arrays are float64 (epoch seconds), pens are 1 px.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import PySide6.QtCore  # noqa: F401 - imported before pyqtgraph so that it binds to PySide6
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from batchgui.domain.batch import JobStatus, Platform
from batchgui.domain.metrics import (
    PLATFORM_LABELS,
    FloatArray,
    HistoryView,
    memory_field,
    status_field,
    throughput_per_minute,
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


def load_pyqtgraph() -> Any:
    """Import pyqtgraph (first use only) with the app's options."""
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background="w", foreground="#333")
    return pg


@dataclass
class _Series:
    """One curve and the full-resolution data it was given (for hover and export)."""

    key: str
    label: str
    item: Any
    x: FloatArray | None = None
    y: FloatArray | None = None
    scale: float = 1.0

    def set(
        self, x: FloatArray, y: FloatArray, shown: Callable[[FloatArray], FloatArray] | None = None
    ) -> None:
        self.x, self.y = x, y
        # pyqtgraph keeps ~5 points per pixel by default; peak mode already keeps each bin's extremes.
        self.item.opts["autoDownsampleFactor"] = 1.0
        self.item.setData(x, shown(y) if shown is not None else y)

    def value_at(self, t: float) -> float | None:
        if self.x is None or self.y is None or len(self.x) == 0:
            return None
        import numpy as np

        index = int(np.searchsorted(self.x, t))
        candidates = [i for i in (index - 1, index) if 0 <= i < len(self.x)]
        best = min(candidates, key=lambda i: abs(self.x[i] - t))  # type: ignore[index]
        value = float(self.y[best])
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
            self.status.addItem(item)
            self.series[status_field(status)] = _Series(status_field(status), status.value.title(), item)
            self._plot_of[status_field(status)] = self.status

        for platform in Platform:
            label = PLATFORM_LABELS[platform]
            self._line(self.vcpus, vcpu_field(platform), label, PLATFORM_COLOURS[platform])
            self._line(self.memory, memory_field(platform), label, PLATFORM_COLOURS[platform], scale=1 / 1024)
        self._capacity_names: list[str] = []

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
        plot = self.graphics.addPlot(row=row, col=col, title=title, axisItems={"bottom": axis})
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setLabel("left", units)
        plot.getAxis("left").enableAutoSIPrefix(False)
        # Counts are never negative; an empty plot shows 0..1 rather than a range around zero.
        plot.setLimits(yMin=0, minYRange=1)
        plot.setMouseEnabled(x=True, y=False)
        plot.enableAutoRange(axis="y")
        plot.setAutoVisible(y=True)
        plot.addLegend(offset=(5, 5), labelTextSize="8pt")
        plot.hideButtons()
        return plot

    def _line(self, plot: Any, key: str, label: str, colour: str, scale: float = 1.0) -> None:
        pg = self._pg
        item = plot.plot(pen=pg.mkPen(colour, width=1), name=label, connect="finite")
        self.series[key] = _Series(key, label, item, scale=scale)
        self._plot_of[key] = plot

    def _sync_totals_box(self) -> None:
        self.totals_box.setGeometry(self.throughput.vb.sceneBoundingRect())
        self.totals_box.linkedViewChanged(self.throughput.vb, self.totals_box.XAxis)

    # --- data ---------------------------------------------------------------------------------------
    def show_view(self, view: HistoryView, start: float, end: float) -> None:
        """Draw `view` (every series, full resolution: the PlotItems clip and downsample)."""
        import numpy as np

        times = view.times
        stacked = np.zeros(len(times))
        for status in STACK_ORDER:
            key = status_field(status)
            stacked = stacked + view.series(key)
            self.series[key].set(times, stacked)
        for platform in Platform:
            self.series[vcpu_field(platform)].set(times, view.series(vcpu_field(platform)))
            memory = self.series[memory_field(platform)]
            memory.set(times, view.series(memory_field(platform)) / 1024)
        self._show_capacity(view)
        flow = throughput_per_minute(view, start)
        for name in ("submitted", "succeeded", "failed"):
            self.series[f"rate_{name}"].set(flow.minutes, getattr(flow, name))
            self.series[f"total_{name}"].set(flow.minutes, getattr(flow, f"total_{name}"))
        self.totals_box.enableAutoRange(axis="y")
        # Moving the x range makes every curve clip and downsample again: move it only when the data
        # reaches the right edge, with 5% of the window as headroom.
        low, high = self.throughput.vb.viewRange()[0]
        headroom = 0.05 * (end - start)
        if end > high or abs((high - low) - (end - start + headroom)) > 1e-6 * (end - start):
            self.throughput.setXRange(start, end + headroom, padding=0)

    def _show_capacity(self, view: HistoryView) -> None:
        pg = self._pg
        wanted = []
        for number, series in enumerate(view.capacity):
            colour = CAPACITY_COLOURS[number % len(CAPACITY_COLOURS)]
            for kind, values, style in (
                ("max", series.max_vcpus, Qt.PenStyle.DashLine),
                ("desired", series.desired_vcpus, Qt.PenStyle.DotLine),
            ):
                key = f"capacity_{kind}_{series.environment}"
                if kind == "desired" and (series.platform is None or series.platform.is_fargate):
                    continue
                wanted.append(key)
                if key not in self.series:
                    label = f"{series.environment} {kind}vCpus"
                    item = self.vcpus.plot(
                        pen=pg.mkPen(colour, width=1, style=style), name=label, connect="finite"
                    )
                    self.series[key] = _Series(key, label, item)
                    self._plot_of[key] = self.vcpus
                self.series[key].set(view.times, values)
        for key in [k for k in self.series if k.startswith("capacity_") and k not in wanted]:
            gone = self.series.pop(key)
            self._plot_of.pop(key, None)
            self.vcpus.removeItem(gone.item)
            self.vcpus.legend.removeItem(gone.item)
        self._capacity_names = wanted

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
