"""A JSON editor: syntax highlighting, line numbers, and jumping to a JSON path or a parse error."""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, QRegularExpression, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from batchgui.ui.theme import is_dark
from batchgui.ui.widgets.panel import monospace_font


def _format(color: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(700)
    return fmt


LIGHT_COLOURS = ("#666666", "#098658", "#0000ff", "#a31515", "#001080")
DARK_COLOURS = ("#a0a0a0", "#b5cea8", "#569cd6", "#ce9178", "#9cdcfe")


class JsonHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers, true/false/null and punctuation in different colours."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        # (punctuation, number, literal, string, key): VS Code's light and dark colours.
        colours = DARK_COLOURS if dark else LIGHT_COLOURS
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = [
            (QRegularExpression(r"[{}\[\],:]"), _format(colours[0])),
            (QRegularExpression(r"-?\b\d+(\.\d+)?([eE][+-]?\d+)?\b"), _format(colours[1])),
            (QRegularExpression(r"\b(true|false|null)\b"), _format(colours[2], bold=True)),
            (QRegularExpression(r'"(?:[^"\\]|\\.)*"'), _format(colours[3])),
            # A string followed by a colon is a key (applied last so it wins over plain strings).
            (QRegularExpression(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), _format(colours[4], bold=True)),
        ]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), fmt)


class _LineNumbers(QWidget):
    def __init__(self, editor: JsonEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self._editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_line_numbers(event)


PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class JsonEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonEditor")
        self.setFont(monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.highlighter = JsonHighlighter(self.document(), dark=is_dark(self.palette()))
        self._numbers = _LineNumbers(self)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_numbers)
        self._update_margin()

    # --- line numbers -------------------------------------------------------------------------
    def line_number_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_margin(self, *_args: object) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _scroll_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._numbers.setGeometry(QRect(area.left(), area.top(), self.line_number_width(), area.height()))

    def paint_line_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self._numbers)
        painter.fillRect(event.rect(), self.palette().color(QPalette.ColorRole.Window))
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                painter.drawText(
                    0, top, self._numbers.width() - 6, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
                )
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    # --- navigation ---------------------------------------------------------------------------
    def go_to(self, line: int, column: int = 1) -> None:
        """Put the cursor at 1-based line/column and mark that line."""
        block = self.document().findBlockByLineNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, max(0, column - 1)
        )
        self.setTextCursor(cursor)
        self.centerCursor()
        mark = QTextEdit.ExtraSelection()
        mark.format.setBackground(QColor("#5c2b2b" if is_dark(self.palette()) else "#ffe0e0"))
        mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        mark.cursor = QTextCursor(block)
        self.setExtraSelections([mark])
        self.setFocus()

    def line_of_path(self, path: str) -> int | None:
        """The 1-based line where a JSON path such as `containerProperties.resourceRequirements[1]` is
        written (the deepest part found), for pretty-printed JSON."""
        text = self.toPlainText()
        lines = text.splitlines()
        position = 0
        found: int | None = None
        for match in PATH_PART.finditer(path):
            key, index = match.group(1), match.group(2)
            if key is not None:
                hit = text.find(f'"{key}"', position)
                if hit < 0:
                    break
                position = hit + len(key) + 2
                found = text.count("\n", 0, hit) + 1
            elif index is not None and found is not None:
                # Count the items of the list that starts on the found line: one per top-level "{" or value.
                line = found
                depth = 0
                seen = -1
                for number in range(found - 1, len(lines)):
                    stripped = lines[number].strip()
                    if number > found - 1 and depth == 1 and stripped and not stripped.startswith(("]", "}")):
                        seen += 1
                        if seen == int(index):
                            # An object item: point at its first member, which says what it is.
                            line = number + 2 if stripped == "{" and number + 1 < len(lines) else number + 1
                            break
                    depth += (
                        stripped.count("[") + stripped.count("{") - stripped.count("]") - stripped.count("}")
                    )
                    if depth <= 0 and number > found - 1:
                        break
                found = line
                position = sum(len(x) + 1 for x in lines[: line - 1])
        return found

    def go_to_path(self, path: str) -> bool:
        line = self.line_of_path(path)
        if line is None:
            return False
        self.go_to(line)
        return True
