"""The Submit job dialog: queue, definition, parameters, overrides, array size, dependencies, retries,
timeout, tags. `prefill(request)` fills it from a SubmitJobRequest (clone, resubmit, a definition);
`request()` builds one, and `errors()` says what is wrong in words a person can act on.

Awaited with `await dialog.ask()` (opened with open(), never exec(): qasync runs the one loop).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.job_platforms import FAMILY_LABEL, Platforms
from batchgui.domain.job_requests import ContainerOverrides, SubmitJobRequest
from batchgui.ui.jobs.overrides_form import (
    EditedOverrides,
    OverrideFields,
    format_pairs,
    parse_command,
    parse_pairs,
)
from batchgui.ui.widgets.forms import Tone, cap_form_width, error_style, mark_mismatches, tone_style

__all__ = [
    "SubmitJobDialog",
    "format_pairs",
    "parse_command",
    "parse_pairs",
]

JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
MAX_DEPENDENCIES = 20
MAX_ARRAY = 10_000
# SubmitJob takes at most 30 KiB of request.
MAX_REQUEST_BYTES = 30 * 1024


class SubmitJobDialog(QDialog):
    def __init__(
        self,
        queues: Sequence[str],
        definitions: Sequence[str],
        parent: QWidget | None = None,
        *,
        resubmit_count: int = 0,
        platforms: Platforms | None = None,
        retry_note: str = "",
    ) -> None:
        """`resubmit_count` jobs resubmitted, or (`retry_note`) a retry of failed children: only the
        overrides are edited, each job keeps its own name, queue, definition and parameters."""
        super().__init__(parent)
        cap_form_width(self)
        self.resubmit_count = resubmit_count
        self.retry_note = retry_note
        self.overrides_only = bool(resubmit_count or retry_note)
        self.platforms = platforms or Platforms()
        self.queue_names = list(queues)
        self.definition_names = list(definitions)
        if retry_note:
            title, ok_text = "Retry failed children", "Retry"
        elif resubmit_count:
            title, ok_text = f"Resubmit {resubmit_count} jobs", "Resubmit"
        else:
            title, ok_text = "Submit job", "Submit"
        self.setWindowTitle(title)
        self.setObjectName("submitJobDialog")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("letters, digits, - and _ (up to 128)")
        self.queue_combo = QComboBox()
        self.queue_combo.setEditable(True)
        self.queue_combo.addItems(list(queues))
        self.definition_combo = QComboBox()
        self.definition_combo.setEditable(True)
        self.definition_combo.addItems(list(definitions))
        self.platform_label = QLabel()
        self.platform_label.setObjectName("submitPlatform")
        self.platform_label.setWordWrap(True)
        self.parameters_edit = QPlainTextEdit()
        self.parameters_edit.setPlaceholderText("name=value, one per line (replace Ref::name in the command)")
        self.fields = OverrideFields("definition's")
        self.command_edit = self.fields.command_edit
        self.environment_edit = self.fields.environment_edit
        self.vcpu_edit = self.fields.vcpu_edit
        self.memory_spin = self.fields.memory_spin
        self.retries_spin = self.fields.retries_spin
        self.timeout_spin = self.fields.timeout_spin
        self.array_spin = QSpinBox()
        self.array_spin.setRange(0, MAX_ARRAY)
        self.array_spin.setSpecialValueText("not an array")
        self.dependencies_edit = QLineEdit()
        self.dependencies_edit.setPlaceholderText("job ids, separated by spaces or commas (up to 20)")
        self.tags_edit = QPlainTextEdit()
        self.tags_edit.setPlaceholderText("key=value, one per line")
        for edit in (self.parameters_edit, self.tags_edit):
            edit.setMaximumHeight(70)
        form = QFormLayout()
        note = QLabel(
            retry_note
            or f"Each of the {resubmit_count} jobs is submitted again with its own name, queue, "
            "definition and parameters; the overrides below replace theirs."
        )
        note.setObjectName("submitNote")
        note.setWordWrap(True)
        note.setVisible(self.overrides_only)
        if not self.overrides_only:
            form.addRow("Name", self.name_edit)
            form.addRow("Queue", self.queue_combo)
            form.addRow("Definition", self.definition_combo)
            form.addRow("", self.platform_label)
            form.addRow("Parameters", self.parameters_edit)
        self.fields.add_rows(form)
        if not self.overrides_only:
            form.addRow("Array size", self.array_spin)
            form.addRow("Depends on", self.dependencies_edit)
            form.addRow("Tags", self.tags_edit)
        self.error_label = QLabel()
        self.error_label.setObjectName("submitErrors")
        self.error_label.setStyleSheet(error_style(self.error_label))
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(ok_text)
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(560, 380 if self.overrides_only else 640)
        self.choose_defaults()
        self.queue_combo.currentTextChanged.connect(lambda _t: self._platform_changed())
        self.definition_combo.currentTextChanged.connect(lambda _t: self._platform_changed())
        self._platform_changed()

    # --- platforms ----------------------------------------------------------------------------
    def choose_defaults(self) -> None:
        """A pair that can run: the first definition some queue can run, then that queue."""
        platforms = self.platforms
        for index, definition in enumerate(self.definition_names):
            family = platforms.definition_family(definition)
            matching = platforms.queues_for(family, self.queue_names) if family else []
            if matching:
                self.definition_combo.setCurrentIndex(index)
                self.queue_combo.setCurrentIndex(self.queue_names.index(matching[0]))
                return

    def select_queue(self, queue: str) -> None:
        """Preselect a queue (the one the jobs list is filtered on); the definition follows it if needed."""
        self.queue_combo.setCurrentText(queue)
        family = self.platforms.queue_family(queue)
        if family and self.platforms.definition_family(self.definition_combo.currentText()) not in (
            "",
            family,
        ):
            for index, definition in enumerate(self.definition_names):
                if self.platforms.definition_family(definition) == family:
                    self.definition_combo.setCurrentIndex(index)
                    break

    def platform_problem(self) -> str:
        if self.overrides_only:
            return ""  # each job keeps its own queue and definition, which ran together before
        return self.platforms.problem(
            self.queue_combo.currentText(), self.definition_combo.currentText(), self.queue_names
        )

    def _platform_changed(self) -> None:
        queue_family = self.platforms.queue_family(self.queue_combo.currentText())
        definition_family = self.platforms.definition_family(self.definition_combo.currentText())
        mark_mismatches(
            self.queue_combo,
            definition_family,
            {i: self.platforms.queue_family(q) for i, q in enumerate(self.queue_names)},
            "job definition",
        )
        mark_mismatches(
            self.definition_combo,
            queue_family,
            {i: self.platforms.definition_family(d) for i, d in enumerate(self.definition_names)},
            "queue",
        )
        problem = self.platform_problem()
        if problem:
            self.platform_label.setStyleSheet(tone_style(self.platform_label, Tone.PROBLEM))
            self.platform_label.setText(f"✖ {problem}")
        elif queue_family and definition_family:
            self.platform_label.setStyleSheet(tone_style(self.platform_label, Tone.OK))
            self.platform_label.setText(f"✔ {FAMILY_LABEL[queue_family]} queue and job definition")
        else:
            self.platform_label.setStyleSheet("")
            self.platform_label.setText(
                "Greyed queues and definitions are for the other platform (Fargate or EC2)."
                if self.platforms.queues
                else ""
            )

    # --- filling ------------------------------------------------------------------------------
    def prefill(self, request: SubmitJobRequest) -> None:
        """Fill the fields from a request (a clone, a resubmission, or a definition alone)."""
        self.name_edit.setText(request.job_name)
        self.definition_combo.setCurrentText(request.job_definition.rsplit("/", 1)[-1])
        queue = request.job_queue.rsplit("/", 1)[-1]
        if queue:
            self.queue_combo.setCurrentText(queue)
        else:  # a definition alone (Submit from the definitions list): a queue that can run it
            family = self.platforms.definition_family(self.definition_combo.currentText())
            if family and self.platforms.queue_family(self.queue_combo.currentText()) != family:
                matching = self.platforms.queues_for(family, self.queue_names)
                if matching:
                    self.queue_combo.setCurrentText(matching[0])
        self.parameters_edit.setPlainText(format_pairs(dict(request.parameters)))
        overrides = request.overrides
        self.fields.fill(
            EditedOverrides(
                overrides.command,
                overrides.environment,
                overrides.vcpus,
                int(overrides.memory_mib) if overrides.memory_mib.isdigit() else None,
                request.retry_attempts,
                request.timeout_s,
            )
        )
        self.array_spin.setValue(request.array_size or 0)
        self.dependencies_edit.setText(" ".join(request.depends_on))
        self.tags_edit.setPlainText(format_pairs(dict(request.tags)))

    # --- reading ------------------------------------------------------------------------------
    def overrides(self, errors: list[str]) -> SubmitJobRequest:
        """Container overrides, retries and timeout: the part a resubmission replaces."""
        edited = self.fields.read(errors)
        memory = str(edited.memory_mib) if edited.memory_mib else ""
        return SubmitJobRequest(
            overrides=ContainerOverrides(edited.command, edited.environment, edited.vcpus, memory),
            retry_attempts=edited.attempts,
            timeout_s=edited.timeout_s,
        )

    def request(self, errors: list[str] | None = None) -> SubmitJobRequest:
        errors = [] if errors is None else errors
        name = self.name_edit.text().strip()
        if not JOB_NAME.match(name):
            errors.append("Name: 1 to 128 letters, digits, - or _, starting with a letter or digit.")
        queue = self.queue_combo.currentText().strip()
        if not queue:
            errors.append("Queue: pick the queue to submit to.")
        definition = self.definition_combo.currentText().strip()
        if not definition:
            errors.append("Definition: pick a job definition (name or name:revision).")
        problem = self.platform_problem()
        if queue and definition and problem:
            errors.append(problem)
        parameters = parse_pairs(self.parameters_edit.toPlainText(), "Parameters", errors)
        edited = self.overrides(errors)
        size = self.array_spin.value()
        if size == 1:
            errors.append("Array size: 2 to 10,000 (or none for a single job).")
        dependencies = [d for d in re.split(r"[\s,]+", self.dependencies_edit.text().strip()) if d]
        if len(dependencies) > MAX_DEPENDENCIES:
            errors.append(f"Depends on: at most {MAX_DEPENDENCIES} jobs (you listed {len(dependencies)}).")
        tags = parse_pairs(self.tags_edit.toPlainText(), "Tags", errors)
        request = replace(
            edited,
            job_name=name,
            job_queue=queue,
            job_definition=definition,
            parameters=parameters,
            array_size=size if size >= 2 else None,
            depends_on=tuple(dependencies),
            tags=tags,
        )
        if len(json.dumps(request.to_api()).encode()) > MAX_REQUEST_BYTES:
            errors.append(
                "The request is over SubmitJob's 30 KiB limit: shorten the environment or parameters."
            )
        return request

    def errors(self) -> list[str]:
        errors: list[str] = []
        if self.overrides_only:
            self.overrides(errors)
        else:
            self.request(errors)
        return errors

    def _try_accept(self) -> None:
        errors = self.errors()
        self.error_label.setText("\n".join(errors))
        if not errors:
            self.accept()

    async def ask(self) -> bool:
        """Show the dialog and wait; True when the user pressed Submit with valid input."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(result: int) -> None:
            if not future.done():
                future.set_result(bool(result))

        self.finished.connect(finished)
        self.open()
        return await future
