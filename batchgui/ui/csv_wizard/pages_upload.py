"""The wizard's upload step: bucket and key, reuse of an identical object, multipart upload."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from batchgui.domain.csv_plan import human_bytes
from batchgui.domain.errors import BatchGuiError
from batchgui.services.upload import ObjectInfo, Progress, UploadCancelled, upload_check
from batchgui.ui.csv_wizard.common import ERROR_STYLE, OK_STYLE, WARN_STYLE, WizardPage, _eta

if TYPE_CHECKING:
    from batchgui.ui.csv_wizard.wizard import CsvWizard


# --- 3. upload ----------------------------------------------------------------------------------
class UploadPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(wizard, "Upload to S3", "Multipart upload; an identical object can be reused.")
        self.bucket = QComboBox()
        self.bucket.setObjectName("bucket")
        self.bucket.setEditable(True)
        self.prefix = QLineEdit("input/")
        self.uri = QLabel()
        self.uri.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bucket.currentTextChanged.connect(self._uri_changed)
        self.prefix.textChanged.connect(self._uri_changed)
        form = QFormLayout()
        form.addRow("Bucket", self.bucket)
        form.addRow("Key prefix", self.prefix)
        form.addRow("Object", self.uri)
        self.reuse = QCheckBox("An identical object (same size and SHA-256) is already there: reuse it")
        self.reuse.setVisible(False)
        self.reuse.toggled.connect(lambda _on: self.completeChanged.emit())
        self.upload_button = QPushButton("Upload")
        self.upload_button.setObjectName("uploadButton")
        self.upload_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel upload")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.speed = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.upload_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reuse)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._cancel = threading.Event()
        self._task: asyncio.Task[Any] | None = None
        self.uploaded: ObjectInfo | None = None
        self.existing: ObjectInfo | None = None

    @property
    def key(self) -> str:
        prefix = self.prefix.text().strip().lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        name = self.s.path.name if self.s.path else "data.csv"
        return f"{prefix}{name}"

    def _uri_changed(self) -> None:
        self.uri.setText(f"s3://{self.bucket.currentText().strip()}/{self.key}")
        self.uploaded = None
        self.existing = None
        self.reuse.setVisible(False)
        self.reuse.setChecked(False)
        self.completeChanged.emit()
        if self.bucket.currentText().strip() and self.s.check is not None:
            self.w.services.tasks.spawn(self._look_for_identical(), "Look for an identical object")

    def initializePage(self) -> None:
        self._uri_changed()
        if self.bucket.count() == 0:
            self.w.services.tasks.spawn(self._list_buckets(), "List S3 buckets")

    async def _list_buckets(self) -> None:
        if not self.w.uploads.connected:
            self.say("Not connected: connect first (the bar at the top of the main window).", ERROR_STYLE)
            return
        try:
            names = await self.w.uploads.buckets()
        except BatchGuiError as error:
            self.say(f"Cannot list buckets: {error.message()}\nType the bucket name instead.", WARN_STYLE)
            return
        current = self.bucket.currentText()
        self.bucket.clear()
        self.bucket.addItems(names)
        if current and current in names:
            self.bucket.setCurrentText(current)
        self._uri_changed()

    async def _look_for_identical(self) -> None:
        check = self.s.check
        if not self.w.uploads.connected or check is None:
            return
        bucket, key = self.bucket.currentText().strip(), self.key
        try:
            found = await self.w.uploads.identical(bucket, key, check.inspection.size, check.sha256)
        except BatchGuiError:
            return  # the upload itself will say what is wrong
        if found is not None and (bucket, key) == (self.bucket.currentText().strip(), self.key):
            self.existing = found
            self.reuse.setVisible(True)
            self.reuse.setChecked(True)
            self.say(f"{found.uri} already holds this exact file.", OK_STYLE)
            self.completeChanged.emit()

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._cancel = threading.Event()
        self._task = self.w.services.tasks.spawn(self._upload(self._cancel), "Upload the CSV")

    def cancel(self) -> None:
        self._cancel.set()
        self.say("Cancelling: removing the parts already sent…", WARN_STYLE)

    async def _upload(self, cancel: threading.Event) -> None:
        check = self.s.check
        if not self.w.uploads.connected or check is None or self.s.path is None:
            self.say("Not connected.", ERROR_STYLE)
            return
        bucket = self.bucket.currentText().strip()
        if not bucket:
            self.say("Choose a bucket.", ERROR_STYLE)
            return
        self.upload_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.say(f"Uploading to s3://{bucket}/{self.key}…")

        def report(progress: Progress) -> None:
            self.progress.setValue(int(progress.fraction * 100))
            self.speed.setText(
                f"{human_bytes(progress.done)} of {human_bytes(progress.total)} · "
                f"{human_bytes(progress.bytes_per_s)}/s · ETA {_eta(progress.eta_s)}"
            )

        try:
            self.uploaded = await self.w.uploads.upload(
                self.s.path, bucket, self.key, check.sha256, report=report, cancel=cancel
            )
            self.say(f"Uploaded and {upload_check(self.uploaded)}: {self.uploaded.uri}", OK_STYLE)
        except UploadCancelled:
            self.progress.setValue(0)
            self.say("Upload cancelled; no parts were left behind.", WARN_STYLE)
        except BatchGuiError as error:
            self.say(
                f"{error.message()}\nPress Upload to retry: parts already sent are not sent again.",
                ERROR_STYLE,
            )
        finally:
            self.upload_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            self.completeChanged.emit()

    @property
    def target(self) -> ObjectInfo | None:
        if self.uploaded is not None:
            return self.uploaded
        if self.existing is not None and self.reuse.isChecked():
            return self.existing
        return None

    def isComplete(self) -> bool:
        return self.target is not None

    def validatePage(self) -> bool:
        self.s.target = self.target
        return self.target is not None
