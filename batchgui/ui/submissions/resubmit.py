"""Resubmit failed rows, with changes: parameters, overrides, another definition revision — and the
exact requests shown before anything is sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.csv_plan import Overrides, RetryChanges, parse_pairs
from batchgui.domain.errors import BatchGuiError
from batchgui.services.journal import Submission, Unit
from batchgui.services.submission import SubmissionsService
from batchgui.services.tasks import TaskSet
from batchgui.ui.jobs.overrides_form import OverrideFields, plural
from batchgui.ui.widgets.panel import monospace_font


class ResubmitDialog(QDialog):
    """Edits for a resubmission and a live preview of the first request it would send."""

    def __init__(
        self,
        submissions: SubmissionsService,
        tasks: TaskSet,
        submission: Submission,
        failed: Sequence[Unit],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("resubmitDialog")
        self.setWindowTitle("Resubmit failed rows")
        self.resize(760, 620)
        self.submissions = submissions
        self.tasks = tasks
        self.submission = submission
        self.failed = list(failed)
        rows = sum(u.row_count for u in failed)
        intro = QLabel(
            f"A new submission for the {plural(rows, 'row')} whose jobs FAILED in {submission.id} "
            f"({plural(len(failed), 'job')}). It is linked to this one, and each row's history shows "
            "both attempts. Change what made them fail, check the request below, then resubmit."
        )
        intro.setWordWrap(True)
        self.definition = QComboBox()
        self.definition.setObjectName("resubmitDefinition")
        self.definition.setEditable(True)
        self.definition.addItem(submission.definition)
        self.parameters = QLineEdit()
        self.parameters.setObjectName("resubmitParameters")
        self.parameters.setPlaceholderText("name=value, other=value (name= removes it)")
        self.fields = OverrideFields("as before")
        form = QFormLayout()
        form.addRow("Job definition", self.definition)
        form.addRow("Parameters", self.parameters)
        # The command comes from the plan (a row's parameters fill it): only the rest is overridden.
        self.fields.add_rows(form, command=False)
        self.summary = QLabel()
        self.summary.setObjectName("resubmitSummary")
        self.summary.setWordWrap(True)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("resubmitPreview")
        self.preview.setReadOnly(True)
        self.preview.setFont(monospace_font())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton(
            f"Resubmit {plural(len(failed), 'job')}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>The first request it sends</b>"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.update_preview)
        self.parameters.textChanged.connect(lambda _t: self._debounce.start())
        self.definition.currentTextChanged.connect(lambda _t: self._debounce.start())
        self.fields.on_change(self._debounce.start)
        self._preview_task: asyncio.Task[Any] | None = None
        self.update_preview()
        tasks.spawn(self._load_revisions(), "List job definition revisions")

    async def _load_revisions(self) -> None:
        """Other revisions of the same definition, newest first (the current one stays chosen)."""
        name = self.submission.definition.rsplit(":", 1)[0]
        try:
            choices = await self.submissions.choices()
        except BatchGuiError:
            return
        current = self.definition.currentText()
        revisions = [d.name_revision for d in choices.definitions if d.name == name and d.status == "ACTIVE"]
        for revision in revisions:
            if self.definition.findText(revision) < 0:
                self.definition.addItem(revision)
        self.definition.setCurrentText(current)

    def changes(self) -> RetryChanges:
        definition = self.definition.currentText().strip()
        edited = self.fields.read([])  # a line that is not NAME=value is left out (the preview shows it)
        overrides = Overrides(
            environment=dict(edited.environment),
            vcpus=edited.vcpus,
            memory_mib=edited.memory_mib,
            retries=edited.attempts,
            timeout_s=edited.timeout_s,
        )
        return RetryChanges(
            parameters=parse_pairs(self.parameters.text()),
            overrides=None if overrides == Overrides() else overrides,
            definition="" if definition == self.submission.definition else definition,
        )

    def update_preview(self) -> None:
        if self._preview_task is not None and not self._preview_task.done():
            self._preview_task.cancel()
        self._preview_task = self.tasks.spawn(self._preview(), "Preview the resubmission")

    async def _preview(self) -> None:
        changes = self.changes()
        try:
            requests = await self.submissions.preview_retry(self.submission.id, self.failed[:1], changes)
        except BatchGuiError as error:
            self.preview.setPlainText(error.message())
            return
        self.preview.setPlainText(json.dumps(requests[0], indent=2) if requests else "")
        more = len(self.failed) - 1
        self.summary.setText(
            f"Changes: {changes.describe()}."
            + (f" {plural(more, 'more request')} like it, one per failed job." if more > 0 else "")
        )
