"""A log viewer that keeps up with a job writing 1,000 lines a second.

Lines are buffered and appended to the document in one block per FLUSH_MS (a QPlainTextEdit append
per line would relayout per line); the document keeps at most MAX_LINES lines (oldest dropped), and
the full text stays saveable from the retained lines. Follow mode scrolls to the end after each
append unless the user scrolled up to read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

FLUSH_MS = 100
MAX_LINES = 200_000


def _stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%H:%M:%S.%f")[:-3]


class LogView(QWidget):
    """Log lines with follow, search, first/last, wrap and save."""

    follow_changed = Signal(bool)
    save_requested = Signal(Path, str)

    def __init__(self, parent: QWidget | None = None, max_lines: int = MAX_LINES) -> None:
        super().__init__(parent)
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._pending: list[str] = []
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(max_lines)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setUndoRedoEnabled(False)
        font = self.text.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.text.setFont(font)
        self.follow_box = QCheckBox("Follow")
        self.follow_box.setToolTip("Keep reading new events and scroll to the end")
        self.follow_box.toggled.connect(self.follow_changed)
        self.wrap_box = QCheckBox("Wrap")
        self.wrap_box.toggled.connect(self.set_wrap)
        self.timestamps_box = QCheckBox("Times")
        self.timestamps_box.setChecked(True)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search log (Enter: next, Shift+Enter: previous)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.find_next)
        previous = QAction(self.search_edit)
        previous.setShortcut(QKeySequence("Shift+Return"))
        previous.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        previous.triggered.connect(self.find_previous)
        self.search_edit.addAction(previous)
        self.first_button = QPushButton("First")
        self.first_button.setToolTip("Jump to the first line (Ctrl+Home)")
        self.first_button.clicked.connect(self.jump_first)
        self.last_button = QPushButton("Last")
        self.last_button.setToolTip("Jump to the last line (Ctrl+End)")
        self.last_button.clicked.connect(self.jump_last)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self._ask_save)
        self.state_label = QLabel()
        self.state_label.setObjectName("logState")
        bar = QHBoxLayout()
        bar.addWidget(self.follow_box)
        bar.addWidget(self.wrap_box)
        bar.addWidget(self.timestamps_box)
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.first_button)
        bar.addWidget(self.last_button)
        bar.addWidget(self.save_button)
        for number in range(bar.count()):
            item = bar.itemAt(number)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setMinimumWidth(16)  # squeeze in narrow windows rather than widen them
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.state_label)
        layout.addWidget(self.text, 1)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)

    # --- content ------------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self.follow_box.isChecked()

    def set_following(self, on: bool) -> None:
        self.follow_box.setChecked(on)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.setVisible(bool(text))

    def clear(self) -> None:
        self._flush_timer.stop()
        self._lines.clear()
        self._pending.clear()
        self.text.clear()

    def append_events(self, events: Iterable[tuple[int, str]]) -> None:
        """(timestamp ms, message) pairs; shown at the next flush."""
        stamps = self.timestamps_box.isChecked()
        lines = [f"{_stamp(ms)}  {message}" if stamps else message for ms, message in events]
        self.append_lines(lines)

    def append_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            # A multi-line event stays one block per line so the cap and search stay line-based.
            self._pending.extend(line.rstrip("\n").split("\n"))
        if self._pending and not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        self._flush_timer.stop()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._lines.extend(pending)
        scrollbar = self.text.verticalScrollBar()
        at_end = scrollbar.value() >= scrollbar.maximum() - 2
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        if not self.text.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText("\n".join(pending))
        cursor.endEditBlock()
        if self.following and (at_end or len(self._lines) == len(pending)):
            scrollbar.setValue(scrollbar.maximum())

    def line_count(self) -> int:
        return len(self._lines)

    def lines(self) -> list[str]:
        return list(self._lines)

    def plain_text(self) -> str:
        return "\n".join(self._lines)

    # --- navigation ---------------------------------------------------------------------------
    def set_wrap(self, on: bool) -> None:
        self.wrap_box.setChecked(on)
        mode = QPlainTextEdit.LineWrapMode.WidgetWidth if on else QPlainTextEdit.LineWrapMode.NoWrap
        self.text.setLineWrapMode(mode)

    def jump_first(self) -> None:
        self.flush()
        self.text.moveCursor(QTextCursor.MoveOperation.Start)
        self.text.verticalScrollBar().setValue(0)

    def jump_last(self) -> None:
        self.flush()
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())

    def find_next(self) -> bool:
        return self._find(QTextDocument.FindFlag(0))

    def find_previous(self) -> bool:
        return self._find(QTextDocument.FindFlag.FindBackward)

    def _find(self, flags: QTextDocument.FindFlag) -> bool:
        self.flush()
        needle = self.search_edit.text()
        if not needle:
            return False
        if self.text.find(needle, flags):
            self.search_edit.setStyleSheet("")
            return True
        # Wrap around once.
        cursor = self.text.textCursor()
        backward = bool(flags & QTextDocument.FindFlag.FindBackward)
        cursor.movePosition(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
        self.text.setTextCursor(cursor)
        found = self.text.find(needle, flags)
        self.search_edit.setStyleSheet("" if found else "background: #fdd")
        return found

    def selected_text(self) -> str:
        return self.text.textCursor().selectedText()

    # --- saving -------------------------------------------------------------------------------
    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save log", "job.log", "Log files (*.log *.txt)")
        if path:
            self.save_requested.emit(Path(path), self.plain_text() + "\n")
