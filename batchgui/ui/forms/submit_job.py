"""The Submit job dialog: queue, definition, parameters, overrides, array size, dependencies, retries,
timeout, tags. `prefill(request)` fills it from a SubmitJob request (clone, resubmit); `request()`
builds one, and `errors()` says what is wrong in words a person can act on.

Awaited with `await dialog.ask()` (opened with open(), never exec(): qasync runs the one loop).
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from collections.abc import Sequence
from typing import Any

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
    ) -> None:
        super().__init__(parent)
        self.resubmit_count = resubmit_count
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

    # --- filling ------------------------------------------------------------------------------
    def prefill(self, request: dict[str, Any]) -> None:
        """Fill the fields from a SubmitJob request (a clone or a resubmission)."""
        self.name_edit.setText(str(request.get("jobName", "")))
        self.queue_combo.setCurrentText(str(request.get("jobQueue", "")).rsplit("/", 1)[-1])
        self.definition_combo.setCurrentText(str(request.get("jobDefinition", "")).rsplit("/", 1)[-1])
        self.parameters_edit.setPlainText(format_pairs(dict(request.get("parameters") or {})))
        overrides: dict[str, Any] = request.get("containerOverrides") or {}
        command = overrides.get("command") or []
        self.command_edit.setText(json.dumps(command) if command else "")
        self.environment_edit.setPlainText(
            format_pairs([(e["name"], e.get("value", "")) for e in overrides.get("environment") or ()])
        )
        for requirement in overrides.get("resourceRequirements") or ():
            if requirement.get("type") == "VCPU":
                self.vcpu_edit.setText(str(requirement.get("value", "")))
            if requirement.get("type") == "MEMORY":
                self.memory_edit.setText(str(requirement.get("value", "")))
        self.array_spin.setValue(int((request.get("arrayProperties") or {}).get("size") or 0))
        self.dependencies_edit.setText(" ".join(d["jobId"] for d in request.get("dependsOn") or ()))
        self.retries_spin.setValue(int((request.get("retryStrategy") or {}).get("attempts") or 0))
        self.timeout_spin.setValue(int((request.get("timeout") or {}).get("attemptDurationSeconds") or 0))
        self.tags_edit.setPlainText(format_pairs(dict(request.get("tags") or {})))

    # --- reading ------------------------------------------------------------------------------
    def overrides(self, errors: list[str]) -> dict[str, Any]:
        """containerOverrides, retryStrategy and timeout: the part a resubmission replaces."""
        out: dict[str, Any] = {}
        container: dict[str, Any] = {}
        command = parse_command(self.command_edit.text(), errors)
        if command:
            container["command"] = command
        environment = parse_pairs(self.environment_edit.toPlainText(), "Environment", errors)
        if environment:
            container["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
        requirements = []
        vcpu = self.vcpu_edit.text().strip()
        if vcpu:
            try:
                if float(vcpu) <= 0:
                    raise ValueError
            except ValueError:
                errors.append("vCPU: a positive number, e.g. 0.25, 1 or 4.")
            requirements.append({"type": "VCPU", "value": vcpu})
        memory = self.memory_edit.text().strip()
        if memory:
            if not memory.isdigit() or int(memory) <= 0:
                errors.append("Memory: a whole number of MiB, e.g. 2048.")
            requirements.append({"type": "MEMORY", "value": memory})
        if requirements:
            container["resourceRequirements"] = requirements
        if container:
            out["containerOverrides"] = container
        if self.retries_spin.value():
            out["retryStrategy"] = {"attempts": self.retries_spin.value()}
        timeout = self.timeout_spin.value()
        if timeout:
            if timeout < 60:
                errors.append("Timeout: at least 60 seconds (AWS Batch's minimum).")
            out["timeout"] = {"attemptDurationSeconds": timeout}
        return out

    def request(self, errors: list[str] | None = None) -> dict[str, Any]:
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
        request: dict[str, Any] = {"jobName": name, "jobQueue": queue, "jobDefinition": definition}
        parameters = parse_pairs(self.parameters_edit.toPlainText(), "Parameters", errors)
        if parameters:
            request["parameters"] = parameters
        request.update(self.overrides(errors))
        size = self.array_spin.value()
        if size == 1:
            errors.append("Array size: 2 to 10,000 (or none for a single job).")
        if size >= 2:
            request["arrayProperties"] = {"size": size}
        dependencies = [d for d in re.split(r"[\s,]+", self.dependencies_edit.text().strip()) if d]
        if len(dependencies) > MAX_DEPENDENCIES:
            errors.append(f"Depends on: at most {MAX_DEPENDENCIES} jobs (you listed {len(dependencies)}).")
        if dependencies:
            request["dependsOn"] = [{"jobId": d} for d in dependencies]
        tags = parse_pairs(self.tags_edit.toPlainText(), "Tags", errors)
        if tags:
            request["tags"] = tags
        if len(json.dumps(request).encode()) > MAX_REQUEST_BYTES:
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


def apply_overrides(request: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A resubmission: the job's own request with the dialog's overrides in place of its own."""
    out = {k: v for k, v in request.items() if k not in ("containerOverrides", "retryStrategy", "timeout")}
    container = dict(request.get("containerOverrides") or {})
    container.update(overrides.get("containerOverrides") or {})
    if container:
        out["containerOverrides"] = container
    for key in ("retryStrategy", "timeout"):
        if key in overrides:
            out[key] = overrides[key]
        elif key in request:
            out[key] = request[key]
    return out
