"""The fields every submit and resubmit dialog shares: command, environment, vCPU, memory, attempts,
timeout — built, filled, read and checked in one place (the Submit job dialog, the retry of failed
children, and the Submissions' Resubmit failed rows all use them).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from batchgui.domain.job_requests import MAX_ATTEMPTS, MAX_MEMORY_MIB, MAX_TIMEOUT_S, MIN_TIMEOUT_S


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


def format_pairs(pairs: Mapping[str, str] | Sequence[tuple[str, str]]) -> str:
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
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


def plural(count: int, word: str) -> str:
    """`1 row`, `2 rows`, `1,000 jobs`."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class EditedOverrides:
    """What the fields say; empty / None fields keep what the job (or its definition) had."""

    command: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    vcpus: str = ""
    memory_mib: int | None = None
    attempts: int | None = None
    timeout_s: int | None = None


class OverrideFields:
    """The shared override widgets; `keep` is the placeholder of an untouched field ("as before")."""

    def __init__(self, keep: str) -> None:
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText('override, e.g. sh -c "echo hi" or ["python3", "-c", "…"]')
        self.environment_edit = QPlainTextEdit()
        self.environment_edit.setPlaceholderText("NAME=value, one per line")
        self.environment_edit.setMaximumHeight(70)
        self.vcpu_edit = QLineEdit()
        self.vcpu_edit.setPlaceholderText(keep)
        self.memory_spin = QSpinBox()
        self.memory_spin.setRange(0, MAX_MEMORY_MIB)
        self.memory_spin.setSpecialValueText(keep)
        self.memory_spin.setSuffix(" MiB")
        self.retries_spin = QSpinBox()
        self.retries_spin.setRange(0, MAX_ATTEMPTS)
        self.retries_spin.setSpecialValueText(keep)
        self.timeout_spin = QSpinBox()
        self.timeout_spin.setRange(0, MAX_TIMEOUT_S)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setSpecialValueText(keep)

    def add_rows(self, form: QFormLayout, command: bool = True) -> None:
        """Command (optional), Environment, then vCPU + memory and attempts + timeout on one row each."""
        if command:
            form.addRow("Command", self.command_edit)
        form.addRow("Environment", self.environment_edit)
        form.addRow("Resources", _pair(("vCPU", self.vcpu_edit), ("Memory", self.memory_spin)))
        form.addRow(
            "Retry and timeout", _pair(("Attempts", self.retries_spin), ("Timeout", self.timeout_spin))
        )

    def on_change(self, callback: Callable[[], None]) -> None:
        self.command_edit.textChanged.connect(lambda _t: callback())
        self.vcpu_edit.textChanged.connect(lambda _t: callback())
        self.environment_edit.textChanged.connect(callback)
        for spin in (self.memory_spin, self.retries_spin, self.timeout_spin):
            spin.valueChanged.connect(lambda _v: callback())

    def fill(self, edited: EditedOverrides) -> None:
        self.command_edit.setText(json.dumps(list(edited.command)) if edited.command else "")
        self.environment_edit.setPlainText(format_pairs(edited.environment))
        self.vcpu_edit.setText(edited.vcpus)
        self.memory_spin.setValue(edited.memory_mib or 0)
        self.retries_spin.setValue(edited.attempts or 0)
        self.timeout_spin.setValue(edited.timeout_s or 0)

    def read(self, errors: list[str]) -> EditedOverrides:
        """The fields' values; what is wrong is appended to `errors` in words a person can act on."""
        command = parse_command(self.command_edit.text(), errors)
        environment = parse_pairs(self.environment_edit.toPlainText(), "Environment", errors)
        vcpus = self.vcpu_edit.text().strip()
        if vcpus:
            try:
                if float(vcpus) <= 0:
                    raise ValueError
            except ValueError:
                errors.append("vCPU: a positive number, e.g. 0.25, 1 or 4.")
        timeout = self.timeout_spin.value()
        if timeout and timeout < MIN_TIMEOUT_S:
            errors.append(f"Timeout: at least {MIN_TIMEOUT_S} seconds (AWS Batch's minimum).")
        return EditedOverrides(
            tuple(command),
            tuple(environment.items()),
            vcpus,
            self.memory_spin.value() or None,
            self.retries_spin.value() or None,
            timeout or None,
        )


def _pair(*labelled: tuple[str, QWidget]) -> QHBoxLayout:
    row = QHBoxLayout()
    for label, widget in labelled:
        row.addWidget(QLabel(label))
        row.addWidget(widget, 1)
    return row
