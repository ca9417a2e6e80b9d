"""A link from one panel into another, filtered: "the RUNNABLE jobs of queue q", "compute environment
ce-1". The main window follows it (shows the panel and applies what it names)."""

from __future__ import annotations

from dataclasses import dataclass

from batchgui.domain.batch import JobStatus


@dataclass(frozen=True)
class PanelLink:
    panel_id: str
    queue: str = ""  # the Jobs panel: show this queue
    status: JobStatus | None = None  # the Jobs panel: on this status tab
    job_id: str = ""  # the Jobs panel: select this job
    filter_text: str = ""  # list panels: put this in the filter

    def describe(self) -> str:
        """In words, for tooltips and accessible names."""
        parts = [self.panel_id.replace("-", " ")]
        if self.status is not None:
            parts.append(self.status.value)
        if self.queue:
            parts.append(f"in {self.queue}")
        if self.job_id:
            parts.append(f"job {self.job_id}")
        if self.filter_text:
            parts.append(f"matching {self.filter_text!r}")
        return "Open " + " ".join(parts)
