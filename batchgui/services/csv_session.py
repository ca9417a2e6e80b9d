"""The CSV wizard's state, Qt-free: what each step decided, in one object the pages show.

A page writes what its step decided here and reads what earlier steps decided from here, never from
another page's widgets; tests drive a session without any window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from batchgui.aws.s3 import ObjectInfo
from batchgui.domain.csv_plan import DEFAULT_RATE_PER_S, Plan, SplitMode
from batchgui.services.journal import Submission
from batchgui.services.submission import new_submission_id
from batchgui.services.upload import FileCheck


@dataclass
class CsvSession:
    """One run of the wizard: file -> check -> upload -> jobs -> review -> submit."""

    rate_per_s: float = DEFAULT_RATE_PER_S
    path: Path | None = None
    check: FileCheck | None = None
    target: ObjectInfo | None = None
    plan: Plan | None = None
    submission_id: str = field(default_factory=new_submission_id)
    dry_run: bool = False
    confirmed: bool = False  # the person pressed "Submit N jobs" on the review step
    submission: Submission | None = None
    remembered: tuple[str, str] | None = None  # (queue, definition) last used on this connection

    def choose_file(self, path: Path) -> None:
        """A new file: everything decided about the previous one is void."""
        if path != self.path:
            self.path = path
            self.check = None
            self.target = None
            self.plan = None

    @property
    def rows(self) -> int:
        return self.check.inspection.rows if self.check is not None else 0

    @property
    def submit_label(self) -> str:
        """The review step's button: says exactly what pressing it sends."""
        plan = self.plan
        if plan is None:
            return "Submit"
        if self.dry_run:
            return f"Record a dry run of {plan.call_count:,} request{'s' if plan.call_count != 1 else ''}"
        if plan.input.mode is SplitMode.ARRAY and (plan.array_size or 0) > 1:
            arrays = len(plan.jobs)
            noun = "array job" if arrays == 1 else "array jobs"
            return f"Submit {arrays:,} {noun} ({plan.array_size:,} children)"
        count = plan.call_count
        return f"Submit {count:,} job{'s' if count != 1 else ''}"

    def results_table(self) -> str:
        plan = self.plan
        if plan is None:
            return ""
        return plan.input.parameters.get("table", "") or plan.input.definition.parameters.get("table", "")
