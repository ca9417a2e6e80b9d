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


def test_muted_text_follows_a_theme_change(app: QApplication) -> None:
    # A tile's caption is secondary text: after the system turns dark it must take the dark
    # theme's muted grey, not keep the light theme's (which hardly showed on the dark background).
    from batchgui.ui.widgets.tile import Tile

    theme = Theme(app, "light")
    tile = Tile("Running", "runningTile")
    theme.set_choice("dark")
    app.processEvents()
    caption = tile.caption
    shown = caption.palette().color(caption.foregroundRole())
    assert shown == dark_palette().color(QPalette.ColorRole.PlaceholderText)
    theme.set_choice("light")
    app.processEvents()
    assert caption.palette().color(caption.foregroundRole()) != shown


def test_message_tones_read_on_either_theme(app: QApplication) -> None:
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QLabel

    from batchgui.ui.widgets.forms import Tone, tone_style

    theme = Theme(app, "dark")
    label = QLabel("Uploaded and verified")
    app.processEvents()  # the palette reaches widgets by events, as in the running app
    for tone in (Tone.PROBLEM, Tone.WARNING, Tone.OK):
        colour = QColor(tone_style(label, tone).removeprefix("color: ").removesuffix(";"))
        gap = colour.lightness() - label.palette().color(QPalette.ColorRole.Window).lightness()
        assert gap > 80, tone
    theme.set_choice("light")
    app.processEvents()
    for tone in (Tone.PROBLEM, Tone.WARNING, Tone.OK):
        colour = QColor(tone_style(label, tone).removeprefix("color: ").removesuffix(";"))
        gap = label.palette().color(QPalette.ColorRole.Window).lightness() - colour.lightness()
        assert gap > 80, tone
    assert tone_style(label, Tone.PLAIN) == ""
