"""The Submissions panel's cost line: asked for by a link, the total and each array's part, always
labelled an estimate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from batchgui.domain.pricing import CostEstimate
from batchgui.services.journal import Unit
from batchgui.services.pricing import JobsCost, PricingService
from batchgui.ui.submissions.cost import SubmissionCostLine
from tests.ui.test_runnable_pane import spawner


class StubPricing:
    def __init__(self) -> None:
        self.asked: list[tuple[list[str], str]] = []

    async def jobs_cost(self, job_ids: list[str], group: str = "") -> JobsCost:
        self.asked.append((job_ids, group))
        return JobsCost(
            CostEstimate(0.42, 0.42, "Fargate", "2024"), {"arr": CostEstimate(0.40, 0.40, "Fargate")}, 3, 1
        )


def test_the_cost_line_estimates_on_request(qtbot: Any, run_async: Callable[..., Any]) -> None:
    line = SubmissionCostLine()
    qtbot.addWidget(line)
    stub = StubPricing()
    tasks: list[asyncio.Task[Any]] = []
    line.pricing = cast(PricingService, stub)
    line.spawn = spawner(tasks)
    units = [Unit("s1", n, n, f"arr:{n}", n, 1, "SUCCEEDED") for n in range(2)]
    line.set_units("s1", [*units, Unit("s1", 2, -1, "single", 2, 1, "SUCCEEDED")])
    assert not line.isHidden()
    assert "Estimate what this submission" in line.text()
    line.linkActivated.emit("cost")
    run_async(tasks[0])
    assert stub.asked == [(["arr:0", "arr:1", "single"], "s1")]
    assert line.text() == (
        "<b>Cost</b>: about $0.42 — an estimate (Fargate; 3 jobs priced, 1 not (not started, gone, or no "
        "price); prices of 2024); per array: arr $0.40."
    )
    line.set_units("s2", [])
    assert line.isHidden()
