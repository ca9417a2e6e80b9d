"""The Review step's cost line: "about $0.42 for 10,000 rows at ~20 s per row — an estimate", from
the pricing facade (the Price List API, its week-old cache, or the shipped snapshot; its date shown),
with the seconds per row editable because only the user knows them before the first run."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from batchgui.domain.csv_plan import Plan
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.pricing import run_shape
from batchgui.services.pricing import PricingService, RunEstimate
from batchgui.ui.widgets.forms import Spawn

DEFAULT_SECONDS_PER_ROW = 1.0


class CostLine(QWidget):
    def __init__(self, pricing: PricingService | None, spawn: Spawn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pricing = pricing
        self.spawn = spawn
        self.plan: Plan | None = None
        self.last: RunEstimate | None = None
        self.seconds = QDoubleSpinBox()
        self.seconds.setObjectName("costSecondsPerRow")
        self.seconds.setRange(0.01, 86_400)
        self.seconds.setDecimals(2)
        self.seconds.setValue(DEFAULT_SECONDS_PER_ROW)
        self.seconds.setSuffix(" s per row")
        self.seconds.setToolTip("How long one row takes to process: the estimate scales with it")
        self.seconds.valueChanged.connect(lambda _value: self.refresh())
        self.label = QLabel()
        self.label.setObjectName("reviewCost")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Cost at"))
        layout.addWidget(self.seconds)
        layout.addWidget(self.label, 1)
        self.setVisible(pricing is not None)

    def show_plan(self, plan: Plan | None) -> None:
        self.plan = plan
        self.refresh()

    def refresh(self) -> asyncio.Task[Any] | None:
        if self.pricing is None or self.plan is None or not self.pricing.connected:
            return None
        self.label.setText("estimating…")
        return self.spawn(self.estimate(), "Estimate the cost")

    async def estimate(self) -> RunEstimate | None:
        if self.pricing is None or self.plan is None:
            return None
        spec = self.plan.input
        shape = run_shape(spec)
        per_row = self.seconds.value()
        try:
            found = await self.pricing.estimate_run(
                spec.queue.name, shape.vcpus, shape.memory_mib, shape.rows_each * per_row, shape.jobs
            )
        except BatchGuiError as error:
            self.label.setText(f"no estimate: {error.title}")
            return None
        self.last = found
        jobs = f"{shape.jobs:,} job{'s' if shape.jobs != 1 else ''}"
        basis = "" if found.cost is None else f"{found.cost.basis}, "
        source = "" if found.book is None else f"prices: {found.book.label}"
        self.label.setText(
            f"<b>{found.text}</b> for {spec.rows:,} rows ({jobs} of {shape.vcpus:g} vCPU, "
            f"{shape.memory_mib / 1024:g} GB) — an estimate ({basis}{source})"
        )
        return found
