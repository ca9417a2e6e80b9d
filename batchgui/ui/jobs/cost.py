"""The estimated cost of a job in the Jobs table (a column) and in its details (a line), always
labelled an estimate, with the prices' source and date.

Both read the dated price snapshot shipped in resources/ for the job's region (from its ARN), so the
table needs no call per row; the Price List API's live prices are used where the app asks the pricing
facade (the CSV wizard's Review). A job whose environment is not known is priced on its own platform:
Fargate at the On-Demand rate (Fargate Spot costs less), EC2 as a range over the priced types it fits.
"""

from __future__ import annotations

import time

from batchgui import resources
from batchgui.domain.batch import JobSummary
from batchgui.domain.job_detail import JobDetail
from batchgui.domain.pricing import CostEstimate, job_cost
from batchgui.services.pricing import snapshot_book

COLUMN_TITLE = "Cost (est.)"
COLUMN_WIDTH = 130


def region_of(arn: str) -> str:
    """The region in an ARN (arn:aws:batch:REGION:account:job/id), '' when it has none."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 else ""


def estimate(job: JobSummary, detail: JobDetail | None) -> CostEstimate | None:
    """The job's cost at the snapshot's prices (a running job: so far), or None when not known."""
    if detail is None:
        return None
    book = snapshot_book(region_of(job.job_arn or detail.summary.job_arn))
    if book is None:
        return None
    return job_cost(book, resources.instance_catalogue(), detail, now_ms=int(time.time() * 1000))


def cost_text(job: JobSummary, detail: JobDetail | None) -> str:
    found = estimate(job, detail)
    return "" if found is None else f"~{found.text}"


def cost_key(job: JobSummary, detail: JobDetail | None) -> float | None:
    found = estimate(job, detail)
    return None if found is None else found.high


def cost_line(detail: JobDetail) -> str:
    """The details pane's line: the figure, what it is based on, and the prices' date."""
    found = estimate(detail.summary, detail)
    if found is None:
        return "not known (not started yet, an array parent, or no price for its region)"
    book = snapshot_book(region_of(detail.summary.job_arn))
    source = "" if book is None else f"; prices: {book.label}"
    running = "" if detail.summary.stopped_at is not None else " so far"
    return f"about {found.text}{running} — an estimate ({found.basis}{source})"
