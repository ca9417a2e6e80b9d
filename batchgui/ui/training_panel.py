"""What the service environment, quota share and service job panels share: the TrainingService
facade (and the inventory one, for tags), and the delete that disables an ENABLED object first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtWidgets import QWidget

from batchgui.services.inventory import InventoryService
from batchgui.services.training import TrainingService
from batchgui.ui.widgets.actions import InventoryPanel
from batchgui.ui.widgets.panel import PanelServices

T = TypeVar("T")


class TrainingPanel(InventoryPanel[T]):
    def __init__(
        self,
        services: PanelServices,
        inventory: InventoryService,
        training: TrainingService,
        parent: QWidget | None = None,
    ) -> None:
        self.training = training
        super().__init__(services, inventory, parent)

    async def delete_disabling_first(
        self,
        kind: str,
        what: str,
        enabled: bool,
        disable: Callable[[], Awaitable[object]],
        delete: Callable[[], Awaitable[object]],
    ) -> None:
        """Confirm, then disable (Batch deletes only DISABLED ones) and delete."""
        first = " It is ENABLED: it will be disabled first, then deleted." if enabled else ""
        name = what.split(" ", 1)[0]

        async def change() -> None:
            if enabled:
                await disable()
            await delete()

        await self.confirmed(f"Delete {kind}", f"Delete {kind} {what}?{first}", f"Delete {name}", change)
