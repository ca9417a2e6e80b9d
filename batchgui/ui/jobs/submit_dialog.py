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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
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

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue
from batchgui.domain.errors import BatchGuiError
from batchgui.services.runner import Runner
from batchgui.ui.queues.dialog import platform_family

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


FAMILY_LABEL = {"FARGATE": "Fargate", "EC2": "EC2"}
MISMATCH_COLOR = QColor("#9e9e9e")


def definition_family(definition: JobDefinition) -> str:
    """FARGATE or EC2, from the definition's platformCapabilities."""
    return "FARGATE" if definition.platform.upper() == "FARGATE" else "EC2"


@dataclass(frozen=True)
class Platforms:
    """Which platform (FARGATE or EC2) each queue and definition is for; absent = not known.

    A queue's platform is its compute environments'; a definition's its platformCapabilities.
    AWS Batch never runs a Fargate definition on an EC2 queue, nor the other way round.
    """

    queues: Mapping[str, str] = field(default_factory=dict)
    definitions: Mapping[str, str] = field(default_factory=dict)  # by name and by name:revision

    @classmethod
    def build(
        cls,
        queues: Sequence[JobQueue],
        environments: Sequence[ComputeEnvironment],
        definitions: Sequence[JobDefinition],
    ) -> Platforms:
        by_arn = {e.arn: e for e in environments}
        by_name = {e.name: e for e in environments}
        queue_families: dict[str, str] = {}
        for queue in queues:
            families = {
                platform_family(env)
                for order in queue.compute_environments
                if (env := by_arn.get(order.arn) or by_name.get(order.name)) is not None
            }
            if len(families) == 1:
                queue_families[queue.name] = families.pop()
        definition_families: dict[str, str] = {}
        # The newest revision speaks for the bare name (what SubmitJob runs for `name`).
        for definition in sorted(definitions, key=lambda d: d.revision):
            family = definition_family(definition)
            definition_families[definition.name_revision] = family
            if definition.status == "ACTIVE" or definition.name not in definition_families:
                definition_families[definition.name] = family
        return cls(queue_families, definition_families)

    def queue_family(self, queue: str) -> str:
        return self.queues.get(queue.strip().rsplit("/", 1)[-1], "")

    def definition_family(self, definition: str) -> str:
        name = definition.strip().rsplit("/", 1)[-1]
        return self.definitions.get(name) or self.definitions.get(name.split(":", 1)[0], "")

    def queues_for(self, family: str, among: Sequence[str]) -> list[str]:
        return [q for q in among if self.queue_family(q) == family]

    def problem(self, queue: str, definition: str, queues: Sequence[str] = ()) -> str:
        """Why this queue cannot run this definition, or "" when it can (or when it is not known)."""
        queue_family, definition_family = self.queue_family(queue), self.definition_family(definition)
        if not queue_family or not definition_family or queue_family == definition_family:
            return ""
        want = FAMILY_LABEL[definition_family]
        matching = self.queues_for(definition_family, queues)
        hint = f" ({', '.join(matching[:3])})" if matching else ""
        return (
            f"Queue {queue.strip()} runs jobs on {FAMILY_LABEL[queue_family]}, but job definition "
            f"{definition.strip()} is for {want}: AWS Batch would refuse or never run the job. "
            f"Pick a {want} queue{hint} or a {FAMILY_LABEL[queue_family]} job definition."
        )


async def load_platforms(runner: Runner, batch: BatchGateway) -> Platforms:
    """Platforms of the account's queues and definitions; empty (nothing checked) when not readable."""
    try:
        environments = await runner.run(batch.describe_compute_environments)
        queues = await runner.run(batch.describe_job_queues)
        definitions = await runner.run(batch.describe_job_definitions, "ACTIVE")
    except BatchGuiError:
        return Platforms()
    return Platforms.build(queues, environments, definitions)


def mark_mismatches(combo: QComboBox, family: str, family_of: Mapping[int, str], what: str) -> None:
    """Grey the combo's items whose platform is not `family`, with a tooltip saying why."""
    text = combo.currentText()
    for index in range(combo.count()):
        own = family_of.get(index, "")
        mismatch = bool(family and own and own != family)
        tip = FAMILY_LABEL.get(own, "")
        if mismatch:
            tip = f"{tip}: does not run the chosen {FAMILY_LABEL[family]} {what}"
        # Only real changes: a change to the current item resets an editable combo's typed text.
        if bool(combo.itemData(index, Qt.ItemDataRole.ForegroundRole)) != mismatch:
            combo.setItemData(
                index, QBrush(MISMATCH_COLOR) if mismatch else None, Qt.ItemDataRole.ForegroundRole
            )
        if (combo.itemData(index, Qt.ItemDataRole.ToolTipRole) or "") != tip:
            combo.setItemData(index, tip or None, Qt.ItemDataRole.ToolTipRole)
    if combo.isEditable() and combo.currentText() != text:
        combo.blockSignals(True)
        combo.setEditText(text)
        combo.blockSignals(False)


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
    def prefill(self, request: dict[str, Any]) -> None:
        """Fill the fields from a SubmitJob request (a clone or a resubmission)."""
        self.name_edit.setText(str(request.get("jobName", "")))
        self.definition_combo.setCurrentText(str(request.get("jobDefinition", "")).rsplit("/", 1)[-1])
        queue = str(request.get("jobQueue", "")).rsplit("/", 1)[-1]
        if queue:
            self.queue_combo.setCurrentText(queue)
        else:  # a definition alone (Submit from the definitions list): a queue that can run it
            family = self.platforms.definition_family(self.definition_combo.currentText())
            if family and self.platforms.queue_family(self.queue_combo.currentText()) != family:
                matching = self.platforms.queues_for(family, self.queue_names)
                if matching:
                    self.queue_combo.setCurrentText(matching[0])
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
        problem = self.platform_problem()
        if queue and definition and problem:
            errors.append(problem)
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
