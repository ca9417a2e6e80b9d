"""Light and dark themes: the palette follows the system colour scheme, or the choice given."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from batchgui.ui.theme import Theme, dark_palette, is_dark


@pytest.fixture
def app(qapp: Any) -> Iterator[QApplication]:
    assert isinstance(qapp, QApplication)
    palette, style = qapp.palette(), qapp.style().name()
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_dark_and_light_choices(app: QApplication) -> None:
    theme = Theme(app, "dark")
    assert is_dark(app.palette())
    theme.set_choice("light")
    assert not is_dark(app.palette())
    with pytest.raises(ValueError, match="light, dark"):
        theme.set_choice("purple")
    with pytest.raises(ValueError, match="system"):
        Theme(app, "sepia")


def test_system_scheme_is_followed_when_it_changes(app: QApplication) -> None:
    system = [Qt.ColorScheme.Light]
    theme = Theme(app, "system", system_scheme=lambda: system[0])
    assert not is_dark(app.palette())
    # The desktop switches to dark: Qt's style hints announce it.
    system[0] = Qt.ColorScheme.Dark
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.dark
    assert is_dark(app.palette())


def test_dark_palette_keeps_text_readable() -> None:
    palette = dark_palette()
    for text, background in (
        (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
        (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
        (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
        (QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight),
    ):
        gap = palette.color(text).lightness() - palette.color(background).lightness()
        assert gap > 100, (text, background)
