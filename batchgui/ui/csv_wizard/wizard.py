"""The CSV upload-and-submit wizard: file -> check -> upload -> jobs -> review -> submit -> follow.

Every long step (reading the file, uploading, submitting) runs through the uploads and submissions
facades and reports coalesced progress; each has a Cancel. The state lives in a Qt-free
`CsvSession` that every page shows; the pages are in the pages_*.py modules next to this one. The
wizard is opened non-modally (`show()`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget, QWizard

from batchgui.domain.csv_plan import DEFAULT_RATE_PER_S
from batchgui.services.csv_session import CsvSession
from batchgui.services.pricing import PricingService
from batchgui.services.submission import SubmissionsService
from batchgui.services.upload import UploadsService
from batchgui.ui.csv_wizard.pages_file import CheckPage, FilePage
from batchgui.ui.csv_wizard.pages_jobs import JobsPage
from batchgui.ui.csv_wizard.pages_submit import ReviewPage, SubmitPage
from batchgui.ui.csv_wizard.pages_upload import UploadPage
from batchgui.ui.widgets.forms import cap_form_width
from batchgui.ui.widgets.panel import PanelServices

CSV_WIZARD_MAX_WIDTH = 1280


class CsvWizard(QWizard):
    """The wizard; `on_follow(submission_id)` opens the Submissions view at the end."""

    def __init__(
        self,
        services: PanelServices,
        uploads: UploadsService,
        submissions: SubmissionsService,
        on_follow: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        pricing: PricingService | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("csvWizard")
        self.setWindowTitle("New CSV submission")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(1000, 720)
        # Wider than a form: its pages preview the file's rows and the command line of the jobs.
        cap_form_width(self, CSV_WIZARD_MAX_WIDTH)
        self.services = services
        self.uploads = uploads
        self.submissions = submissions
        self.on_follow = on_follow
        self.pricing = pricing
        self.session = CsvSession(rate_per_s=rate_per_s)
        self.file_page = FilePage(self)
        self.check_page = CheckPage(self)
        self.upload_page = UploadPage(self)
        self.jobs = JobsPage(self)
        self.review = ReviewPage(self)
        self.submit_page = SubmitPage(self)
        for page in (
            self.file_page,
            self.check_page,
            self.upload_page,
            self.jobs,
            self.review,
            self.submit_page,
        ):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Follow")
        self.finished.connect(self._finished)

    @property
    def path(self) -> Path | None:
        return self.session.path

    def open_file(self, path: Path) -> None:
        """Start at the check step with `path` (drag-and-drop, or a test)."""
        self.file_page.path_edit.setText(str(path))
        self.session.choose_file(path)
        if self.currentId() == 0:
            self.next()

    def _finished(self, result: int) -> None:
        submission = self.session.submission
        if result and submission is not None and self.on_follow is not None:
            self.on_follow(submission.id)
