"""Small dialogs awaited from coroutines (no nested event loops: qasync runs the one loop)."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


async def ask_text(parent: QWidget | None, title: str, label: str, secret: bool = False) -> str | None:
    """Show a non-blocking input dialog and wait for it; None if cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal)
    future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(dialog.textValue() if result else None)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await future
    finally:
        dialog.deleteLater()


async def confirm(parent: QWidget | None, title: str, text: str, action: str = "OK") -> bool:
    """Ask before a destructive action; the destructive button is never the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    accept = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def finished(_result: int) -> None:
        if not future.done():
            future.set_result(box.clickedButton() is accept)

    box.finished.connect(finished)
    box.open()
    try:
        return await future
    finally:
        box.deleteLater()


async def ask_mfa_code(parent: QWidget | None, prompt: str) -> str | None:
    return await ask_text(parent, "MFA code", prompt or "Enter the MFA code:", secret=False)
