"""The estimated cost of a job in the Jobs table (a column) and in its details (a line), always
labelled an estimate, with the prices' source and date.

Both read the dated price snapshot shipped in resources/ for the job's region (from its ARN), so the
table needs no call per row; the Price List API's live prices are used where the app asks the pricing
facade (the CSV wizard's Review). A job whose environment is not known is priced on its own platform:
Fargate at the On-Demand rate (Fargate Spot costs less), EC2 as a range over the priced types it fits.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from batchgui import resources
from batchgui.domain.batch import JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.pricing import CostEstimate, job_cost, job_instances
from batchgui.services.pricing import PricingService, snapshot_book
from batchgui.ui.widgets.forms import Spawn

if TYPE_CHECKING:  # details.py shows this module's cost line
    from batchgui.ui.jobs.details import JobDetailsView


COLUMN_TITLE = "Cost (est.)"
COLUMN_WIDTH = 130


def region_of(arn: str) -> str:
    """The region in an ARN (arn:aws:batch:REGION:account:job/id), '' when it has none."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 else ""


def estimate(
    job: JobSummary, detail: JobDetail | None, instance_types: Mapping[str, str] | None = None
) -> CostEstimate | None:
    """The job's cost at the snapshot's prices (a running job: so far), or None when not known.
    On EC2, `instance_types` (containerInstanceArn -> type, as ECS named them) make it one figure."""
    if detail is None:
        return None
    book = snapshot_book(region_of(job.job_arn or detail.summary.job_arn))
    if book is None:
        return None
    now = int(time.time() * 1000)
    return job_cost(book, resources.instance_catalogue(), detail, now_ms=now, instance_types=instance_types)


def cost_text(job: JobSummary, detail: JobDetail | None) -> str:
    found = estimate(job, detail)
    return "" if found is None else f"~{found.text}"


def cost_key(job: JobSummary, detail: JobDetail | None) -> float | None:
    found = estimate(job, detail)
    return None if found is None else found.high


def cost_line(detail: JobDetail, instance_types: Mapping[str, str] | None = None) -> str:
    """The details pane's line: the figure, what it is based on, and the prices' date."""
    found = estimate(detail.summary, detail, instance_types)
    if found is None:
        return "not known (not started yet, an array parent, or no price for its region)"
    book = snapshot_book(region_of(detail.summary.job_arn))
    source = "" if book is None else f"; prices: {book.label}"
    running = "" if detail.summary.stopped_at is not None else " so far"
    return f"about {found.text}{running} — an estimate ({found.basis}{source})"


class InstanceLookup:
    """Asks ECS (through the pricing facade) for the instance type of an EC2 job's container
    instances when its details are shown, so its cost is one figure rather than a range.

    Each container instance is asked about once (its type never changes; one ECS did not name stays
    unnamed): going back to a job shows its type again without another lookup."""

    def __init__(self, pricing: PricingService, spawn: Spawn) -> None:
        self.pricing = pricing
        self.spawn = spawn
        self.asked: set[str] = set()
        self.known: dict[str, str] = {}  # containerInstanceArn -> EC2 type, as ECS named them

    def serve_details(self, details: JobDetailsView) -> None:
        details.shown.connect(lambda detail: self._shown(details, detail))

    def _shown(self, details: JobDetailsView, detail: JobDetail) -> None:
        arns = job_instances(detail)
        known = {a: self.known[a] for a in arns if a in self.known}
        if known:
            details.add_instance_types(known)
        wanted = arns - self.asked
        if wanted:
            self.asked |= wanted
            self.spawn(self.look_up(details, wanted), f"Look up the instance type of {detail.job_id}")

    async def look_up(self, details: JobDetailsView, arns: set[str]) -> dict[str, str]:
        found = await self.pricing.instance_types(sorted(arns))
        self.known.update(found)
        details.add_instance_types(found)
        return found
