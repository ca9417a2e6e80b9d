"""Jobs across queues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.services.connections import Backend
from batchgui.ui.models.table import Column
from batchgui.ui.panels.base import ListPanel, PanelServices


def _time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


COLUMNS: list[Column[JobSummary]] = [
    Column("Name", lambda j: j.name, width=180),
    Column("Status", lambda j: j.status.value, width=90),
    Column("Queue", lambda j: j.queue, width=120),
    Column("Created", lambda j: _time(j.created_at), lambda j: j.created_at, width=140),
    Column("Started", lambda j: _time(j.started_at), lambda j: j.started_at, width=140),
    Column("Stopped", lambda j: _time(j.stopped_at), lambda j: j.stopped_at, width=140),
    Column(
        "Exit code",
        lambda j: "" if j.exit_code is None else str(j.exit_code),
        lambda j: j.exit_code,
        align_right=True,
        width=60,
    ),
    Column("Job id", lambda j: j.job_id, width=260),
    Column("Status reason", lambda j: j.status_reason, tooltip=lambda j: j.status_reason, width=200),
]


class JobsPanel(ListPanel[JobSummary]):
    panel_id = "jobs"
    title = "Jobs"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda j: j.job_id, parent)

    async def load(self, backend: Backend) -> None:
        queues = await self.services.runner.run(backend.batch.describe_job_queues)
        calls = [
            self.services.runner.run(backend.batch.list_jobs, queue.name, status)
            for queue in queues
            for status in JobStatus
        ]
        rows = [job for page in await asyncio.gather(*calls) for job in page]
        self.model.set_rows(rows)

    def row_arn(self, row: JobSummary) -> str:
        return row.job_arn or row.job_id

    def row_raw(self, row: JobSummary) -> object:
        return row.__dict__
