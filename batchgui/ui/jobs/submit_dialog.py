"""The Submit job dialog: queue, definition, parameters, overrides, array size, dependencies, retries,
timeout, tags. `prefill(request)` fills it from a SubmitJobRequest (clone, resubmit, a definition);
`request()` builds one, and `errors()` says what is wrong in words a person can act on.

Awaited with `await dialog.ask()` (opened with open(), never exec(): qasync runs the one loop).
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
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
from batchgui.ui.widgets.forms import mark_mismatches

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


def parse_pairs(text: str, what: str, errors: list[str]) -> dict[str, str]:
    """`key=value` per line (blank lines and # comments skipped)."""
    pairs: dict[str, str] = {}
    for number, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            errors.append(f"{what}, line {number}: write it as NAME=value.")
            continue
        pairs[key.strip()] = value.strip()
    return pairs


def format_pairs(pairs: dict[str, str] | Sequence[tuple[str, str]]) -> str:
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return "\n".join(f"{k}={v}" for k, v in items)


def parse_command(text: str, errors: list[str]) -> list[str]:
    """A JSON list (["sh", "-c", "…"]) or a shell-style line."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(f"Command: not valid JSON ({exc.msg}); use a JSON list or a plain command line.")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append("Command: a JSON command must be a list of strings.")
            return []
        return value
    try:
        return shlex.split(text)
    except ValueError as exc:
        errors.append(f"Command: {exc} (check the quotes).")
        return []


class SubmitJobDialog(QDialog):
    def __init__(
        self,
        queues: Sequence[str],
        definitions: Sequence[str],
        parent: QWidget | None = None,
        resubmit_count: int = 0,
        platforms: Platforms | None = None,
    ) -> None:
        super().__init__(parent)
        self.resubmit_count = resubmit_count
        self.platforms = platforms or Platforms()
        self.queue_names = list(queues)
        self.definition_names = list(definitions)
        self.setWindowTitle(f"Resubmit {resubmit_count} jobs" if resubmit_count else "Submit job")
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
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText('override, e.g. sh -c "echo hi" or ["python3", "-c", "…"]')
        self.environment_edit = QPlainTextEdit()
        self.environment_edit.setPlaceholderText("NAME=value, one per line")
        self.vcpu_edit = QLineEdit()
        self.vcpu_edit.setPlaceholderText("definition's")
        self.memory_edit = QLineEdit()
        self.memory_edit.setPlaceholderText("definition's (MiB)")
        self.array_spin = QSpinBox()
        self.array_spin.setRange(0, MAX_ARRAY)
        self.array_spin.setSpecialValueText("not an array")
        self.dependencies_edit = QLineEdit()
        self.dependencies_edit.setPlaceholderText("job ids, separated by spaces or commas (up to 20)")
        self.retries_spin = QSpinBox()
        self.retries_spin.setRange(0, 10)
        self.retries_spin.setSpecialValueText("definition's")
        self.timeout_spin = QSpinBox()
        self.timeout_spin.setRange(0, 14 * 24 * 3600)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setSpecialValueText("definition's")
        self.tags_edit = QPlainTextEdit()
        self.tags_edit.setPlaceholderText("key=value, one per line")
        for edit in (self.parameters_edit, self.environment_edit, self.tags_edit):
            edit.setMaximumHeight(70)
        form = QFormLayout()
        if resubmit_count:
            note = QLabel(
                f"Each of the {resubmit_count} jobs is submitted again with its own name, queue, definition "
                "and parameters; the overrides below replace theirs."
            )
            note.setWordWrap(True)
            form.addRow(note)
        else:
            form.addRow("Name", self.name_edit)
            form.addRow("Queue", self.queue_combo)
            form.addRow("Definition", self.definition_combo)
            form.addRow("", self.platform_label)
            form.addRow("Parameters", self.parameters_edit)
        form.addRow("Command", self.command_edit)
        form.addRow("Environment", self.environment_edit)
        form.addRow("vCPU", self.vcpu_edit)
        form.addRow("Memory", self.memory_edit)
        if not resubmit_count:
            form.addRow("Array size", self.array_spin)
            form.addRow("Depends on", self.dependencies_edit)
        form.addRow("Attempts", self.retries_spin)
        form.addRow("Timeout", self.timeout_spin)
        if not resubmit_count:
            form.addRow("Tags", self.tags_edit)
        self.error_label = QLabel()
        self.error_label.setObjectName("submitErrors")
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Resubmit" if resubmit_count else "Submit")
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(560, 640)
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
        if self.resubmit_count:
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
            self.platform_label.setStyleSheet("color: #c62828")
            self.platform_label.setText(f"✖ {problem}")
        elif queue_family and definition_family:
            self.platform_label.setStyleSheet("color: #1b5e20")
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
        self.command_edit.setText(json.dumps(list(overrides.command)) if overrides.command else "")
        self.environment_edit.setPlainText(format_pairs(overrides.environment))
        if overrides.vcpus:
            self.vcpu_edit.setText(overrides.vcpus)
        if overrides.memory_mib:
            self.memory_edit.setText(overrides.memory_mib)
        self.array_spin.setValue(request.array_size or 0)
        self.dependencies_edit.setText(" ".join(request.depends_on))
        self.retries_spin.setValue(request.retry_attempts or 0)
        self.timeout_spin.setValue(request.timeout_s or 0)
        self.tags_edit.setPlainText(format_pairs(dict(request.tags)))

    # --- reading ------------------------------------------------------------------------------
    def overrides(self, errors: list[str]) -> SubmitJobRequest:
        """Container overrides, retries and timeout: the part a resubmission replaces."""
        command = parse_command(self.command_edit.text(), errors)
        environment = parse_pairs(self.environment_edit.toPlainText(), "Environment", errors)
        vcpu = self.vcpu_edit.text().strip()
        if vcpu:
            try:
                if float(vcpu) <= 0:
                    raise ValueError
            except ValueError:
                errors.append("vCPU: a positive number, e.g. 0.25, 1 or 4.")
        memory = self.memory_edit.text().strip()
        if memory and (not memory.isdigit() or int(memory) <= 0):
            errors.append("Memory: a whole number of MiB, e.g. 2048.")
        timeout = self.timeout_spin.value()
        if timeout and timeout < 60:
            errors.append("Timeout: at least 60 seconds (AWS Batch's minimum).")
        return SubmitJobRequest(
            overrides=ContainerOverrides(tuple(command), tuple(environment.items()), vcpu, memory),
            retry_attempts=self.retries_spin.value() or None,
            timeout_s=timeout or None,
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
        if self.resubmit_count:
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
