from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QMenu

from batchgui.app import Application
from batchgui.ui.shortcuts import ShortcutsDialog
from tests.support import MotoEndpoint


def _help_actions(app: Application) -> dict[str, Any]:
    bar = app.window.menuBar()
    menus = {a.text().replace("&", ""): a.menu() for a in bar.actions() if isinstance(a.menu(), QMenu)}
    help_menu = menus["Help"]
    assert isinstance(help_menu, QMenu)
    return {a.text().replace("&", ""): a for a in help_menu.actions() if a.text()}


def test_f1_lists_every_shortcut_of_the_window_and_its_panels(
    make_app: Callable[..., Application], moto: MotoEndpoint, qtbot: Any
) -> None:
    app = make_app(moto)
    app.window.show()
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow)
    qtbot.keyClick(app.window, Qt.Key.Key_F1)
    dialog = app.window.findChild(ShortcutsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    rows = dialog.model.all_rows()
    keys = {(r.keys, r.where) for r in rows}
    # From the menus, and from the panels' own action bars.
    assert ("F5", "Everywhere") in keys
    assert ("Ctrl+M", "Everywhere") in keys
    assert any(r.keys == "Ctrl+Shift+N" and r.where == "Job queues" for r in rows)
    assert any(r.keys in ("Del", "Delete") and r.action == "Terminate" for r in rows)
    assert all(r.action for r in rows)
    # Searchable: typing narrows the table to matching rows only.
    qtbot.keyClicks(dialog.filter_edit, "Messages")
    assert 0 < dialog.model.rowCount() < len(rows)


def test_help_links_open_the_project_pages(make_app: Callable[..., Application], moto: MotoEndpoint) -> None:
    app = make_app(moto)
    opened: list[str] = []
    app.window.open_url = lambda url: opened.append(QUrl(url).toString())
    actions = _help_actions(app)
    assert list(actions) == ["Keyboard shortcuts", "Documentation", "Report a problem…", "About batchgui"]
    actions["Documentation"].trigger()
    actions["Report a problem…"].trigger()
    assert opened[0].endswith("#readme")
    assert opened[1].endswith("/issues")


def test_the_window_title_names_the_app_once(
    make_app: Callable[..., Application], moto: MotoEndpoint
) -> None:
    app = make_app(moto)
    assert "batchgui" not in app.window.windowTitle().lower()
