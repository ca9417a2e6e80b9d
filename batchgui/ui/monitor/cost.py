"""The Monitor's cost and fair-share views: a "Cost (est.)" tile (the rate now and today's total), and a
"Cost & shares" tab beside the activity plots with the cost per day and each share's usage over time.

The cost is read from the Monitor's own history — the vCPUs and memory of RUNNING jobs per platform —
priced with the shipped price snapshot of the connection's region (domain/cost_rollup.py), for the
queues the table selects. It counts while the Monitor samples ("while monitored"), the history
keeps 24 hours. Every figure is an estimate, and says so. The share usage comes from
GetJobQueueSnapshot's queueUtilization of the fair-share queues, asked every SHARE_EVERY_S seconds
through the account-wide request budget.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from batchgui import resources
from batchgui.domain.batch import Platform
from batchgui.domain.cost_rollup import RateSeries, range_text, rate_series
from batchgui.domain.samples import memory_field, vcpu_field
from batchgui.domain.share_usage import ShareHistory
from batchgui.services.pricing import snapshot_book
from batchgui.ui.widgets.forms import Spawn
from batchgui.ui.widgets.tile import Tile, muted

if TYPE_CHECKING:
    from batchgui.domain.history import HistoryView
    from batchgui.domain.samples import Sample
    from batchgui.services.job_monitor import JobMonitor
    from batchgui.services.pricing import PricingService
    from batchgui.services.runnable import RunnableService

# Fair-share usage is asked for this often (one GetJobQueueSnapshot per fair-share queue).
SHARE_EVERY_S = 30.0
# The local jobs history's cost per day is read again this often (it changes as jobs finish).
HISTORY_EVERY_S = 300.0
# A gap between samples longer than this (the Monitor paused, the app closed) is not costed.
MAX_GAP_S = 120.0
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def merge_days(
    sampled: dict[date, tuple[float, float]], history: dict[date, tuple[float, float]]
) -> dict[date, tuple[float, float]]:
    """Cost per day from both sources, each end the larger of the two: the samples miss the time the
    Monitor was not sampling, the history the jobs still running (both fall short, neither counts
    a job twice)."""
    out = dict(history)
    for day, (low, high) in sampled.items():
        was = out.get(day, (0.0, 0.0))
        out[day] = (max(was[0], low), max(was[1], high))
    return out


def intervals(times: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Seconds each sample stands for: the time since the previous one, gaps over MAX_GAP_S left out."""
    if not len(times):
        return np.zeros(0)
    gaps = np.diff(times, prepend=times[0])
    return np.where(gaps <= MAX_GAP_S, gaps, 0.0)


class CostPlots(QWidget):
    """Cost per day (bars from the low to the high estimate) and fair-share usage over time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from batchgui.ui.monitor.plots import load_pyqtgraph

        self._pg = pg = load_pyqtgraph()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("costPlots")
        self.per_day = self.graphics.addPlot(row=0, col=0, title="Cost per day (estimate)")
        self.per_day.setLabel("left", "USD")
        self.per_day.getAxis("left").enableAutoSIPrefix(False)
        self.per_day.showGrid(y=True, alpha=0.2)
        self.per_day.setMouseEnabled(x=False, y=False)
        self.shares = self.graphics.addPlot(
            row=0,
            col=1,
            title="Fair-share usage",
            axisItems={"bottom": pg.DateAxisItem(orientation="bottom")},
        )
        self.shares.setLabel("left", "vCPUs")
        self.shares.showGrid(x=True, y=True, alpha=0.2)
        self.shares.setLimits(yMin=0)
        self.shares.addLegend(offset=(4, 4), labelTextSize="8pt")  # newest data is at the right
        self.basis = QLabel()
        self.basis.setObjectName("costBasis")
        self.basis.setWordWrap(True)
        muted(self.basis)
        self.no_shares = QLabel(
            "Fair-share usage: no fair-share queue (one with a scheduling policy) is watched."
        )
        self.no_shares.setObjectName("costNoShares")
        self.no_shares.setWordWrap(True)
        muted(self.no_shares)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.breakdown = QLabel()
        self.breakdown.setObjectName("costBreakdown")
        self.breakdown.setWordWrap(True)
        self.breakdown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.breakdown)
        layout.addWidget(self.basis)
        layout.addWidget(self.no_shares)
        self.days: list[tuple[str, float, float]] = []
        self._curves: dict[str, Any] = {}

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            from batchgui.ui.monitor.plots import paint_in_palette

            paint_in_palette(self._pg, self.graphics, (self.per_day, self.shares), self.palette())

    def show_days(self, days: list[tuple[str, float, float]], basis: str) -> None:
        self.days = days
        pg = self._pg
        self.per_day.clear()
        if days:
            x = np.arange(len(days), dtype=np.float64)
            low = np.array([d[1] for d in days])
            high = np.array([d[2] for d in days])
            self.per_day.addItem(pg.BarGraphItem(x=x, height=low, width=0.6, brush="#4c78a8"))
            self.per_day.addItem(pg.BarGraphItem(x=x, y0=low, height=high - low, width=0.6, brush="#9ecae9"))
            axis = self.per_day.getAxis("bottom")
            axis.setTicks([[(float(i), d[0]) for i, d in enumerate(days)]])
            self.per_day.setXRange(-0.6, len(days) - 0.4, padding=0)
            self.per_day.setYRange(0, max(float(high.max()), 1e-6) * 1.15, padding=0)
        self.basis.setText(
            "Estimates: dark bars the cheapest case, light bars up to the dearest (EC2 instance types "
            f"not known). {basis}"
        )

    def show_shares(self, history: ShareHistory, start: float, end: float) -> None:
        t = np.asarray(history.times, dtype=np.float64)
        for number, (name, values) in enumerate(sorted(history.series.items())):
            curve = self._curves.get(name)
            if curve is None:
                colour = COLOURS[number % len(COLOURS)]
                pen = self._pg.mkPen(colour, width=1)
                # Points as well as lines: a sample every 30 s leaves a new share a single point.
                curve = self.shares.plot(
                    [], [], pen=pen, name=name, connect="finite", symbol="o", symbolSize=4, symbolBrush=colour
                )
                self._curves[name] = curve
            curve.setData(t, np.asarray(values, dtype=np.float64))
        self.shares.setXRange(start, end, padding=0)
        top = max((v for vs in history.series.values() for v in vs if not math.isnan(v)), default=1.0)
        self.shares.setYRange(0, max(1.0, top * 1.15), padding=0)


class MonitorCost:
    """The tile, the tab and the share sampling, hooked into the Monitor panel in a few lines."""

    def __init__(self, monitor: JobMonitor, spawn: Spawn) -> None:
        self.monitor = monitor
        self.spawn = spawn
        self.tile = Tile("Cost (estimate)", "tileCost")
        self.tile.setToolTip(
            "An estimate from the vCPUs and memory of RUNNING jobs, at the snapshot's prices"
        )
        self.plots: CostPlots | None = None
        self.share_history = ShareHistory()
        self.runnable: RunnableService | None = None  # set by the composition root
        self.pricing: PricingService | None = None  # set by the composition root: the jobs history's days
        self.history_days: dict[date, tuple[float, float]] = {}
        self.history_note = ""
        self._history_at = -math.inf
        self._history_asking = False
        self.series: RateSeries | None = None
        self._asked_at = -math.inf
        self._asking = False
        # The latest sample, priced only when its rates are shown or asked for (queue_rates).
        self._sample: Sample | None = None
        self._priced: Sample | None = None
        self._queue_rates: dict[str, tuple[float, float]] = {}  # USD per hour now, low and high
        self._queue_vcpus: dict[str, float] = {}
        self.share_usage: dict[str, dict[str, float]] = {}  # queue -> share -> vCPUs, latest
        monitor.samples.add(self._on_sample)

    def tabs(self, activity: QWidget) -> QTabWidget:
        """The activity plots and the cost plots, as two tabs (built with the plots: pyqtgraph)."""
        self.plots = CostPlots()
        tabs = QTabWidget()
        tabs.setObjectName("monitorTabs")
        tabs.setDocumentMode(True)
        tabs.addTab(activity, "Activity")
        tabs.addTab(self.plots, "Cost && shares")
        return tabs

    def region(self) -> str:
        current = self.monitor.connections.current
        return current.spec.region if current is not None else ""

    def _allowed_ec2(self) -> list[str]:
        environments = self.monitor.environments
        return sorted(
            {
                t
                for e in environments
                if e.platform is not None and not e.platform.is_fargate
                for t in e.instance_types
            }
        )

    def _on_sample(self, sample: Sample) -> None:
        self._sample = sample  # priced when shown (the Monitor draws only while visible) or asked

    @property
    def queue_rates(self) -> dict[str, tuple[float, float]]:
        """Each queue's cost rate now (USD per hour, low and high), from the latest sample."""
        self._price_latest()
        return self._queue_rates

    @property
    def queue_vcpus(self) -> dict[str, float]:
        """Each queue's vCPUs in use in the latest sample (those of a queue with a rate)."""
        self._price_latest()
        return self._queue_vcpus

    def _price_latest(self) -> None:
        """Each queue's cost rate now, from its vCPUs and memory per platform in the latest sample
        (once per sample)."""
        sample = self._sample
        if sample is None or sample is self._priced:
            return
        self._priced = sample
        book = snapshot_book(self.region())
        if book is None:
            self._queue_rates, self._queue_vcpus = {}, {}
            return
        catalogue, allowed = resources.instance_catalogue(), self._allowed_ec2()
        rates: dict[str, tuple[float, float]] = {}
        vcpus: dict[str, float] = {}
        for queue in sample.queues:
            use = {
                p.value: (np.array([queue.get(vcpu_field(p))]), np.array([queue.get(memory_field(p))]))
                for p in Platform
            }
            now = rate_series(book, catalogue, np.array([sample.t]), use, allowed).now()
            if now is not None:
                rates[queue.queue] = now
            vcpus[queue.queue] = sum(queue.get(vcpu_field(p)) for p in Platform)
        self._queue_rates, self._queue_vcpus = rates, vcpus

    def breakdown(self) -> str:
        """ "Now, per queue: … · per share: …", the shares' part of their queue's cost by their vCPUs."""
        queues = [f"{q} ~{range_text(*r)}/h" for q, r in sorted(self.queue_rates.items()) if r[1] > 0]
        shares: list[str] = []
        for queue, usage in sorted(self.share_usage.items()):
            rate, vcpus = self.queue_rates.get(queue), self.queue_vcpus.get(queue, 0.0)
            if rate is None or vcpus <= 0:
                continue
            shares.extend(
                f"{share} ~{range_text(rate[0] * v / vcpus, rate[1] * v / vcpus)}/h"
                for share, v in sorted(usage.items())
                if v > 0
            )
        text = "Now, per queue: " + (" · ".join(queues) or "nothing running")
        if shares:
            text += ". Per share (its part of the queue's cost, by its vCPUs): " + " · ".join(shares)
        return text + "."

    def show(self, view: HistoryView, start: float, end: float) -> None:
        """Price the history, fill the tile and (when built) the plots; ask for share usage if due."""
        book = snapshot_book(self.region())
        if book is None:
            self.tile.show_value("—", "no prices for this region", "The price snapshot has no prices for it")
            return
        use = {p.value: (view.series(vcpu_field(p)), view.series(memory_field(p))) for p in Platform}
        series = rate_series(book, resources.instance_catalogue(), view.times, use, self._allowed_ec2())
        self.series = series
        now = series.now()
        zone = datetime.now().astimezone().tzinfo
        days = series.per_day(intervals(view.times), zone) if zone is not None else {}
        today = merge_days(days, self.history_days).get(datetime.now().date(), (0.0, 0.0))
        if now is None:
            self.tile.show_value("—", "no samples yet")
        else:
            self.tile.show_value(
                f"~{range_text(*now)}/h",
                f"today ~{range_text(*today)} (while monitored)",
                f"An estimate: {series.basis}",
            )
        if self.plots is not None:
            merged = merge_days(days, self.history_days)
            labels = [(d.strftime("%a %d %b"), low, high) for d, (low, high) in sorted(merged.items())]
            self.plots.show_days(labels, f"{series.basis}{self.history_note}")
            self.plots.show_shares(self.share_history, start, end)
            self.plots.breakdown.setText(self.breakdown())
            self.plots.no_shares.setVisible(not self.share_history.series)
        self._ask_shares()
        self._ask_history()

    def _ask_history(self) -> None:
        if self.pricing is None or self._history_asking:
            return
        if time.monotonic() - self._history_at < HISTORY_EVERY_S:
            return
        self._history_at = time.monotonic()
        self._history_asking = True
        self.spawn(self.read_history(), "Price the finished jobs of the local jobs history")

    async def read_history(self) -> dict[date, tuple[float, float]]:
        """The cost per day of the finished jobs the local jobs history holds (the pricing facade)."""
        try:
            assert self.pricing is not None
            zone = datetime.now().astimezone().tzinfo
            found = await self.pricing.history_by_day(zone or UTC)
            self.history_days = {d: (c.low, c.high) for d, c in found.days.items()}
            missed = f", {found.not_priced} not priced (size not known)" if found.not_priced else ""
            self.history_note = (
                f" Per day: the larger of the samples' figure and that of the {found.priced} finished jobs "
                f"in the local jobs history{missed}, each at its definition's size."
                if found.priced
                else ""
            )
            return self.history_days
        finally:
            self._history_asking = False

    def _ask_shares(self) -> None:
        if self.runnable is None or self._asking:
            return
        queues = [q for q in self.monitor.queues if q.scheduling_policy_arn]
        if not queues:
            return
        if time.monotonic() - self._asked_at < SHARE_EVERY_S:
            return
        self._asked_at = time.monotonic()
        self._asking = True
        self.spawn(self.sample_shares(), "Sample fair-share usage")

    async def sample_shares(self) -> dict[str, dict[str, float]]:
        try:
            assert self.runnable is not None
            queues = [q for q in self.monitor.queues if q.scheduling_policy_arn]
            usage = await self.runnable.share_usage(queues, self.monitor.budget.take)
            if usage:
                self.share_history.add(time.time(), usage)
                self.share_usage = usage
            return usage
        finally:
            self._asking = False
