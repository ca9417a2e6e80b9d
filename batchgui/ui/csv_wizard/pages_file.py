"""The wizard's first steps: choose the file, then read it once (check, preview, counts, SHA-256)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
)

from batchgui.domain.csv_plan import Problem, human_bytes
from batchgui.domain.errors import BatchGuiError
from batchgui.services.upload import FileCheck, Progress
from batchgui.ui.csv_wizard.common import ERROR_STYLE, OK_STYLE, WARN_STYLE, WizardPage, _cell
from batchgui.ui.widgets.panel import make_table_view
from batchgui.ui.widgets.table_model import Column, RowTableModel

# The file field is looked at once typing pauses this long, not at every keystroke.
PATH_DEBOUNCE_MS = 250

if TYPE_CHECKING:
    from batchgui.ui.csv_wizard.wizard import CsvWizard


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
        size = await self.w.uploads.file_size(path)
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
        self.s.choose_file(Path(self.path_edit.text().strip()).expanduser())
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
        if self.result is None or self.result.path != self.s.path:
            self.start()

    def cancel(self) -> None:
        self._cancel.set()

    def start(self) -> None:
        if self._task is not None and not self._task.done():
            self._cancel.set()
            self._task.cancel()
        self._cancel = threading.Event()
        self.result = None
        self.s.check = None
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
        path = self.s.path
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
            checked = await self.w.uploads.check(path, report, cancel, **self._overrides())
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
            if inspection.unreadable:
                self.tabs.setCurrentIndex(1)
                self.say(
                    f"{inspection.unreadable:,} line(s) cannot be read as CSV (see the Problems tab, "
                    "with the line where each starts): a submission would not send what the preview "
                    "shows. Fix the file and choose it again.",
                    ERROR_STYLE,
                )
                self.result = checked
                self.s.check = checked
                self.completeChanged.emit()
                return
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
        self.s.check = checked
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.result is not None and self.result.inspection.ok
