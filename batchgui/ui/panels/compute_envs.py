"""Compute environments (Fargate and EC2)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import ComputeEnvironment
from batchgui.services.connections import Backend
from batchgui.ui.models.table import Column
from batchgui.ui.panels.base import ListPanel, PanelServices


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


COLUMNS: list[Column[ComputeEnvironment]] = [
    Column("Name", lambda c: c.name, width=180),
    Column("Type", lambda c: c.type, width=90),
    Column("Platform", lambda c: c.platform.value if c.platform else "", width=100),
    Column("State", lambda c: c.state, width=80),
    Column("Status", lambda c: c.status, width=80),
    Column("Min vCPU", lambda c: _num(c.min_vcpus), lambda c: c.min_vcpus, align_right=True, width=70),
    Column(
        "Desired vCPU", lambda c: _num(c.desired_vcpus), lambda c: c.desired_vcpus, align_right=True, width=90
    ),
    Column("Max vCPU", lambda c: _num(c.max_vcpus), lambda c: c.max_vcpus, align_right=True, width=70),
    Column("Instance types", lambda c: ", ".join(c.instance_types), width=140),
    Column("Subnets", lambda c: str(len(c.subnets)), lambda c: len(c.subnets), align_right=True, width=60),
    Column("Status reason", lambda c: c.status_reason, tooltip=lambda c: c.status_reason, width=200),
]


class ComputeEnvironmentsPanel(ListPanel[ComputeEnvironment]):
    panel_id = "compute-environments"
    title = "Compute environments"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda c: c.arn, parent)

    async def load(self, backend: Backend) -> None:
        rows = await self.services.runner.run(backend.batch.describe_compute_environments)
        self.model.set_rows(rows)

    def row_details(self, row: ComputeEnvironment) -> list[tuple[str, str]]:
        return [
            ("Name", row.name),
            ("ARN", row.arn),
            ("Type", row.type),
            ("Platform", row.platform.value if row.platform else "(unmanaged)"),
            ("State / status", f"{row.state} / {row.status}"),
            ("Status reason", row.status_reason),
            ("vCPUs min / desired / max", f"{row.min_vcpus} / {row.desired_vcpus} / {row.max_vcpus}"),
            ("Instance types", ", ".join(row.instance_types)),
            ("Subnets", "\n".join(row.subnets)),
            ("Security groups", "\n".join(row.security_groups)),
            ("ECS cluster", row.ecs_cluster_arn),
            ("Service role", row.service_role),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(row.tags.items()))),
        ]
