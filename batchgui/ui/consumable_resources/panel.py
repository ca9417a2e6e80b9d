"""Consumable resources: list with in use / total and the jobs holding and waiting, create, change the
total, delete, tags."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from batchgui.domain.consumables import ConsumableJob, ConsumableUse
from batchgui.services.consumables import ConsumablesService
from batchgui.services.inventory import InventoryService
from batchgui.ui.consumable_resources.dialog import ConsumableResourceDialog
from batchgui.ui.widgets.actions import InventoryPanel, tags_text
from batchgui.ui.widgets.panel import PanelServices
from batchgui.ui.widgets.table_model import Column


def _number(title: str, value: Callable[[ConsumableUse], int], width: int = 70) -> Column[ConsumableUse]:
    return Column(title, lambda u: f"{value(u):,}", value, align_right=True, width=width)


def _jobs_text(jobs: list[ConsumableJob]) -> str:
    return "\n".join(f"{j.name} ({j.job_id}): {j.quantity:,}, {j.status}" for j in jobs) or "(none)"


COLUMNS: list[Column[ConsumableUse]] = [
    Column("Name", lambda u: u.name, width=180),
    Column("Type", lambda u: u.resource.resource_type, width=140),
    _number("In use", lambda u: u.resource.in_use),
    _number("Total", lambda u: u.resource.total),
    _number("Available", lambda u: u.resource.free),
    _number("Jobs holding", lambda u: len(u.holding), 90),
    _number("Jobs waiting", lambda u: len(u.waiting), 90),
    Column("Tags", lambda u: tags_text(u.tags, ", "), width=160),
]


class ConsumableResourcesPanel(InventoryPanel[ConsumableUse]):
    panel_id = "consumable-resources"
    title = "Consumable resources"
    empty_text = (
        "A consumable resource is a count jobs take from while they run (licences, tokens, a budget): "
        "a job that needs more than is free waits RUNNABLE until enough is given back."
    )

    kind = "consumable resource"
    edit_verb = "Change"
    dialog: ConsumableResourceDialog | None = None

    def __init__(
        self,
        services: PanelServices,
        inventory: InventoryService,
        consumables: ConsumablesService,
        parent: QWidget | None = None,
    ) -> None:
        self.consumables = consumables
        super().__init__(services, inventory, parent)

    def make_columns(self) -> list[Column[ConsumableUse]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.add_create_action("Create…", self.create_new, "Create a consumable resource")
        self.add_row_action("Edit total…", self.edit, "Set, add to or take from the total", "Ctrl+E")
        self.add_tags_action()
        self.add_delete_action("Delete the consumable resource")

    async def load(self) -> None:
        self.model.set_rows(await self.consumables.uses())

    def more_details(self, row: ConsumableUse) -> list[tuple[str, str]]:
        resource = row.resource
        return [
            ("Type", resource.resource_type),
            ("In use / total", f"{resource.in_use:,} / {resource.total:,} ({resource.free:,} available)"),
            ("Jobs holding it", _jobs_text(row.holding)),
            ("Jobs waiting for it", _jobs_text(row.waiting)),
        ]

    async def make_dialog(self, row: ConsumableUse | None) -> ConsumableResourceDialog:
        resource = None if row is None else await self.consumables.describe(row.arn)
        return ConsumableResourceDialog(self.consumables.save, resource, self)

    async def delete_row(self, row: ConsumableUse) -> None:
        holding = len(row.holding)
        warning = (
            f"\n\n{holding} running job(s) hold some of it now." if holding else ""
        ) + "\n\nJob definitions that name it can no longer be used to submit jobs."
        await self.confirmed(
            "Delete consumable resource",
            f"Delete consumable resource {row.name}?{warning}",
            f"Delete {row.name}",
            lambda: self.consumables.delete(row.arn),
        )
