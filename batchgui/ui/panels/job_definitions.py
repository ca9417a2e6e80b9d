"""Job definitions and their revisions."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import JobDefinition
from batchgui.services.connections import Backend
from batchgui.ui.models.table import Column
from batchgui.ui.panels.base import ListPanel, PanelServices

COLUMNS: list[Column[JobDefinition]] = [
    Column("Name", lambda d: d.name, width=180),
    Column("Revision", lambda d: str(d.revision), lambda d: d.revision, align_right=True, width=70),
    Column("Status", lambda d: d.status, width=80),
    Column("Platform", lambda d: d.platform, width=80),
    Column("Image", lambda d: d.image, width=220),
    Column("vCPU", lambda d: d.vcpus or "", lambda d: float(d.vcpus or 0), align_right=True, width=60),
    Column("Memory (MiB)", lambda d: d.memory_mib or "", lambda d: int(d.memory_mib or 0), align_right=True),
    Column("Command", lambda d: " ".join(d.command), width=240),
]


class JobDefinitionsPanel(ListPanel[JobDefinition]):
    panel_id = "job-definitions"
    title = "Job definitions"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda d: d.arn, parent)

    async def load(self, backend: Backend) -> None:
        rows = await self.services.runner.run(backend.batch.describe_job_definitions, "ACTIVE")
        self.model.set_rows(rows)

    def row_details(self, row: JobDefinition) -> list[tuple[str, str]]:
        return [
            ("Name:revision", row.name_revision),
            ("ARN", row.arn),
            ("Status", row.status),
            ("Platform", row.platform),
            ("Image", row.image),
            ("vCPU / memory (MiB) / GPU", f"{row.vcpus} / {row.memory_mib} / {row.gpus or 0}"),
            ("Command", " ".join(row.command)),
            ("Timeout (s)", str(row.timeout_s or "")),
            ("Retry attempts", str(row.retry_attempts or "")),
            ("Log driver", row.log_driver),
            ("Parameters", "\n".join(f"{k}={v}" for k, v in sorted(row.parameters.items()))),
        ]
