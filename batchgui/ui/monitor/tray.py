"""Desktop notifications through the system tray, where there is one.

Without a tray (offscreen, some Wayland desktops, CI) notifications are kept in `recent` and shown
by the panel itself: nothing fails and nothing pops up.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget


class TrayNotifier:
    def __init__(self, icon: QIcon, parent: QWidget | None = None) -> None:
        self._icon = icon
        self._parent = parent
        self._tray: QSystemTrayIcon | None = None
        self.recent: deque[tuple[str, str]] = deque(maxlen=50)

    @property
    def available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()

    def _ensure_tray(self) -> QSystemTrayIcon | None:
        if not self.available:
            return None
        if self._tray is None:
            self._tray = QSystemTrayIcon(self._icon, self._parent)
            self._tray.setToolTip("batchgui — monitoring")
        if not self._tray.isVisible():
            self._tray.show()
        return self._tray

    def notify(self, title: str, text: str, critical: bool = False) -> bool:
        """Show a desktop notification; returns whether the desktop could show it."""
        self.recent.append((title, text))
        tray = self._ensure_tray()
        if tray is None:
            return False
        icon = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Information
        tray.showMessage(title, text, icon, 8000)
        return True

    def hide(self) -> None:
        if self._tray is not None:
            self._tray.hide()
