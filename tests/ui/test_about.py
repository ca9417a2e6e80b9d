"""Help → About: version from package metadata, components with their licenses, links."""

from __future__ import annotations

import email.message
from collections.abc import Callable
from importlib import metadata
from typing import Any

import pytest
from PySide6.QtGui import QAction, QGuiApplication

from batchgui.app import Application
from batchgui.services.app_info import Component, bundled_components, license_of, license_text
from batchgui.ui.about import AWS_BATCH_DOCS_URL, AboutDialog
from tests.support import MotoEndpoint

pytestmark = pytest.mark.timeout(60)


def _open_about(app: Application) -> AboutDialog:
    actions = [a for a in app.window.findChildren(QAction) if a.text() == "&About batchgui"]
    assert len(actions) == 1
    actions[0].trigger()
    dialog = app.window.findChild(AboutDialog)
    assert dialog is not None
    return dialog


def _row(dialog: AboutDialog, name: str) -> Component:
    found = [c for c in dialog.model.all_rows() if c.name.lower() == name.lower()]
    assert found, f"{name} not listed; have {[c.name for c in dialog.model.all_rows()]}"
    return found[0]


def test_help_about_shows_version_and_the_licenses_of_bundled_components(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    qtmodeltester: Any,
) -> None:
    app = make_app(moto)
    dialog = _open_about(app)
    wait_until(lambda: dialog.components_loaded, what="components listed")
    qtmodeltester.check(dialog.model)
    version = metadata.version("batchgui")
    assert f"batchgui {version}" in dialog.title_label.text()
    assert _row(dialog, "batchgui").version == version
    assert "LGPL-3.0" in _row(dialog, "PySide6_Essentials").license
    assert _row(dialog, "Qt").license == "LGPL-3.0-only"
    assert _row(dialog, "boto3").license == "Apache-2.0"
    assert _row(dialog, "botocore").license == "Apache-2.0"
    assert _row(dialog, "pyqtgraph").license == "MIT"
    assert _row(dialog, "qasync").license.startswith("BSD")
    assert _row(dialog, "numpy").license.startswith("BSD")
    assert _row(dialog, "moto").license == "Apache-2.0"
    assert _row(dialog, "boto3").version == metadata.version("boto3")
    links = dialog.links_label.text()
    assert AWS_BATCH_DOCS_URL in links
    assert "Apache License 2.0" in links
    assert dialog.links_label.openExternalLinks()
    # The list is sorted by name, and the app's own row is selected with its license shown.
    names = [c.name.lower() for c in dialog.model.visible_rows()]
    assert names == sorted(names)
    wait_until(lambda: "Apache License" in dialog.license_view.toPlainText(), what="batchgui's license")
    # Opening About again raises the same dialog instead of stacking a second one.
    assert _open_about(app) is dialog
    assert len(app.window.findChildren(AboutDialog)) == 1


def test_selecting_a_component_shows_its_license_text(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    app = make_app(moto)
    dialog = _open_about(app)
    wait_until(lambda: dialog.components_loaded, what="components listed")
    dialog.table.selectRow(dialog.model.row_of_key("boto3"))
    wait_until(
        lambda: (
            "Apache License" in dialog.license_view.toPlainText()
            and "boto3" not in dialog.license_view.toPlainText()[:0]
        ),
        what="boto3's license file",
    )
    dialog.table.selectRow(dialog.model.row_of_key("PySide6_Essentials"))
    wait_until(
        lambda: "GNU LESSER GENERAL PUBLIC LICENSE" in dialog.license_view.toPlainText(),
        what="the LGPL text for Qt for Python",
    )
    assert "can be replaced" in dialog.license_view.toPlainText()
    dialog.table.selectRow(dialog.model.row_of_key("pyqtgraph"))
    wait_until(lambda: "MIT" in dialog.license_view.toPlainText(), what="pyqtgraph's license")


def test_copy_version_info_puts_versions_on_the_clipboard(
    make_app: Callable[..., Application], moto: MotoEndpoint
) -> None:
    app = make_app(moto)
    dialog = _open_about(app)
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"batchgui {metadata.version('batchgui')}")
    assert "Python 3." in copied
    assert "Qt 6." in copied


def test_closing_before_the_list_is_read_then_reopening_still_lists_components(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    app = make_app(moto)
    dialog = _open_about(app)
    dialog.reject()  # cancels the read in flight
    again = _open_about(app)
    assert again is dialog
    wait_until(lambda: dialog.components_loaded, what="components listed after reopening")
    assert dialog.model.rowCount() > 10


def _meta(**fields: Any) -> email.message.Message:
    message = email.message.Message()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[name.replace("_", "-")] = item
    return message


def test_license_comes_from_the_expression_field_then_license_then_classifiers() -> None:
    assert license_of(_meta(License_Expression="BSD-3-Clause", License="ignored"), "x") == "BSD-3-Clause"
    assert license_of(_meta(License="Apache-2.0"), "x") == "Apache-2.0"
    classifiers = [
        "License :: OSI Approved :: BSD License",
        "License :: OSI Approved :: Apache Software License",
    ]
    assert license_of(_meta(License="Dual License", Classifier=classifiers), "x") == "BSD OR Apache-2.0"
    long_text = "Copyright (c) someone\nPermission is hereby granted..."
    assert license_of(_meta(License=long_text), "MIT") == "MIT"
    assert license_of(_meta(), "fallback") == "fallback"


def test_components_without_a_license_file_point_to_their_home_page() -> None:
    component = Component("thing", "testing", "1.0", "MIT", "https://example.org/thing", "thing")
    text = license_text(component)
    assert "MIT" in text
    assert "https://example.org/thing" in text


def test_every_listed_component_has_license_text() -> None:
    components = bundled_components()
    assert {"Python", "Qt", "batchgui", "boto3", "moto"} <= {c.name for c in components}
    for component in components:
        text = license_text(component)
        assert text.strip(), component.name
