"""The CSV upload-and-submit wizard, and its entry points on the main window (Ctrl+N, drag-and-drop).

wizard.py holds the pages in order (file -> check -> upload -> jobs -> review -> submit -> follow);
pages_file.py, pages_upload.py, pages_jobs.py and pages_submit.py show and collect each step; common.py
is their base page. What the steps decided lives Qt-free in services/csv_session.py; the work goes
through the UploadsService and SubmissionsService facades.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from batchgui.services.pricing import PricingService
from batchgui.services.submission import SubmissionsService
from batchgui.services.upload import UploadsService
from batchgui.ui.widgets.panel import PanelServices

if TYPE_CHECKING:
    # The wizard's pages are imported when it first opens, not before the window's first paint.
    from batchgui.ui.csv_wizard.wizard import CsvWizard

CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def _csv_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [
        Path(url.toLocalFile())
        for url in mime.urls()
        if url.isLocalFile() and url.toLocalFile().lower().endswith(CSV_SUFFIXES)
    ]


class CsvWizardLauncher(QObject):
    """Opens the wizard from File → New CSV submission… (Ctrl+N) or a .csv dropped on the window."""

    def __init__(
        self,
        window: QMainWindow,
        services: PanelServices,
        uploads: UploadsService,
        submissions: SubmissionsService,
        on_follow: Callable[[str], None],
        *,
        pricing: PricingService | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.services = services
        self.uploads = uploads
        self.submissions = submissions
        self.on_follow = on_follow
        self.pricing = pricing
        self.wizards: list[CsvWizard] = []
        self.action = QAction("&New CSV submission…", window)
        self.action.setShortcut(QKeySequence.StandardKey.New)
        self.action.triggered.connect(self._open_new)
        menus = [m for m in (a.menu() for a in window.menuBar().actions()) if isinstance(m, QMenu)]
        if menus and menus[0].actions():
            file_menu = menus[0]
            file_menu.insertAction(file_menu.actions()[0], self.action)
        else:
            window.addAction(self.action)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def _open_new(self) -> None:
        self.open()

    def open(self, path: Path | None = None) -> CsvWizard:
        from batchgui.ui.csv_wizard.wizard import CsvWizard

        wizard = CsvWizard(
            self.services, self.uploads, self.submissions, self.on_follow, self.window, pricing=self.pricing
        )
        self.wizards = [w for w in self.wizards if w.isVisible()] + [wizard]
        wizard.show()
        if path is not None:
            wizard.open_file(path)
        return wizard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DragEnter and isinstance(event, QDragEnterEvent):
            if _csv_paths(event):
                event.acceptProposedAction()
                return True
        elif event.type() == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = _csv_paths(event)
            if paths:
                event.acceptProposedAction()
                self.open(paths[0])
                return True
        return super().eventFilter(watched, event)
