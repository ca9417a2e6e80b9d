"""One non-modal place where errors from background calls land, with details on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from batchgui.services.connections import describe_error

MAX_NOTIFICATIONS = 200


@dataclass(frozen=True)
class Notification:
    when: datetime
    what: str
    title: str
    body: str


class NotificationArea(QWidget):
    """A list of notifications (newest first) and the selected one's full text."""

    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[Notification] = []
        self._list = QListWidget()
        self._list.setObjectName("notificationList")
        self._details = QPlainTextEdit()
        self._details.setReadOnly(True)
        self._details.setPlaceholderText("Select a message to see its details.")
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the selected message")
        copy.clicked.connect(self._copy)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Messages from background work"))
        buttons.addStretch(1)
        buttons.addWidget(copy)
        buttons.addWidget(clear)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._list)
        splitter.addWidget(self._details)
        splitter.setSizes([400, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(splitter)
        self._list.currentRowChanged.connect(self._show)

    def notify_error(self, what: str, error: BaseException) -> None:
        title, body = describe_error(error)
        self.notify(what, title, body)

    def notify(self, what: str, title: str, body: str) -> None:
        note = Notification(datetime.now(), what, title, body)
        self._items.insert(0, note)
        item = QListWidgetItem(f"{note.when:%H:%M:%S}  {what}: {title}")
        item.setToolTip(body)
        self._list.insertItem(0, item)
        while len(self._items) > MAX_NOTIFICATIONS:
            self._items.pop()
            self._list.takeItem(self._list.count() - 1)
        self._list.setCurrentRow(0)
        self.count_changed.emit(len(self._items))

    def notifications(self) -> list[Notification]:
        return list(self._items)

    def clear(self) -> None:
        self._items.clear()
        self._list.clear()
        self._details.clear()
        self.count_changed.emit(0)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._items):
            note = self._items[row]
            self._details.setPlainText(f"{note.what}\n{note.title}\n\n{note.body}")

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._details.toPlainText())
