"""Job queues."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import JobQueue
from batchgui.services.connections import Backend
from batchgui.ui.models.table import Column
from batchgui.ui.panels.base import ListPanel, PanelServices

COLUMNS: list[Column[JobQueue]] = [
    Column("Name", lambda q: q.name, width=180),
    Column("State", lambda q: q.state, width=80),
    Column("Status", lambda q: q.status, width=80),
    Column("Priority", lambda q: str(q.priority), lambda q: q.priority, align_right=True, width=70),
    Column(
        "Compute environments",
        lambda q: " → ".join(ce.name for ce in q.compute_environments),
        width=260,
    ),
    Column("Scheduling policy", lambda q: q.scheduling_policy_arn.rsplit("/", 1)[-1], width=140),
    Column("Status reason", lambda q: q.status_reason, tooltip=lambda q: q.status_reason, width=200),
]


class JobQueuesPanel(ListPanel[JobQueue]):
    panel_id = "job-queues"
    title = "Job queues"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda q: q.arn, parent)

    async def load(self, backend: Backend) -> None:
        rows = await self.services.runner.run(backend.batch.describe_job_queues)
        self.model.set_rows(rows)

    def row_details(self, row: JobQueue) -> list[tuple[str, str]]:
        return [
            ("Name", row.name),
            ("ARN", row.arn),
            ("State / status", f"{row.state} / {row.status}"),
            ("Priority", str(row.priority)),
            ("Compute environments", "\n".join(f"{ce.order}. {ce.arn}" for ce in row.compute_environments)),
            ("Scheduling policy", row.scheduling_policy_arn),
            ("Status reason", row.status_reason),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(row.tags.items()))),
        ]
