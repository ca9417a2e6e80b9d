"""What every page of the CSV wizard shares: the base page, message styles, small text helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWizardPage

from batchgui.ui.widgets.forms import Tone, tone_style

if TYPE_CHECKING:
    from batchgui.ui.csv_wizard.wizard import CsvWizard

# The tones the pages say things in (coloured for the current theme when said).
ERROR_STYLE, WARN_STYLE, OK_STYLE = Tone.PROBLEM, Tone.WARNING, Tone.OK


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _cell(index: int) -> Callable[[tuple[int, list[str]]], str]:
    def text(row: tuple[int, list[str]]) -> str:
        return row[1][index] if index < len(row[1]) else ""

    return text


class WizardPage(QWizardPage):
    """A step: it shows the wizard's session (`self.s`) and writes its own decision there."""

    def __init__(self, wizard: CsvWizard, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.w = wizard
        self.s = wizard.session
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def say(self, text: str, tone: Tone = Tone.PLAIN) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(tone_style(self.message, tone))
