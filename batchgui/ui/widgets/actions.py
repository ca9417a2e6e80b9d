"""What the inventory panels share: action buttons with shortcuts, the InventoryPanel base (actions on
the selected row, dialogs shown until they close, tags, enable/disable, the dependency-aware delete
with its progress dialog), and telling the user something without blocking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QMessageBox, QToolBar, QVBoxLayout, QWidget

from batchgui.services.inventory import DeletePlan, InventoryService
from batchgui.ui.dialogs import confirm
from batchgui.ui.widgets.delete_progress import DeleteProgressDialog
from batchgui.ui.widgets.forms import emitted, wait_and_delete
from batchgui.ui.widgets.icons import action_icon
from batchgui.ui.widgets.pairs import TagsDialog
from batchgui.ui.widgets.panel import ListPanel, PanelServices
from batchgui.ui.widgets.table_model import Column

T = TypeVar("T")
Shortcut = str | QKeySequence.StandardKey


class Asking(Protocol):
    """A dialog or wizard that is opened and awaited: True once its change was applied."""

    def ask(self) -> Awaitable[bool]: ...

    def deleteLater(self) -> None: ...


def add_action(
    panel: ListPanel[Any],
    text: str,
    slot: Callable[[], object],
    *,
    shortcut: Shortcut | None = None,
    tooltip: str = "",
    needs_selection: bool = True,
) -> QAction:
    """An action on the panel's action bar, with a keyboard shortcut while the panel has focus."""
    action = QAction(text, panel)
    drawn = action_icon(text)
    if drawn is not None:
        action.setIcon(drawn)
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
    # Icon and text: a bare word on a flat bar read as a link, not a button.
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.setIconSize(QSize(16, 16))
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


def toggle_label(state: str | None) -> str:
    """What the Enable/Disable action does for a row in this state (nothing selected: Disable)."""
    return "Disable" if state in (None, "ENABLED") else "Enable"


def tags_text(tags: dict[str, str], separator: str = "\n") -> str:
    return separator.join(f"{k}={v}" for k, v in sorted(tags.items()))


async def tell(parent: QWidget | None, title: str, text: str) -> None:
    """An information box, awaited without a nested event loop."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    await wait_and_delete(box)


class InventoryPanel(ListPanel[T]):
    """A list of one kind of Batch object, changed through the inventory facade."""

    # What the Enable/Disable action does (set by add_toggle_action).
    toggle_button: QAction
    _toggle_kind = ""
    _disable_effect = ""
    _state_setter: Callable[[str, str], Awaitable[None]] | None = None

    def __init__(
        self, services: PanelServices, inventory: InventoryService, parent: QWidget | None = None
    ) -> None:
        super().__init__(services, self.make_columns(), self.row_arn, parent)
        self.inventory = inventory
        # The progress dialog of the last dependency-aware delete.
        self.last_delete_dialog: DeleteProgressDialog | None = None
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.add_actions()

    # --- building the action bar --------------------------------------------------------------
    def add_create_action(self, text: str, slot: Callable[[], object], tooltip: str) -> QAction:
        """Create… (Ctrl+Shift+N), also the button of the empty table."""
        action = add_action(self, text, slot, shortcut="Ctrl+Shift+N", tooltip=tooltip, needs_selection=False)
        self.set_empty_action(action, f"{tooltip}…")
        return action

    def add_row_action(
        self, text: str, slot: Callable[[], object], tooltip: str, shortcut: Shortcut | None = None
    ) -> QAction:
        """An action on the selected rows, on the action bar and in the right-click menu."""
        action = add_action(self, text, slot, shortcut=shortcut, tooltip=tooltip)
        self.row_actions.append(action)
        return action

    def add_tags_action(self) -> QAction:
        return self.add_row_action("Tags…", self.tags, "View and edit tags", "Ctrl+T")

    def add_delete_action(self, tooltip: str, text: str = "Delete…") -> QAction:
        return self.add_row_action(text, self.delete, tooltip, QKeySequence.StandardKey.Delete)

    def add_toggle_action(
        self,
        kind: str,
        disable_effect: str,
        set_state: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> QAction:
        """Enable/Disable, named for the selected row's state; `set_state(name, state)` makes the change
        (None: the panel overrides set_row_state)."""
        self._toggle_kind, self._disable_effect, self._state_setter = kind, disable_effect, set_state
        self.toggle_button = self.add_row_action("Enable/Disable", self.toggle_state, "Enable or disable")
        self.table.selectionModel().selectionChanged.connect(self._name_toggle)
        self.model.rows_changed.connect(self._name_toggle)
        return self.toggle_button

    # --- for subclasses -----------------------------------------------------------------------
    def make_columns(self) -> Sequence[Column[T]]:
        """The table's columns."""
        raise NotImplementedError

    def add_actions(self) -> None:
        """Filters and actions of the action bar (called once, from the constructor)."""

    def row_state(self, row: T) -> str:
        return str(getattr(row, "state", ""))

    def detail_name(self, row: T) -> tuple[str, str]:
        return "Name", self.row_name(row)

    def more_details(self, row: T) -> list[tuple[str, str]]:
        """What the details pane shows between the ARN and the tags."""
        return []

    def row_details(self, row: T) -> list[tuple[str, str]]:
        tags: dict[str, str] = getattr(row, "tags", {})
        return [
            self.detail_name(row),
            ("ARN", self.row_arn(row)),
            *self.more_details(row),
            ("Tags", tags_text(tags)),
        ]

    def delete(self) -> None:
        """Delete the selected row (subclasses say how)."""

    # --- behaviour ----------------------------------------------------------------------------
    def for_selected(self, run: Callable[[T], Coroutine[Any, Any, object]], what: str) -> None:
        """Run `run(row)` in the background for the selected row, if there is one."""
        row = self.selected_row()
        if row is not None:
            self.spawn(run(row), f"{what} {self.row_name(row)}")

    async def show_dialog(self, attribute: str, dialog: Asking) -> bool:
        """Show `dialog` as `self.<attribute>` until it closes; refresh once it applied its change."""
        setattr(self, attribute, dialog)
        try:
            applied = await dialog.ask()
            if applied:
                self.refresh()
            return applied
        finally:
            dialog.deleteLater()
            setattr(self, attribute, None)

    async def confirmed(
        self, title: str, text: str, button: str, change: Callable[[], Awaitable[object]]
    ) -> bool:
        """Ask, then make the change and refresh; False (nothing sent) if not confirmed."""
        if not await confirm(self, title, text, button):
            return False
        await change()
        self.refresh()
        return True

    def tags(self) -> None:
        self.for_selected(self._edit_tags, "Tags of")

    async def _edit_tags(self, row: T) -> None:
        arn = self.row_arn(row)
        if not arn:
            return
        tags = await self.inventory.tags(arn)

        async def save(wanted: dict[str, str]) -> None:
            await self.inventory.set_tags(arn, wanted)

        await self.show_dialog("tags_dialog", TagsDialog(arn, tags, save, self))

    def _name_toggle(self, *_args: object) -> None:
        row = self.selected_row()
        self.toggle_button.setText(toggle_label(self.row_state(row) if row is not None else None))

    def toggle_state(self) -> None:
        self.for_selected(self._toggle, "Enable/disable")

    async def set_row_state(self, row: T, state: str) -> None:
        """Enable or disable `row` (the row the user asked about, whatever is selected by now)."""
        set_state = self._state_setter
        assert set_state is not None  # given to add_toggle_action unless this is overridden
        await set_state(self.row_name(row), state)

    async def _toggle(self, row: T) -> None:
        """Enable a disabled resource, or disable an enabled one after saying what that does."""
        name, state = self.row_name(row), self.row_state(row)
        if state != "ENABLED":
            await self.set_row_state(row, "ENABLED")
            self.refresh()
            return
        await self.confirmed(
            f"Disable {self._toggle_kind}",
            f"Disable {name}?\n\n{self._disable_effect}",
            "Disable",
            lambda: self.set_row_state(row, "DISABLED"),
        )

    async def run_delete(self, plan: DeletePlan) -> bool | None:
        """Confirm with the plan's summary, then run it in the progress dialog; None if not confirmed."""
        if not await confirm(self, f"Delete {plan.kind}", plan.summary(), f"Delete {plan.name}"):
            return None
        dialog = DeleteProgressDialog(self.inventory.execute, plan, self)
        self.last_delete_dialog = dialog
        finished = emitted(dialog.finished_plan)
        dialog.start()
        try:
            return bool(await finished)
        finally:
            self.refresh()
