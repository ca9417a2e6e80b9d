"""Helpers for the inventory-panel UI tests: open a connected app on a panel, answer confirmations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from batchgui.app import Application
from batchgui.domain.connection import ConnectionSpec, LocalEndpoint


class SandboxEndpoint:
    """The embedded sandbox, given to make_app like a moto endpoint."""

    def __init__(self, running: Any) -> None:
        self.running = running

    def local(self) -> LocalEndpoint:
        return LocalEndpoint(
            self.running.endpoint_url,
            self.running.region,
            self.running.access_key_id,
            self.running.secret_access_key,
        )


def open_panel(
    make_app: Callable[..., Application], endpoint: Any, panel_id: str, wait_until: Callable[..., None]
) -> tuple[Application, Any]:
    app = make_app(endpoint, "--panel", panel_id)
    app.inventory.poll_interval_s = 0.1  # the deletes' status checks, quicker than a person needs
    app.start(ConnectionSpec.local())
    panel = app.window.current_panel()
    wait_until(lambda: panel.load_count >= 1, timeout=30, what=f"{panel_id} loaded")
    return app, panel


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def answer(wait_until: Callable[..., None], accept: bool = True) -> str:
    """Wait for a confirmation or information box, press its action (or Cancel); return its text."""
    wait_until(lambda: bool(message_boxes()), what="a message box")
    box = message_boxes()[0]
    text = box.text()
    if accept:
        buttons = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole]
        (buttons[0] if buttons else box.buttons()[0]).click()
    else:
        box.button(QMessageBox.StandardButton.Cancel).click()
    wait_until(lambda: box not in message_boxes(), what="the box to close")
    return text


def select_row(panel: Any, name: str) -> None:
    """Make the row named `name` the only selected one (whatever modifier keys Qt thinks are down)."""
    from PySide6.QtCore import QItemSelectionModel

    row = next(r for r in range(panel.model.rowCount()) if panel.model.index(r, 0).data() == name)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().setCurrentIndex(panel.model.index(row, 0), flags)
