"""Live monitoring (first cut: jobs per queue and status)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import JobStatus
from batchgui.services.connections import Backend
from batchgui.ui.models.table import Column
from batchgui.ui.panels.base import ListPanel, PanelServices


@dataclass(frozen=True)
class QueueCounts:
    queue: str
    counts: dict[JobStatus, int]


def _count_column(status: JobStatus) -> Column[QueueCounts]:
    return Column(
        status.value.title(),
        lambda r: str(r.counts.get(status, 0)),
        lambda r: r.counts.get(status, 0),
        align_right=True,
        width=90,
    )


COLUMNS: list[Column[QueueCounts]] = [
    Column("Queue", lambda r: r.queue, width=180),
    *(_count_column(s) for s in JobStatus),
]


class MonitorPanel(ListPanel[QueueCounts]):
    panel_id = "monitor"
    title = "Monitor"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda r: r.queue, parent)

    async def load(self, backend: Backend) -> None:
        queues = await self.services.runner.run(backend.batch.describe_job_queues)
        rows = []
        for queue in queues:
            pages = await asyncio.gather(
                *(self.services.runner.run(backend.batch.list_jobs, queue.name, s) for s in JobStatus)
            )
            rows.append(QueueCounts(queue.name, {s: len(p) for s, p in zip(JobStatus, pages, strict=True)}))
        self.model.set_rows(rows)

    def row_arn(self, row: QueueCounts) -> str:
        return row.queue

    def row_raw(self, row: QueueCounts) -> object:
        return {"queue": row.queue, **{s.value: n for s, n in row.counts.items()}}
