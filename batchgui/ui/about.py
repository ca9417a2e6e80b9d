"""Help → About: the version, where it runs, the components it is built from and their licenses.

Versions and licenses are read from the installed packages' metadata (in a PyInstaller build the
metadata folders are bundled beside the code), so the list stays true after any upgrade. Reading
metadata touches dozens of small files, so it runs on the runner, never on the GUI thread.
"""

from __future__ import annotations

import asyncio
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QModelIndex, Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from batchgui import __version__, resources
from batchgui.ui.widgets.panel import PanelServices, make_table_view
from batchgui.ui.widgets.table_model import Column, RowTableModel

# One id everywhere: the .desktop file's name, the AppStream component id, the icon name, and
# QGuiApplication.desktopFileName (Wayland compositors match windows to launchers by it).
APP_ID = "io.github.batchgui.BatchGui"
PROJECT_URL = "https://github.com/batchgui/batchgui"
ISSUES_URL = f"{PROJECT_URL}/issues"
AWS_BATCH_DOCS_URL = "https://docs.aws.amazon.com/batch/latest/userguide/what-is-batch.html"
APACHE_URL = "https://www.apache.org/licenses/LICENSE-2.0"
LGPL_URL = "https://www.gnu.org/licenses/lgpl-3.0.html"
QT_SOURCE_URL = "https://download.qt.io/official_releases/QtForPython/"
PSF_URL = "https://docs.python.org/3/license.html"


@dataclass(frozen=True)
class Component:
    """One thing the app is built from, as a person reading the About box needs to see it."""

    name: str
    role: str
    version: str
    license: str
    homepage: str
    distribution: str | None = None  # the pip distribution whose metadata holds the license files
    license_files: tuple[str, ...] = ()
    fallback_text: str = ""  # shown when the package ships no license file


# (distribution, what it does here, license to show if the metadata names none, home page).
KNOWN_COMPONENTS: tuple[tuple[str, str, str, str], ...] = (
    ("batchgui", "this app", "Apache-2.0", PROJECT_URL),
    ("PySide6_Essentials", "Qt for Python: the user interface", "LGPL-3.0-only", "https://pyside.org"),
    ("shiboken6", "Qt for Python bindings runtime", "LGPL-3.0-only", "https://pyside.org"),
    ("boto3", "AWS SDK for Python", "Apache-2.0", "https://github.com/boto/boto3"),
    ("botocore", "AWS SDK core and service models", "Apache-2.0", "https://github.com/boto/botocore"),
    ("s3transfer", "S3 uploads and downloads", "Apache-2.0", "https://github.com/boto/s3transfer"),
    ("pyqtgraph", "live plots", "MIT", "https://www.pyqtgraph.org"),
    (
        "qasync",
        "asyncio on the Qt event loop",
        "BSD-2-Clause",
        "https://github.com/CabbageDevelopment/qasync",
    ),
    ("numpy", "plot data", "BSD-3-Clause", "https://numpy.org"),
    (
        "moto",
        "the local sandbox's S3, DynamoDB, IAM, STS, EC2",
        "Apache-2.0",
        "https://github.com/getmoto/moto",
    ),
    (
        "Werkzeug",
        "the local sandbox's HTTP server",
        "BSD-3-Clause",
        "https://palletsprojects.com/p/werkzeug/",
    ),
    ("Flask", "moto's web app", "BSD-3-Clause", "https://palletsprojects.com/p/flask/"),
    ("flask-cors", "moto's web app", "MIT", "https://github.com/corydolphin/flask-cors"),
    ("Jinja2", "moto's templates", "BSD-3-Clause", "https://palletsprojects.com/p/jinja/"),
    ("MarkupSafe", "moto's templates", "BSD-3-Clause", "https://palletsprojects.com/p/markupsafe/"),
    ("xmltodict", "moto's XML APIs", "MIT", "https://github.com/martinblech/xmltodict"),
    ("responses", "moto", "Apache-2.0", "https://github.com/getsentry/responses"),
    ("cryptography", "signing and keys (moto)", "Apache-2.0 OR BSD-3-Clause", "https://cryptography.io"),
    ("requests", "HTTP (moto)", "Apache-2.0", "https://requests.readthedocs.io"),
    ("urllib3", "HTTP connections", "MIT", "https://urllib3.readthedocs.io"),
    ("certifi", "TLS certificate authorities", "MPL-2.0", "https://github.com/certifi/python-certifi"),
    ("jmespath", "AWS SDK queries", "MIT", "https://jmespath.org"),
    (
        "python-dateutil",
        "dates (AWS SDK)",
        "Apache-2.0 OR BSD-3-Clause",
        "https://github.com/dateutil/dateutil",
    ),
    ("six", "compatibility (dateutil)", "MIT", "https://github.com/benjaminp/six"),
    ("PyYAML", "YAML (moto)", "MIT", "https://pyyaml.org"),
)

# Classifier tails for packages that name their license only there.
_CLASSIFIER_LICENSES = {
    "Apache Software License": "Apache-2.0",
    "MIT License": "MIT",
    "BSD License": "BSD",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
}
_LICENSE_FILE_WORDS = ("LICENSE", "LICENCE", "COPYING", "NOTICE")
_QT_LICENSE_NOTE = (
    "Qt and Qt for Python (PySide6, shiboken6) are used under the GNU Lesser General Public "
    f"License version 3 (LGPL-3.0-only): {LGPL_URL}\n\n"
    "The packaged app keeps the Qt and PySide6 libraries as separate files in its folder, so they "
    "can be replaced with a modified build of the same version. Their source code is available "
    f"from {QT_SOURCE_URL} and https://code.qt.io/.\n\n"
)


def license_of(meta: Any, fallback: str) -> str:
    """The SPDX expression from metadata: License-Expression, a short License field, or classifiers."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return str(expression)
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 60 and field.lower() not in ("unknown", "dual license"):
        return str(field)
    named = [
        _CLASSIFIER_LICENSES.get(c.rsplit(" :: ", 1)[-1], c.rsplit(" :: ", 1)[-1])
        for c in meta.get_all("Classifier") or []
        if c.startswith("License :: ")
    ]
    return " OR ".join(named) if named else fallback


def homepage_of(meta: Any, fallback: str) -> str:
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository") and url.strip():
            return url.strip()
    return str(meta.get("Home-page") or fallback)


def _qt_license_text() -> str:
    """The LGPL text shipped in resources/licenses (with the GPL it builds on)."""
    parts = [_QT_LICENSE_NOTE]
    for name in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        file = resources.path(f"licenses/{name}")
        if file.is_file():
            parts.append(file.read_text(encoding="utf-8"))
    return "\n".join(parts)


def bundled_components() -> list[Component]:
    """Python, Qt and every known package that is installed, with version and license (blocking)."""
    components = [
        Component(
            "Python",
            "the interpreter" + (" (bundled)" if getattr(sys, "frozen", False) else ""),
            platform.python_version(),
            "PSF-2.0",
            PSF_URL,
            fallback_text=f"Python is distributed under the PSF License Agreement: {PSF_URL}",
        ),
        Component("Qt", "the user interface toolkit", qVersion(), "LGPL-3.0-only", "https://www.qt.io"),
    ]
    for distribution, role, fallback_license, fallback_url in KNOWN_COMPONENTS:
        try:
            dist = metadata.distribution(distribution)
        except metadata.PackageNotFoundError:
            continue  # not installed (an optional part) or not bundled into this build
        meta: Any = dist.metadata  # an email.message.Message: .get() and .get_all()
        files = tuple(
            str(f)
            for f in dist.files or ()
            if ".dist-info" in str(f) and any(word in f.name.upper() for word in _LICENSE_FILE_WORDS)
        )
        components.append(
            Component(
                name=str(meta.get("Name") or distribution),
                role=role,
                version=dist.version,
                license=license_of(meta, fallback_license),
                homepage=homepage_of(meta, fallback_url),
                distribution=distribution,
                license_files=files,
            )
        )
    return components


def license_text(component: Component) -> str:
    """The full license text(s) of a component, as far as the installed files hold them (blocking)."""
    if component.name == "Qt" or component.distribution in ("PySide6_Essentials", "shiboken6"):
        return _qt_license_text()
    texts: list[str] = []
    if component.distribution is not None and component.license_files:
        dist = metadata.distribution(component.distribution)
        for relative in component.license_files:
            try:
                body = Path(str(dist.locate_file(relative))).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            texts.append(f"── {relative.split('/', 1)[-1]} ──\n{body.strip()}\n")
    if texts:
        return "\n".join(texts)
    if component.fallback_text:
        return component.fallback_text
    if component.distribution == "batchgui":
        return f"batchgui is licensed under the Apache License, Version 2.0: {APACHE_URL}"
    return (
        f"{component.name} is licensed under {component.license}. Its package ships no license file; "
        f"see {component.homepage}"
    )


def environment_summary() -> str:
    """One block of text for bug reports: versions and platform."""
    kind = "packaged app" if getattr(sys, "frozen", False) else "Python package"
    return (
        f"batchgui {__version__} ({kind})\n"
        f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {PySide6.__version__}\n"
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"Qt platform {QGuiApplication.platformName()}"
    )


COMPONENT_COLUMNS: list[Column[Component]] = [
    Column("Component", lambda c: c.name, sort_key=lambda c: c.name.lower(), width=150),
    Column("Version", lambda c: c.version, width=90),
    Column("License", lambda c: c.license, tooltip=lambda c: c.license, width=190),
    Column("Used for", lambda c: c.role, width=230),
    Column("Home page", lambda c: c.homepage, tooltip=lambda c: c.homepage),
]


class AboutDialog(QDialog):
    """Version, links, and the components with their licenses (text of the selected one below)."""

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About batchgui")
        self.resize(860, 620)
        self._services = services

        icon = QLabel()
        icon.setPixmap(QIcon(str(resources.path("icons/batchgui.svg"))).pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title_label = QLabel(
            f"<span style='font-size:16pt; font-weight:600'>batchgui {__version__}</span><br>"
            "A desktop app for AWS Batch: compute environments, job queues, job definitions, jobs, "
            "CSV submission and live monitoring, with an embedded local sandbox."
        )
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.environment_label = QLabel(environment_summary().replace("\n", "<br>"))
        self.environment_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.links_label = QLabel(
            f"<a href='{PROJECT_URL}'>Project home</a> · <a href='{ISSUES_URL}'>Report a problem</a> · "
            f"<a href='{AWS_BATCH_DOCS_URL}'>AWS Batch documentation</a> · "
            f"Licensed under the <a href='{APACHE_URL}'>Apache License 2.0</a>"
        )
        self.links_label.setObjectName("aboutLinks")
        self.links_label.setOpenExternalLinks(True)
        self.links_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        header_text = QVBoxLayout()
        header_text.addWidget(self.title_label)
        header_text.addWidget(self.environment_label)
        header_text.addWidget(self.links_label)
        header = QHBoxLayout()
        header.addWidget(icon)
        header.addLayout(header_text, 1)

        self.model: RowTableModel[Component] = RowTableModel(
            COMPONENT_COLUMNS, key=lambda c: c.name, parent=self
        )
        self.table = make_table_view(self.model, "aboutComponents")
        self.table.setSelectionMode(self.table.SelectionMode.SingleSelection)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(self._open_homepage)
        self.table.setToolTip("Double-click a component to open its home page")
        self.license_view = QPlainTextEdit()
        self.license_view.setObjectName("aboutLicenseText")
        self.license_view.setReadOnly(True)
        self.license_view.setPlaceholderText("Reading the components' licenses…")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.license_view)
        splitter.setSizes([300, 200])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy version info")
        self.copy_button.setToolTip("Copy the app, Python, Qt and system versions, for a bug report")
        self.copy_button.clicked.connect(self.copy_version_info)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Copy, self.license_view, self.license_view.copy)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(QLabel("Components and licenses (select one to read its license):"))
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)

        self.components_loaded = False
        self._load_task: asyncio.Task[None] | None = services.tasks.spawn(
            self._load(), "Read component licenses"
        )
        self._text_task: asyncio.Task[None] | None = None
        self.finished.connect(self._cancel_tasks)

    async def _load(self) -> None:
        components = await self._services.runner.run(bundled_components)
        self.model.set_rows(components)
        self.model.sort(0, Qt.SortOrder.AscendingOrder)
        self.components_loaded = True
        first = self.model.row_of_key("batchgui")
        self.table.selectRow(max(first, 0))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        component = self.model.row_at(current)
        if component is None:
            return
        if self._text_task is not None:
            self._text_task.cancel()
        self._text_task = self._services.tasks.spawn(self._show_license(component), "Read a license")

    def _open_homepage(self, index: QModelIndex) -> None:
        component = self.model.row_at(index)
        if component is not None and component.homepage.startswith("https://"):
            QDesktopServices.openUrl(QUrl(component.homepage))

    async def _show_license(self, component: Component) -> None:
        text = await self._services.runner.run(license_text, component)
        self.license_view.setPlainText(text)

    def copy_version_info(self) -> None:
        QGuiApplication.clipboard().setText(environment_summary())

    def _cancel_tasks(self) -> None:
        """Closed: stop reading (a cancelled read is started again when the dialog is shown again)."""
        for task in (self._load_task, self._text_task):
            if task is not None:
                task.cancel()
        self._load_task = None
        self._text_task = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Shown again after being closed while the list was still loading: load it now.
        if not self.components_loaded and (self._load_task is None or self._load_task.done()):
            self._load_task = self._services.tasks.spawn(self._load(), "Read component licenses")
