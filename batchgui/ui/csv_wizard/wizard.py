"""The CSV upload-and-submit wizard: file -> check -> upload -> jobs -> review -> submit -> follow.

Every long step (reading the file, uploading, submitting) runs on workers through the runner and
reports coalesced progress; each has a Cancel. The wizard is opened non-modally (`show()`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from batchgui.aws.s3 import ObjectInfo, UploadCancelled
from batchgui.domain.batch import JobDefinition, JobQueue
from batchgui.domain.csv_plan import (
    DEFAULT_RATE_PER_S,
    Overrides,
    Plan,
    PlanInput,
    Problem,
    QueueInfo,
    SplitMode,
    cli_command,
    definition_info,
    human_bytes,
    iter_rows,
    make_plan,
)
from batchgui.domain.errors import BatchGuiError
from batchgui.services.submission import (
    Submission,
    SubmissionState,
    SubmitProgress,
    Submitter,
    new_submission_id,
)
from batchgui.services.upload import FileCheck, Progress, Uploader
from batchgui.ui.jobs.submit_dialog import FAMILY_LABEL, Platforms, definition_family, mark_mismatches
from batchgui.ui.widgets.panel import PanelServices, make_table_view, monospace_font
from batchgui.ui.widgets.table_model import Column, RowTableModel

ERROR_STYLE = "color: #b00020;"
WARN_STYLE = "color: #8a5a00;"
OK_STYLE = "color: #1b5e20;"


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _cell(index: int) -> Callable[[tuple[int, list[str]]], str]:
    def text(row: tuple[int, list[str]]) -> str:
        return row[1][index] if index < len(row[1]) else ""

    return text


def _parse_pairs(text: str) -> dict[str, str]:
    """`A=1, B=2` -> {"A": "1", "B": "2"}."""
    pairs: dict[str, str] = {}
    for part in text.replace("\n", ",").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip():
                pairs[key.strip()] = value.strip()
    return pairs


def file_size(path: Path) -> int | None:
    """The size of a regular file, None when there is none (run on a worker: disks can be slow)."""
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


# The file field is looked at once typing pauses this long, not at every keystroke.
PATH_DEBOUNCE_MS = 250


class WizardPage(QWizardPage):
    def __init__(self, wizard: CsvWizard, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def say(self, text: str, style: str = "") -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)


# --- 1. file ------------------------------------------------------------------------------------
class FilePage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(wizard, "Choose the CSV file", "Pick a file, or drop a .csv onto the main window.")
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("csvPath")
        self.path_edit.setPlaceholderText("/path/to/data.csv")
        self.path_edit.textChanged.connect(self._changed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PATH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._probe)
        self._found: Path | None = None  # the last path seen to be a file
        self._probe_task: asyncio.Task[Any] | None = None
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a CSV file", "", "CSV (*.csv *.tsv *.txt);;All (*)"
        )
        if path:
            self.path_edit.setText(path)

    def _typed(self) -> Path | None:
        text = self.path_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _changed(self) -> None:
        """No disk access here: the path is looked at on a worker once typing pauses."""
        self._found = None
        self.completeChanged.emit()
        if self._typed() is None:
            self._debounce.stop()
            self.say("")
            return
        self._debounce.start()

    def _probe(self) -> None:
        path = self._typed()
        if path is not None:
            self._probe_task = self.w.services.tasks.spawn(self._look_at(path), "Look at the CSV file")

    async def _look_at(self, path: Path) -> None:
        size = await self.w.services.runner.run(file_size, path)
        if path != self._typed():
            return  # typed on meanwhile: the newer text has its own look
        if size is None:
            self.say("No such file.", ERROR_STYLE)
        else:
            self._found = path
            self.say(f"{path.name}: {human_bytes(size)}")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._found is not None and self._found == self._typed()

    def validatePage(self) -> bool:
        self.w.path = Path(self.path_edit.text().strip()).expanduser()
        return True


# --- 2. check and preview -----------------------------------------------------------------------
class CheckPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(wizard, "Check and preview", "The whole file is read once: rows, problems, SHA-256.")
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel reading")
        self.cancel_button.clicked.connect(self.cancel)
        self.encoding = QComboBox()
        self.encoding.addItems(["Detect", "utf-8", "utf-8-sig", "cp1252", "latin-1"])
        self.header = QComboBox()
        self.header.addItems(["Detect header", "First row is a header", "No header"])
        self.delimiter = QComboBox()
        self.delimiter.addItems(["Detect", ",", ";", "Tab", "|"])
        for combo in (self.encoding, self.header, self.delimiter):
            combo.activated.connect(lambda _i: self.start())
        options = QHBoxLayout()
        options.addWidget(QLabel("Encoding"))
        options.addWidget(self.encoding)
        options.addWidget(QLabel("Delimiter"))
        options.addWidget(self.delimiter)
        options.addWidget(self.header)
        options.addStretch(1)
        self.progress.setMinimumWidth(180)
        options.addWidget(self.progress, 1)
        options.addWidget(self.cancel_button)
        self.summary = QLabel()
        self.summary.setObjectName("csvSummary")
        self.summary.setWordWrap(True)
        self.preview_model: RowTableModel[tuple[int, list[str]]] = RowTableModel(
            [], lambda r: str(r[0]), self
        )
        self.preview = make_table_view(self.preview_model, "csvPreview")
        self.problem_model: RowTableModel[Problem] = RowTableModel(
            [
                Column(
                    "Line",
                    lambda p: f"{p.line:,}" if p.line else "",
                    lambda p: p.line,
                    align_right=True,
                    width=70,
                ),
                Column("Severity", lambda p: p.severity.value, width=70),
                Column("Problem", lambda p: p.message, tooltip=lambda p: p.message, width=600),
            ],
            lambda p: f"{p.line}:{p.kind}:{p.message}",
            self,
        )
        self.problems = make_table_view(self.problem_model, "csvProblems")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, "Preview (first 200 rows)")
        self.tabs.addTab(self.problems, "Problems")
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self._cancel = threading.Event()
        self._task: asyncio.Task[Any] | None = None
        self.result: FileCheck | None = None

    def initializePage(self) -> None:
        if self.result is None or self.result.path != self.w.path:
            self.start()

    def cancel(self) -> None:
        self._cancel.set()

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            self._cancel.set()
            self._task.cancel()
        self._cancel = threading.Event()
        self.result = None
        self.completeChanged.emit()
        self._task = self.w.services.tasks.spawn(self._check(self._cancel), "Read the CSV file")

    def _overrides(self) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if self.encoding.currentIndex() > 0:
            overrides["encoding"] = self.encoding.currentText()
        if self.header.currentIndex() > 0:
            overrides["has_header"] = self.header.currentIndex() == 1
        if self.delimiter.currentIndex() > 0:
            text = self.delimiter.currentText()
            overrides["delimiter"] = "\t" if text == "Tab" else text
        return overrides

    async def _check(self, cancel: threading.Event) -> None:
        path = self.w.path
        if path is None:
            return
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.summary.setText(f"Reading {path.name}…")
        self.say("")

        def report(progress: Progress) -> None:
            self.progress.setValue(int(progress.fraction * 100))
            # Short enough for the bar: the full sizes are in the summary line below.
            self.progress.setFormat(f"%p% of {human_bytes(progress.total)}")

        try:
            checked = await self.w.uploader.check(path, report, cancel, **self._overrides())
        except (OSError, BatchGuiError) as error:
            self.say(f"Cannot read {path}: {error}", ERROR_STYLE)
            return
        finally:
            self.cancel_button.setEnabled(False)
        self.show_result(checked)

    def show_result(self, checked: FileCheck) -> None:
        inspection = checked.inspection
        self.progress.setValue(100)
        names = inspection.column_names
        columns = [Column[tuple[int, list[str]]](name, _cell(i), width=110) for i, name in enumerate(names)]
        self.preview_model = RowTableModel(columns, lambda r: str(r[0]), self)
        self.preview.setModel(self.preview_model)
        self.preview_model.set_rows(list(enumerate(inspection.preview)))
        self.problem_model.set_rows(inspection.problems)
        size = human_bytes(inspection.size)
        dialect = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
            inspection.delimiter, inspection.delimiter
        )
        self.summary.setText(
            f"<b>{checked.path.name}</b> — {size}, {inspection.rows:,} data rows, {len(names)} columns, "
            f"{inspection.encoding}, {dialect}-separated, "
            f"{'with' if inspection.has_header else 'without'} header. SHA-256 {checked.sha256[:16]}…"
        )
        if inspection.cancelled:
            self.say("Reading was cancelled. Change an option or go Back to start again.", WARN_STYLE)
        elif inspection.fatal:
            self.say(inspection.fatal, ERROR_STYLE)
        else:
            notes = [inspection.encoding_note] if inspection.encoding_note else []
            if inspection.problem_count:
                errors = sum(1 for p in inspection.problems if p.severity.value == "error")
                notes.append(
                    f"{inspection.problem_count:,} problem(s) found ({errors} errors among the first "
                    f"{len(inspection.problems):,}): see the Problems tab. You can go on; those rows are "
                    "passed to the jobs as they are."
                )
                self.tabs.setCurrentIndex(1)
            self.say("\n".join(notes) or "No problems found.", WARN_STYLE if notes else OK_STYLE)
        self.result = checked
        self.w.check = checked
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.result is not None and self.result.inspection.ok


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
        name = self.w.path.name if self.w.path else "data.csv"
        return f"{prefix}{name}"

    def _uri_changed(self) -> None:
        self.uri.setText(f"s3://{self.bucket.currentText().strip()}/{self.key}")
        self.uploaded = None
        self.existing = None
        self.reuse.setVisible(False)
        self.reuse.setChecked(False)
        self.completeChanged.emit()
        if self.bucket.currentText().strip() and self.w.check is not None:
            self.w.services.tasks.spawn(self._look_for_identical(), "Look for an identical object")

    def initializePage(self) -> None:
        self._uri_changed()
        if self.bucket.count() == 0:
            self.w.services.tasks.spawn(self._list_buckets(), "List S3 buckets")

    async def _list_buckets(self) -> None:
        backend = self.w.services.connections.backend
        if backend is None:
            self.say("Not connected: connect first (the bar at the top of the main window).", ERROR_STYLE)
            return
        try:
            names = await self.w.services.runner.run(backend.s3.list_buckets)
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
        backend = self.w.services.connections.backend
        check = self.w.check
        if backend is None or check is None:
            return
        bucket, key = self.bucket.currentText().strip(), self.key
        try:
            found = await self.w.uploader.identical(
                backend.s3, bucket, key, check.inspection.size, check.sha256
            )
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
        backend = self.w.services.connections.backend
        check = self.w.check
        if backend is None or check is None or self.w.path is None:
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
            self.uploaded = await self.w.uploader.upload(
                backend.s3, self.w.path, bucket, self.key, check.sha256, report=report, cancel=cancel
            )
            self.say(f"Uploaded: {self.uploaded.uri}", OK_STYLE)
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
        self.w.target = self.target
        return self.target is not None


# --- 4. jobs ------------------------------------------------------------------------------------
class JobsPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(wizard, "Jobs", "Queue, job definition, how to split the rows, and overrides.")
        self.queues: list[JobQueue] = []
        self.definitions: list[JobDefinition] = []
        self.platforms = Platforms()
        self.platform_problem = ""
        self.queue = QComboBox()
        self.queue.setObjectName("queue")
        self.definition = QComboBox()
        self.definition.setObjectName("definition")
        self.definition_info = QLabel()
        self.definition_info.setWordWrap(True)
        self.job_name = QLineEdit()
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[SplitMode, QRadioButton] = {}
        modes = QHBoxLayout()
        for mode in SplitMode:
            button = QRadioButton(mode.label)
            self.mode_buttons[mode] = button
            self.mode_group.addButton(button)
            modes.addWidget(button)
        self.mode_buttons[SplitMode.ARRAY].setChecked(True)
        self.rows_per_child = QSpinBox()
        self.rows_per_child.setRange(1, 10_000_000)
        self.rows_per_child.setValue(50)
        self.several = QCheckBox("Allow several array jobs when over 10,000 children")
        self.params_box = QWidget()
        self.params_grid = QGridLayout(self.params_box)
        self.param_widgets: dict[str, tuple[QComboBox, QLineEdit]] = {}
        self.env = QLineEdit()
        self.env.setPlaceholderText("NAME=value, OTHER=value")
        self.vcpus = QLineEdit()
        self.vcpus.setPlaceholderText("definition's")
        self.memory = QSpinBox()
        self.memory.setRange(0, 1_000_000)
        self.memory.setSpecialValueText("definition's")
        self.retries = QSpinBox()
        self.retries.setRange(0, 10)
        self.retries.setSpecialValueText("definition's")
        self.timeout = QSpinBox()
        self.timeout.setRange(0, 14 * 24 * 3600)
        self.timeout.setSpecialValueText("none")
        self.timeout.setSuffix(" s")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("team=data, project=x")
        self.depends = QLineEdit()
        self.depends.setPlaceholderText("job id(s) this waits for")
        top = QFormLayout()
        top.addRow("Job queue", self.queue)
        top.addRow("Job definition", self.definition)
        top.addRow("", self.definition_info)
        top.addRow("Job name", self.job_name)
        top.addRow("Split", modes)
        split = QHBoxLayout()
        split.addWidget(self.rows_per_child)
        split.addWidget(self.several)
        split.addStretch(1)
        top.addRow("Rows per child", split)
        overrides = QWidget()
        form = QFormLayout(overrides)
        form.addRow("Environment", self.env)
        sizes = QHBoxLayout()
        sizes.addWidget(QLabel("vCPU"))
        sizes.addWidget(self.vcpus)
        sizes.addWidget(QLabel("Memory MiB"))
        sizes.addWidget(self.memory)
        sizes.addWidget(QLabel("Attempts"))
        sizes.addWidget(self.retries)
        sizes.addWidget(QLabel("Timeout"))
        sizes.addWidget(self.timeout)
        form.addRow("Resources", sizes)
        form.addRow("Tags", self.tags)
        form.addRow("Depends on", self.depends)
        self.plan_label = QLabel()
        self.plan_label.setObjectName("planErrors")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        # Parameters and overrides share the rest of the page as tabs: a definition can declare
        # many parameters, and they scroll in the full height instead of a strip above the overrides.
        params_scroll = QScrollArea()
        params_scroll.setWidgetResizable(True)
        params_scroll.setFrameShape(QFrame.Shape.NoFrame)
        params_scroll.setWidget(self.params_box)
        self.sections = QTabWidget()
        self.sections.addTab(params_scroll, "Parameters (Ref::)")
        self.sections.addTab(overrides, "Overrides")
        self.sections.setMinimumHeight(180)
        layout.addWidget(self.sections, 1)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.message)
        self.queue.currentIndexChanged.connect(lambda _i: self.replan())
        self.definition.currentIndexChanged.connect(lambda _i: self._definition_changed())
        self.mode_group.buttonToggled.connect(lambda _b, _on: self.replan())
        for widget in (self.rows_per_child, self.memory, self.retries, self.timeout):
            widget.valueChanged.connect(lambda _v: self.replan())
        for edit in (self.job_name, self.env, self.vcpus, self.tags, self.depends):
            edit.textChanged.connect(lambda _t: self.replan())
        self.several.toggled.connect(lambda _on: self.replan())
        self.plan: Plan | None = None

    def initializePage(self) -> None:
        if self.w.path is not None and not self.job_name.text():
            self.job_name.setText(self.w.path.stem)
        self.w.submission_id = self.w.submission_id or new_submission_id()
        if not self.queues:
            self.w.services.tasks.spawn(self._load(), "List queues and job definitions")
        self.replan()

    async def _load(self) -> None:
        backend = self.w.services.connections.backend
        if backend is None:
            self.say("Not connected.", ERROR_STYLE)
            return
        runner = self.w.services.runner
        queues = await runner.run(backend.batch.describe_job_queues)
        try:
            environments = await runner.run(backend.batch.describe_compute_environments)
        except BatchGuiError:
            environments = []  # platforms unknown: the pair is not checked
        # All statuses: an INACTIVE revision chosen elsewhere must be explained, not hidden.
        definitions = sorted(
            await runner.run(backend.batch.describe_job_definitions, None),
            key=lambda d: (d.status != "ACTIVE", d.name, -d.revision),
        )
        self.platforms = Platforms.build(queues, environments, definitions)
        self.queues, self.definitions = queues, definitions
        self.queue.blockSignals(True)
        self.definition.blockSignals(True)
        self.queue.clear()
        for q in self.queues:
            family = FAMILY_LABEL.get(self.platforms.queue_family(q.name), "platform unknown")
            self.queue.addItem(f"{q.name}  ({family}, {q.state}, {q.status})", q.name)
        self.definition.clear()
        for d in self.definitions:
            label = FAMILY_LABEL[definition_family(d)]
            self.definition.addItem(f"{d.name_revision}  ({label}, {d.status})", d.name_revision)
        self.queue.blockSignals(False)
        self.definition.blockSignals(False)
        queue, definition = self.default_pair()
        self.choose(queue, definition)

    def default_pair(self) -> tuple[str | None, str | None]:
        """The first usable definition that a usable queue of its platform can run, and that queue."""
        usable = [q for q in self.queues if q.state == "ENABLED" and q.status == "VALID"] or self.queues
        for definition in self.definitions:
            if definition.status != "ACTIVE":
                continue
            family = definition_family(definition)
            for queue in usable:
                if self.platforms.queue_family(queue.name) in ("", family):
                    return queue.name, definition.name_revision
        return None, None

    def choose(self, queue: str | None, definition: str | None) -> None:
        """Select a queue/definition by name (tests and remembered choices)."""
        if queue is not None:
            index = self.queue.findData(queue)
            if index >= 0:
                self.queue.setCurrentIndex(index)
        if definition is not None:
            index = self.definition.findData(definition)
            if index < 0:
                index = next((i for i, d in enumerate(self.definitions) if d.name == definition), -1)
            if index >= 0:
                self.definition.setCurrentIndex(index)
        self._definition_changed()

    def set_mode(self, mode: SplitMode) -> None:
        self.mode_buttons[mode].setChecked(True)

    @property
    def current_definition(self) -> JobDefinition | None:
        index = self.definition.currentIndex()
        return self.definitions[index] if 0 <= index < len(self.definitions) else None

    @property
    def current_queue(self) -> JobQueue | None:
        index = self.queue.currentIndex()
        return self.queues[index] if 0 <= index < len(self.queues) else None

    def _definition_changed(self) -> None:
        definition = self.current_definition
        while self.params_grid.count():
            item = self.params_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.param_widgets.clear()
        if definition is None:
            self.definition_info.setText("")
            self.replan()
            return
        self.definition_info.setText(
            f"{definition.platform}, {definition.vcpus or '?'} vCPU, {definition.memory_mib or '?'} MiB, "
            f"image {definition.image}\ncommand: {' '.join(definition.command)}"
        )
        info = definition_info(definition)
        names = list(dict.fromkeys([*info.referenced, *definition.parameters]))
        columns = self.w.check.inspection.column_names if self.w.check else []
        auto = {"bucket", "key", "rows_per_child", "first_row", "submission_id", "row_number"}
        self.params_grid.addWidget(QLabel("<b>Parameter</b>"), 0, 0)
        self.params_grid.addWidget(QLabel("<b>From column (per-row)</b>"), 0, 1)
        self.params_grid.addWidget(QLabel("<b>Value</b>"), 0, 2)
        for row, name in enumerate(names, start=1):
            combo = QComboBox()
            combo.addItem("—", "")
            for column in columns:
                combo.addItem(column, column)
            value = QLineEdit()
            default = definition.parameters.get(name, "")
            value.setPlaceholderText(
                "filled by the wizard" if name in auto else (f"default: {default}" if default else "required")
            )
            combo.currentIndexChanged.connect(lambda _i: self.replan())
            value.textChanged.connect(lambda _t: self.replan())
            self.params_grid.addWidget(QLabel(name), row, 0)
            self.params_grid.addWidget(combo, row, 1)
            self.params_grid.addWidget(value, row, 2)
            self.param_widgets[name] = (combo, value)
        # Rows keep their natural height at the top; the space below stays empty.
        for row in range(self.params_grid.rowCount()):
            self.params_grid.setRowStretch(row, 0)
        self.params_grid.setRowStretch(len(names) + 1, 1)
        self.sections.setTabText(0, f"Parameters (Ref::) · {len(names)}")
        self.replan()

    def map_column(self, parameter: str, column: str) -> None:
        combo, _value = self.param_widgets[parameter]
        combo.setCurrentIndex(max(0, combo.findData(column)))

    def set_value(self, parameter: str, value: str) -> None:
        self.param_widgets[parameter][1].setText(value)

    def mode(self) -> SplitMode:
        for mode, button in self.mode_buttons.items():
            if button.isChecked():
                return mode
        return SplitMode.ARRAY

    def _overrides(self) -> Overrides:
        return Overrides(
            environment=_parse_pairs(self.env.text()),
            vcpus=self.vcpus.text().strip(),
            memory_mib=self.memory.value() or None,
            retries=self.retries.value() or None,
            timeout_s=self.timeout.value() or None,
            tags=_parse_pairs(self.tags.text()),
            depends_on=tuple(j.strip() for j in self.depends.text().replace(",", " ").split() if j.strip()),
        )

    def _check_platforms(self) -> None:
        """Grey the choices of the other platform; say why the chosen pair cannot run, if so."""
        queue, definition = self.current_queue, self.current_definition
        queue_family = self.platforms.queue_family(queue.name) if queue else ""
        wanted = definition_family(definition) if definition else ""
        mark_mismatches(
            self.queue,
            wanted,
            {i: self.platforms.queue_family(q.name) for i, q in enumerate(self.queues)},
            "job definition",
        )
        mark_mismatches(
            self.definition,
            queue_family,
            {i: definition_family(d) for i, d in enumerate(self.definitions)},
            "queue",
        )
        self.platform_problem = (
            self.platforms.problem(queue.name, definition.name_revision, [q.name for q in self.queues])
            if queue and definition
            else ""
        )

    def replan(self) -> None:
        queue, definition, check, target = (
            self.current_queue,
            self.current_definition,
            self.w.check,
            self.w.target,
        )
        self._check_platforms()
        mode = self.mode()
        self.rows_per_child.setEnabled(mode is SplitMode.ARRAY)
        self.several.setEnabled(mode is SplitMode.ARRAY)
        for combo, _value in self.param_widgets.values():
            combo.setEnabled(mode is SplitMode.PER_ROW)  # columns map to parameters only row by row
        o = self._overrides()
        chosen = sum(
            (
                bool(o.environment),
                bool(o.vcpus),
                o.memory_mib is not None,
                o.retries is not None,
                o.timeout_s is not None,
                bool(o.tags),
                bool(o.depends_on),
            )
        )
        # The overrides tab is out of sight while the parameters are shown: its title says what is set.
        self.sections.setTabText(1, f"Overrides · {chosen} set" if chosen else "Overrides")
        if queue is None or definition is None or check is None or target is None:
            self.plan = None
            self.plan_label.setText("")
            self.completeChanged.emit()
            return
        inspection = check.inspection
        column_map = {p: c.currentData() for p, (c, _v) in self.param_widgets.items() if c.currentData()}
        values = {p: v.text() for p, (_c, v) in self.param_widgets.items() if v.text()}
        spec = PlanInput(
            job_name=self.job_name.text().strip() or "csv",
            queue=QueueInfo(queue.name, queue.state, queue.status),
            definition=definition_info(definition),
            bucket=target.bucket,
            key=target.key,
            rows=inspection.rows,
            columns=tuple(inspection.column_names),
            submission_id=self.w.submission_id,
            mode=mode,
            rows_per_child=self.rows_per_child.value(),
            several_arrays=self.several.isChecked(),
            column_map=column_map if mode is SplitMode.PER_ROW else {},
            parameters=values,
            overrides=self._overrides(),
            empty_counts={c: inspection.empty_in(c).empty for c in column_map.values()},
        )
        self.plan = make_plan(spec)
        errors = ([self.platform_problem] if self.platform_problem else []) + list(self.plan.errors)
        lines = [f"<span style='{ERROR_STYLE}'>✖ {e}</span>" for e in errors]
        lines += [f"<span style='{WARN_STYLE}'>⚠ {w}</span>" for w in self.plan.warnings]
        if self.plan.ok and not self.platform_problem:
            what = (
                f"array of {self.plan.array_size:,} children"
                if mode is SplitMode.ARRAY and (self.plan.array_size or 0) > 1
                else f"{self.plan.call_count:,} job(s)"
            )
            lines.append(
                f"<span style='{OK_STYLE}'>✔ {self.plan.call_count:,} SubmitJob call(s): {what}.</span>"
            )
        self.plan_label.setText("<br>".join(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.plan is not None and self.plan.ok and not self.platform_problem

    def validatePage(self) -> bool:
        self.w.plan = self.plan
        return self.isComplete()


# --- 5. review ----------------------------------------------------------------------------------
class ReviewPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(wizard, "Review", "Exactly what will be sent.")
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setWordWrap(True)
        self.requests = QPlainTextEdit()
        self.requests.setReadOnly(True)
        self.requests.setFont(monospace_font())
        self.cli = QPlainTextEdit()
        self.cli.setReadOnly(True)
        self.cli.setFont(monospace_font())
        self.cli.setMaximumHeight(90)
        copy = QPushButton("Copy CLI command")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.cli.toPlainText()))
        self.dry_run = QCheckBox("Dry run: record the submission and its requests, send nothing")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.requests)
        splitter.addWidget(self.cli)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addWidget(copy)
        row.addWidget(self.dry_run)
        row.addStretch(1)
        layout.addLayout(row)

    def initializePage(self) -> None:
        plan, check = self.w.plan, self.w.check
        if plan is None or check is None or self.w.path is None:
            return
        spec = plan.input
        inspection = check.inspection
        if spec.mode is SplitMode.PER_ROW:
            with self.w.path.open("rb") as handle:  # the first few rows only: cheap
                rows = iter_rows(
                    handle,
                    inspection.encoding,
                    inspection.delimiter,
                    inspection.quotechar,
                    inspection.has_header,
                )
                first = plan.first_requests(rows, 3)
        else:
            first = plan.first_requests([], 3)
        seconds = plan.seconds_at(DEFAULT_RATE_PER_S)
        if spec.mode is SplitMode.ARRAY:
            shape = f"array of {plan.array_size or 1:,} children, {spec.rows_per_child:,} rows per child"
        elif spec.mode is SplitMode.PER_ROW:
            shape = "one job per row"
        else:
            shape = "one job for the whole file"
        took = (
            "well under a second"
            if seconds < 1
            else f"about {seconds:,.0f} s at {DEFAULT_RATE_PER_S:.0f} requests/s (the account's budget)"
        )
        self.summary.setText(
            f"<b>{plan.call_count:,}</b> SubmitJob call{'s' if plan.call_count != 1 else ''} for "
            f"{spec.rows:,} rows ({shape}) to queue <b>{spec.queue.name}</b> with "
            f"<b>{spec.definition.name_revision}</b>: {took}. "
            f"Submission id <code>{spec.submission_id}</code>."
        )
        shown = "\n\n".join(json.dumps(r, indent=2) for r in first)
        more = plan.call_count - len(first)
        self.requests.setPlainText(shown + (f"\n\n… and {more:,} more like these." if more > 0 else ""))
        backend = self.w.services.connections.backend
        region = backend.spec.region if backend else ""
        endpoint = backend.connection.endpoint_url or "" if backend else ""
        self.cli.setPlainText(cli_command(first[0], region, endpoint) if first else "")


# --- 6. submit ----------------------------------------------------------------------------------
class SubmitPage(WizardPage):
    def __init__(self, wizard: CsvWizard) -> None:
        super().__init__(
            wizard, "Submit", "Every job id is journaled as it returns; Resume continues exactly."
        )
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setObjectName("submitStatus")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.start)
        self.resume_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.stop_button)
        row.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None
        self.submission: Submission | None = None
        self.finished_ok = False

    def initializePage(self) -> None:
        self.wizard().button(QWizard.WizardButton.BackButton).setEnabled(False)
        self.start()

    def stop(self) -> None:
        self._stop.set()
        self.say("Stopping after the calls in flight…", WARN_STYLE)

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stop = asyncio.Event()
        self._task = self.w.services.tasks.spawn(self._run(self._stop), "Submit the CSV jobs")

    async def _run(self, stop: asyncio.Event) -> None:
        backend = self.w.services.connections.backend
        plan, check, path = self.w.plan, self.w.check, self.w.path
        if backend is None or plan is None or check is None or path is None:
            self.say("Not connected.", ERROR_STYLE)
            return
        submitter = self.w.submitter
        self.resume_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        try:
            if self.submission is None:
                inspection = check.inspection

                def rows() -> Any:
                    handle = path.open("rb")
                    try:
                        yield from iter_rows(
                            handle,
                            inspection.encoding,
                            inspection.delimiter,
                            inspection.quotechar,
                            inspection.has_header,
                        )
                    finally:
                        handle.close()

                self.say("Writing the submission to the journal…")
                self.submission = await submitter.create(
                    plan,
                    str(path),
                    inspection.size,
                    check.sha256,
                    rows=rows,
                    connection=backend.spec.label,
                    results_table=self.w.results_table(),
                    dry_run=self.w.review.dry_run.isChecked(),
                )
            if self.submission.state == SubmissionState.DRY_RUN:
                self.progress.setValue(100)
                self.say(
                    f"Dry run recorded as {self.submission.id}: "
                    f"{self.submission.total:,} request(s), none sent.",
                    OK_STYLE,
                )
                self.finished_ok = True
                return

            def report(progress: SubmitProgress) -> None:
                self.progress.setMaximum(max(1, progress.total))
                self.progress.setValue(progress.submitted)
                self.status.setText(
                    f"{progress.submitted:,} of {progress.total:,} submitted"
                    + (f" · pacing {progress.rate_per_s:.0f}/s" if progress.rate_per_s else "")
                    + (f" · {progress.throttled} throttled and retried" if progress.throttled else "")
                )

            outcome = await submitter.submit(
                backend.batch, self.submission.id, progress=report, cancel=stop, rate_per_s=self.w.rate_per_s
            )
            report(SubmitProgress(outcome.submitted, outcome.total, outcome.throttled))
            if outcome.submitted + outcome.failed < outcome.total:
                self.say(
                    f"Stopped: {outcome.submitted:,} of {outcome.total:,} submitted. Resume continues.",
                    WARN_STYLE,
                )
                self.resume_button.setEnabled(True)
            elif outcome.failed:
                self.say(
                    f"{outcome.submitted:,} submitted, {outcome.failed:,} refused by Batch "
                    "(see Submissions).",
                    ERROR_STYLE,
                )
                self.finished_ok = True
            else:
                self.say(
                    f"Submitted: {outcome.submitted:,} job(s) in {outcome.seconds:.1f} s "
                    f"({outcome.calls:,} call{'s' if outcome.calls != 1 else ''}). "
                    f"{self.w.buttonText(QWizard.WizardButton.FinishButton).replace('&', '')} opens the "
                    "Submissions view on it.",
                    OK_STYLE,
                )
                self.finished_ok = True
        except BatchGuiError as error:
            self.say(
                f"{error.message()}\nNothing is lost: press Resume to continue where it stopped.", ERROR_STYLE
            )
            self.resume_button.setEnabled(True)
        finally:
            self.stop_button.setEnabled(False)
            self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.finished_ok


class CsvWizard(QWizard):
    """The wizard; `on_follow(submission_id)` opens the Submissions view at the end."""

    def __init__(
        self,
        services: PanelServices,
        uploader: Uploader,
        submitter: Submitter,
        on_follow: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        *,
        rate_per_s: float = DEFAULT_RATE_PER_S,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("csvWizard")
        self.setWindowTitle("New CSV submission")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(1000, 720)
        self.services = services
        self.uploader = uploader
        self.submitter = submitter
        self.on_follow = on_follow
        self.rate_per_s = rate_per_s
        self.path: Path | None = None
        self.check: FileCheck | None = None
        self.target: ObjectInfo | None = None
        self.plan: Plan | None = None
        self.submission_id = ""
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

    def open_file(self, path: Path) -> None:
        """Start at the check step with `path` (drag-and-drop, or a test)."""
        self.file_page.path_edit.setText(str(path))
        self.path = path
        if self.currentId() == 0:
            self.next()

    def results_table(self) -> str:
        plan = self.plan
        if plan is None:
            return ""
        return plan.input.parameters.get("table", "") or plan.input.definition.parameters.get("table", "")

    def _finished(self, result: int) -> None:
        submission = self.submit_page.submission
        if result and submission is not None and self.on_follow is not None:
            self.on_follow(submission.id)
