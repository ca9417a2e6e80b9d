"""Help → About: the version, where it runs, the components it is built from and their licenses.

The components, versions and license texts come from the AppInfo facade (services/app_info.py),
which reads the installed packages' metadata on a worker.
"""

from __future__ import annotations

import asyncio
import platform
import sys

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
from batchgui.services.app_info import APACHE_URL, PROJECT_URL, AppInfo, Component
from batchgui.services.tasks import TaskSet
from batchgui.ui.widgets.panel import make_table_view
from batchgui.ui.widgets.table_model import Column, RowTableModel

# One id everywhere: the .desktop file's name, the AppStream component id, the icon name, and
# QGuiApplication.desktopFileName (Wayland compositors match windows to launchers by it).
APP_ID = "io.github.batchgui.BatchGui"
ISSUES_URL = f"{PROJECT_URL}/issues"
AWS_BATCH_DOCS_URL = "https://docs.aws.amazon.com/batch/latest/userguide/what-is-batch.html"


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

    def __init__(self, info: AppInfo, tasks: TaskSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About batchgui")
        self.resize(860, 620)
        self._info = info
        self._tasks = tasks

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
        self._load_task: asyncio.Task[None] | None = tasks.spawn(self._load(), "Read component licenses")
        self._text_task: asyncio.Task[None] | None = None
        self.finished.connect(self._cancel_tasks)

    async def _load(self) -> None:
        components = await self._info.components()
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
        self._text_task = self._tasks.spawn(self._show_license(component), "Read a license")

    def _open_homepage(self, index: QModelIndex) -> None:
        component = self.model.row_at(index)
        if component is not None and component.homepage.startswith("https://"):
            QDesktopServices.openUrl(QUrl(component.homepage))

    async def _show_license(self, component: Component) -> None:
        text = await self._info.license_text(component)
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
            self._load_task = self._tasks.spawn(self._load(), "Read component licenses")
