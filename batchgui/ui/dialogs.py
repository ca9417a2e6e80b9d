"""Small dialogs awaited from coroutines (no nested event loops: qasync runs the one loop)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from batchgui.ui.widgets.forms import wait_and_delete


async def ask_text(parent: QWidget | None, title: str, label: str, secret: bool = False) -> str | None:
    """Show a non-blocking input dialog and wait for it; None if cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal)
    result = await wait_and_delete(dialog)
    return dialog.textValue() if result else None


async def confirm(parent: QWidget | None, title: str, text: str, action: str = "OK") -> bool:
    """Ask before a destructive action; the destructive button is never the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    accept = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    await wait_and_delete(box)
    return box.clickedButton() is accept


async def ask_mfa_code(parent: QWidget | None, prompt: str) -> str | None:
    return await ask_text(parent, "MFA code", prompt or "Enter the MFA code:", secret=False)
