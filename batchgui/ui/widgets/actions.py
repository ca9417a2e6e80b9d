"""Helpers the inventory panels share: action buttons with shortcuts, the tags editor, running a
dependency-aware delete with its progress dialog, and telling the user something without blocking."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QMessageBox, QToolBar, QVBoxLayout, QWidget

from batchgui.aws.batch_admin import BatchAdminGateway
from batchgui.services.connections import Backend
from batchgui.services.inventory import DeletePlan, Inventory
from batchgui.ui.dialogs import confirm
from batchgui.ui.widgets.delete_progress import DeleteProgressDialog
from batchgui.ui.widgets.forms import wait_finished
from batchgui.ui.widgets.pairs import TagsDialog
from batchgui.ui.widgets.panel import ListPanel

# Tests shorten the waits between status checks.
INVENTORY_POLL_S: dict[str, float] = {"interval": 2.0}


def add_action(
    panel: ListPanel[Any],
    text: str,
    slot: Callable[[], object],
    *,
    shortcut: str | QKeySequence.StandardKey | None = None,
    tooltip: str = "",
    needs_selection: bool = True,
) -> QAction:
    """An action on the panel's action bar, with a keyboard shortcut while the panel has focus."""
    action = QAction(text, panel)
    action.setObjectName(f"{panel.panel_id}-{text.strip('.…').lower().replace(' ', '-').replace('/', '-')}")
    if shortcut is not None:
        keys = QKeySequence(shortcut)
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tooltip = (
            f"{tooltip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})" if tooltip else tooltip
        )
    action.setToolTip(tooltip or text)

    def trigger() -> None:
        # triggered passes `checked`; the slots take no arguments.
        slot()

    action.triggered.connect(trigger)
    panel.addAction(action)
    if needs_selection:
        action.setEnabled(False)
        panel.table.selectionModel().selectionChanged.connect(
            lambda *_: action.setEnabled(bool(panel.table.selectionModel().selectedRows()))
        )
    action_bar(panel).addAction(action)
    return action


def action_bar(panel: ListPanel[Any]) -> QToolBar:
    """A tool bar of actions under the filter row; buttons that don't fit go behind its » menu, so
    the panel never forces the window wider."""
    bar = panel.findChild(QToolBar, "actionBar")
    if isinstance(bar, QToolBar):
        return bar
    bar = QToolBar(panel)
    bar.setObjectName("actionBar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.setMovable(False)
    layout = panel.layout()
    if isinstance(layout, QVBoxLayout):
        layout.insertWidget(1, bar)
    return bar


def add_filter_combo(panel: ListPanel[Any], label: str, choices: list[str]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(f"{panel.panel_id}-{label.lower()}-filter")
    combo.setToolTip(f"Show only this {label.lower()}")
    combo.addItems(choices)
    action_bar(panel).addWidget(combo)
    return combo


async def admin_gateway(panel: ListPanel[Any], backend: Backend) -> BatchAdminGateway:
    """The admin gateway, created on a worker: the first read of `backend.batch_admin` builds a boto3
    client, which must never happen on the GUI thread."""
    return await panel.services.runner.run(lambda: backend.batch_admin)


async def inventory_for(panel: ListPanel[Any], backend: Backend) -> Inventory:
    admin = await admin_gateway(panel, backend)
    return Inventory(panel.services.runner, admin, poll_interval_s=INVENTORY_POLL_S["interval"])


def toggle_label(state: str | None) -> str:
    """What the Enable/Disable action does for a row in this state (nothing selected: Disable)."""
    return "Disable" if state in (None, "ENABLED") else "Enable"


async def toggle_enabled(
    panel: ListPanel[Any],
    *,
    kind: str,
    name: str,
    state: str,
    disable_effect: str,
    set_state: Callable[[str, str], object],
) -> None:
    """Enable a disabled resource, or disable an enabled one after saying what that does."""
    target = "DISABLED" if state == "ENABLED" else "ENABLED"
    if target == "DISABLED" and not await confirm(
        panel, f"Disable {kind}", f"Disable {name}?\n\n{disable_effect}", "Disable"
    ):
        return
    await panel.services.runner.run(set_state, name, target)
    panel.refresh()


async def tell(parent: QWidget | None, title: str, text: str) -> None:
    """An information box, awaited without a nested event loop."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    try:
        await wait_finished(box)
    finally:
        box.deleteLater()


async def edit_tags(panel: ListPanel[Any], arn: str) -> None:
    backend = panel.backend
    if backend is None or not arn:
        return
    runner = panel.services.runner
    admin = await admin_gateway(panel, backend)
    tags = await runner.run(admin.list_tags, arn)

    async def save(wanted: dict[str, str]) -> None:
        await runner.run(admin.set_tags, arn, wanted)

    dialog = TagsDialog(arn, tags, save, panel)
    try:
        if await dialog.ask():
            panel.refresh()
    finally:
        dialog.deleteLater()


async def run_delete(panel: ListPanel[Any], inventory: Inventory, plan: DeletePlan) -> bool | None:
    """Confirm with the plan's summary, then run it in the progress dialog; None if not confirmed."""
    if not await confirm(panel, f"Delete {plan.kind}", plan.summary(), f"Delete {plan.name}"):
        return None
    dialog = DeleteProgressDialog(inventory, plan, panel)
    panel.last_delete_dialog = dialog  # type: ignore[attr-defined]
    finished: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def settle(ok: bool) -> None:
        if not finished.done():
            finished.set_result(ok)

    dialog.finished_plan.connect(settle)
    dialog.start()
    try:
        return await finished
    finally:
        panel.refresh()
