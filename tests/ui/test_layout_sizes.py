"""What a new user sees on a fresh config at 1024x700 and 1920x1080: the sidebar's entries whole, the
Jobs panel's search row and status tabs whole with no scroll arrows, menu buttons with their arrow
clear of the text, and form dialogs that stay the width of a form on a wide screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLineEdit,
    QListWidget,
    QStyle,
    QToolButton,
)

from batchgui.app import Application
from batchgui.domain.connection import ConnectionSpec
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog
from batchgui.ui.monitor.panel import MonitorPanel
from batchgui.ui.scheduling_policies.dialog import SchedulingPolicyDialog
from batchgui.ui.widgets.forms import FORM_MAX_WIDTH
from tests.support import MotoEndpoint, seed_batch
from tests.ui.jobs_stubs import FakeMonitor, panel_services

pytestmark = pytest.mark.timeout(120)
SIZES = [(1024, 700), (1920, 1080)]


def fresh_window(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    tmp_path: Path,
    size: tuple[int, int],
    panel: str,
) -> Application:
    """The app as `batchgui --screenshot X --size WxH --panel P` starts it on a fresh config."""
    width, height = size
    app = make_app(
        moto, "--screenshot", str(tmp_path / "x.png"), "--size", f"{width}x{height}", "--panel", panel
    )
    app.start(ConnectionSpec.local())
    return app


def settle(wait_until: Callable[..., None], seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() >= end, what="layout settled")


# Qt lays item text out in fractional pixels: a sidebar row exactly as wide as its delegate's size
# hint (174 of 174 px, the saved 180 px sidebar) still painted "Compute environme…".
TEXT_SLACK_PX = 4


def entries_cut(navigation: QListWidget) -> list[str]:
    """The sidebar entries with less room than their delegate asks for (icon, text and margins)."""
    cut = []
    for row in range(navigation.count()):
        index = navigation.model().index(row, 0)
        needed = navigation.sizeHintForIndex(index).width() + TEXT_SLACK_PX
        if needed > navigation.visualRect(index).width():
            cut.append(str(index.data()))
    return cut


# window/splitter as an earlier version saved it on quit (from a real batchgui.ini): the sidebar
# 180 px, the panels 1100, nothing recorded about whether anyone dragged it.
OLD_SPLITTER_STATE = (
    b"\x00\x00\x00\xff\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\xb4\x00\x00\x04L"
    b"\x01\xff\xff\xff\xff\x01\x00\x00\x00\x01\x00"
)


@pytest.mark.parametrize("size", SIZES)
def test_every_sidebar_entry_is_whole_even_after_an_older_version_saved_a_narrow_sidebar(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    width, height = size
    app = make_app(moto, "--screenshot", str(tmp_path / "x.png"), "--size", f"{width}x{height}")
    # The sidebar an earlier version saved, 180 px: "Compute environme…" at every start after.
    app.settings.set_bytes_value("window/splitter", QByteArray(OLD_SPLITTER_STATE))
    app.settings.set_int_value("window/sidebar_width", 0)
    app.start(ConnectionSpec.local())
    panel = app.window.current_panel()
    wait_until(lambda: panel.load_count > 0, what="overview loaded")
    wait_until(lambda: app.window.width() == width, what="window at its size")
    settle(wait_until)
    assert entries_cut(app.window.navigation) == [], size


def test_a_sidebar_width_someone_dragged_to_is_kept(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    app = make_app(moto)
    app.window.resize(1024, 700)
    app.start(ConnectionSpec.local())
    panel = app.window.current_panel()
    wait_until(lambda: panel.load_count > 0, what="overview loaded")
    navigation = app.window.navigation
    assert entries_cut(navigation) == []  # a fresh config: fitted to the labels
    splitter = app.window.splitter
    splitter.setSizes([140, splitter.width() - 140])
    splitter.splitterMoved.emit(140, 1)  # what a drag of the handle says
    app.window.save_layout()
    again = make_app(moto)
    again.start(ConnectionSpec.local())
    shown = again.window.current_panel()
    wait_until(lambda: shown.load_count > 0, what="overview loaded again")
    settle(wait_until)
    splitter = again.window.splitter
    # As chosen, unless the window (here on an 800 px test screen) leaves the panels less than they need.
    room = splitter.width() - splitter.handleWidth() - again.window.stack.minimumSizeHint().width()
    assert splitter.sizes()[0] == min(140, room)
    assert again.settings.int_value("window/sidebar_width", 0) == 140


@pytest.mark.parametrize("size", SIZES)
def test_jobs_search_row_and_status_tabs_are_whole(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    seed_batch(moto)
    app = fresh_window(make_app, moto, tmp_path, size, "jobs")
    panel = app.window.current_panel()
    assert isinstance(panel, JobsPanel)
    wait_until(lambda: panel.load_count >= 1 and "from AWS" in panel.source_label.text(), what="jobs loaded")
    settle(wait_until)
    QApplication.processEvents()
    tabs = panel.status_tabs
    assert tabs.tabText(0).startswith("All ")
    assert tabs.tabText(3).startswith("Runnable ")
    # Every tab in view: no scroll arrows, the last tab inside the bar.
    arrows = [b for b in tabs.findChildren(QToolButton) if b.isVisible()]
    assert not arrows, size
    assert tabs.tabRect(tabs.count() - 1).right() <= tabs.width(), size
    # Where the rows came from (in the status bar, while Jobs is shown), and how many, read whole.
    source = panel.source_label
    assert source.isVisible()
    assert source.window() is app.window
    assert source.fontMetrics().horizontalAdvance(source.text()) <= source.width(), (source.text(), size)
    assert arrow_is_clear_of_text(panel.queue_button)
    count = panel.count_label
    assert count.fontMetrics().horizontalAdvance(count.text()) <= count.width(), (count.text(), size)


def arrow_is_clear_of_text(button: QAbstractButton) -> bool:
    """The button has room for its text and, beside it, its menu arrow and a gap."""
    arrow = button.style().pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, None, button)
    text = button.fontMetrics().horizontalAdvance(button.text())
    return button.width() >= text + arrow + 8 and button.sizeHint().width() >= text + arrow + 8


def test_menu_buttons_keep_their_arrow_clear_of_their_text(qapp: QApplication, tmp_path: Path) -> None:
    # The Monitor's Options and the Jobs panel's queue picker (a tool button drew its arrow in its
    # corner, over the last letter).
    monitor = MonitorPanel(panel_services(tmp_path, []), cast(Any, FakeMonitor()))
    monitor.resize(840, 620)
    monitor.show()
    QApplication.processEvents()
    assert monitor.options_button.menu() is not None
    assert arrow_is_clear_of_text(monitor.options_button)
    monitor.deleteLater()


def test_form_dialogs_stay_the_width_of_a_form_on_a_wide_screen(qapp: QApplication) -> None:
    async def create(_request: object) -> None:
        return None

    for dialog in (SchedulingPolicyDialog(create), SubmitJobDialog(["queue"], ["definition:1"])):
        dialog.resize(1920, 1080)
        dialog.show()
        QApplication.processEvents()
        assert dialog.width() <= FORM_MAX_WIDTH, type(dialog).__name__
        fields = [f for f in dialog.findChildren(QLineEdit) if f.isVisible()]
        assert fields
        assert max(f.width() for f in fields) < FORM_MAX_WIDTH, type(dialog).__name__
        dialog.close()
        dialog.deleteLater()
