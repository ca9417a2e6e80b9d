"""Register a job definition (or a new revision) from a form or from JSON, validated against botocore's
input shape and Fargate's rules before anything is sent; and a side-by-side diff of two revisions."""

from __future__ import annotations

import difflib
import json
from collections.abc import Awaitable, Callable, Sequence
from html import escape

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.batch import JobDefinition
from batchgui.domain.definition_request import JSON_LINE, LOG_DRIVERS, DefinitionFields, JobDefinitionRequest
from batchgui.domain.fargate import VALID_VCPUS, Problem, describe_memory_range
from batchgui.domain.job_requests import MAX_ATTEMPTS, MAX_TIMEOUT_S
from batchgui.ui.widgets.forms import ApplyDialog, add_rows, labelled_row, spin_box
from batchgui.ui.widgets.json_editor import JsonEditor
from batchgui.ui.widgets.panel import monospace_font

RegisterFn = Callable[[JobDefinitionRequest], Awaitable[object]]
# What RegisterJobDefinition would refuse in a request (InventoryService.job_definition_problems).
CheckFn = Callable[[JobDefinitionRequest], list[Problem]]


def parse_request(text: str) -> tuple[JobDefinitionRequest | None, list[Problem]]:
    """The JSON text as a request, or the parse problem with its line and column."""
    return JobDefinitionRequest.from_json(text)


class DefinitionForm(QWidget):
    """The common fields; everything else in the request is kept as it is in the JSON."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setObjectName("definitionName")
        self.platform = QComboBox()
        self.platform.addItems(["FARGATE", "EC2"])
        self.image = QLineEdit()
        # Several lines, so a long command is read whole; line breaks are spaces (shell-style quoting).
        self.command = QPlainTextEdit()
        self.command.setObjectName("definitionCommand")
        self.command.setPlaceholderText("e.g. python3 process.py Ref::input   (shell-style quoting)")
        self.command.setTabChangesFocus(True)
        self.command.setFixedHeight(self.command.fontMetrics().lineSpacing() * 3 + 14)
        self.vcpus = QDoubleSpinBox()
        self.vcpus.setRange(0.25, 192)
        self.vcpus.setSingleStep(0.25)
        self.memory = spin_box(4, 2_000_000, suffix=" MiB")
        self.memory.setSingleStep(512)
        self.gpus = spin_box(0, 16)
        self.fargate_hint = QLabel()
        self.fargate_hint.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.execution_role = QComboBox()
        self.execution_role.setEditable(True)
        self.job_role = QComboBox()
        self.job_role.setEditable(True)
        self.public_ip = QCheckBox("Assign a public IP (needed to pull images without a NAT gateway)")
        self.timeout = spin_box(0, MAX_TIMEOUT_S, suffix=" s", special="none")
        self.attempts = spin_box(0, MAX_ATTEMPTS, special="no retries (1 attempt)")
        self.log_driver = QComboBox()
        self.log_driver.addItem("")
        self.log_driver.addItems(LOG_DRIVERS)
        self.environment = QPlainTextEdit()
        self.environment.setPlaceholderText("NAME=value, one per line")
        self.consumables = QPlainTextEdit()
        self.consumables.setPlaceholderText("resource=quantity, one per line (e.g. licence=1)")
        self.consumables.setToolTip(
            "Consumable resources each job needs (resource-aware scheduling): a job waits RUNNABLE "
            "until this much of each is free, and holds it while it runs"
        )
        self.consumables.setMaximumHeight(self.consumables.fontMetrics().lineSpacing() * 4)
        form = QFormLayout(self)
        add_rows(
            form,
            [
                ("Name:", self.name),
                ("Platform:", self.platform),
                ("Image:", self.image),
                ("Command:", self.command),
            ],
        )
        resources = labelled_row([("vCPU", self.vcpus), ("Memory", self.memory), ("GPU", self.gpus)])
        add_rows(
            form,
            [
                ("Resources:", resources),
                ("", self.fargate_hint),
                ("Execution role:", self.execution_role),
                ("Job role:", self.job_role),
                ("", self.public_ip),
                ("Timeout:", self.timeout),
                ("Retry attempts:", self.attempts),
                ("Log driver:", self.log_driver),
                ("Environment:", self.environment),
                ("Consumable resources:", self.consumables),
            ],
        )
        self.platform.currentTextChanged.connect(self._update_hint)
        self.vcpus.valueChanged.connect(self._update_hint)
        self._update_hint()

    def set_roles(self, roles: Sequence[str]) -> None:
        for combo in (self.execution_role, self.job_role):
            current = combo.currentText()
            combo.clear()
            combo.addItem("")
            combo.addItems(list(roles))
            combo.setCurrentText(current)

    def _update_hint(self, *_args: object) -> None:
        fargate = self.platform.currentText() == "FARGATE"
        self.gpus.setEnabled(not fargate)
        self.public_ip.setEnabled(fargate)
        if fargate and self.vcpus.value() in VALID_VCPUS:
            self.fargate_hint.setText(
                f"Fargate memory for {self.vcpus.value():g} vCPU: {describe_memory_range(self.vcpus.value())}"
            )
        elif fargate:
            self.fargate_hint.setText("Fargate vCPU: " + ", ".join(f"{v:g}" for v in VALID_VCPUS))
        else:
            self.fargate_hint.setText("")

    def load(self, fields: DefinitionFields) -> None:
        self.name.setText(fields.name)
        self.platform.setCurrentText("FARGATE" if fields.fargate else "EC2")
        self.image.setText(fields.image)
        self.command.setPlainText(fields.command)
        if fields.vcpus is not None and fields.memory_mib is not None:
            self.vcpus.setValue(fields.vcpus)
            self.memory.setValue(fields.memory_mib)
        self.gpus.setValue(fields.gpus)
        self.execution_role.setCurrentText(fields.execution_role)
        self.job_role.setCurrentText(fields.job_role)
        self.public_ip.setChecked(fields.public_ip)
        self.timeout.setValue(fields.timeout_s)
        self.attempts.setValue(fields.attempts)
        self.log_driver.setCurrentText(fields.log_driver)
        self.environment.setPlainText(fields.environment)
        self.consumables.setPlainText(fields.consumables)

    def fields(self) -> DefinitionFields:
        return DefinitionFields(
            name=self.name.text(),
            fargate=self.platform.currentText() == "FARGATE",
            image=self.image.text(),
            command=self.command.toPlainText(),
            vcpus=self.vcpus.value(),
            memory_mib=self.memory.value(),
            gpus=self.gpus.value(),
            execution_role=self.execution_role.currentText(),
            job_role=self.job_role.currentText(),
            public_ip=self.public_ip.isChecked(),
            timeout_s=self.timeout.value(),
            attempts=self.attempts.value(),
            log_driver=self.log_driver.currentText(),
            environment=self.environment.toPlainText(),
            consumables=self.consumables.toPlainText(),
        )


class JobDefinitionDialog(ApplyDialog):
    """Form and JSON tabs over one request; Register validates it, then sends RegisterJobDefinition."""

    FORM_TAB = 0
    JSON_TAB = 1

    def __init__(
        self,
        request: JobDefinitionRequest,
        register: RegisterFn,
        check: CheckFn,
        *,
        roles: Sequence[str] = (),
        title: str = "Register job definition",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, "Register", parent)
        self.setObjectName("jobDefinitionDialog")
        self.resize(760, 680)
        self._register = register
        self._check = check
        # The request as last written in either tab: fields the form does not show are kept from it.
        self._base = request
        self.form = DefinitionForm()
        self.form.set_roles(roles)
        self.form.load(request.fields())
        self.editor = JsonEditor()
        self.editor.setPlainText(request.to_json())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.form, "Form")
        self.tabs.addTab(self.editor, "JSON")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.body.addWidget(self.tabs, 1)
        self.problems.path_activated.connect(self.show_path)
        self._current_tab = self.FORM_TAB

    def _tab_changed(self, index: int) -> None:
        if index == self.JSON_TAB and self._current_tab == self.FORM_TAB:
            self._base, _ = self._base.with_fields(self.form.fields())
            self.editor.setPlainText(self._base.to_json())
        elif index == self.FORM_TAB and self._current_tab == self.JSON_TAB:
            parsed, problems = JobDefinitionRequest.from_json(self.editor.toPlainText())
            if parsed is None:
                # Stay on the JSON until it parses: the form can't show half a document.
                self.problems.show_problems(problems)
                self.tabs.blockSignals(True)
                self.tabs.setCurrentIndex(self.JSON_TAB)
                self.tabs.blockSignals(False)
                self.show_path(problems[0].path)
                return
            self._base = parsed
            self.form.load(parsed.fields())
        self._current_tab = index

    def request(self) -> tuple[JobDefinitionRequest | None, list[Problem]]:
        """The request the shown tab describes, and the problems found while reading it."""
        if self.tabs.currentIndex() == self.JSON_TAB:
            return JobDefinitionRequest.from_json(self.editor.toPlainText())
        return self._base.with_fields(self.form.fields())

    def set_json(self, text: str) -> None:
        """Show the JSON tab with this text (as if typed or pasted)."""
        self.tabs.setCurrentIndex(self.JSON_TAB)
        self.editor.setPlainText(text)

    def validate(self) -> list[Problem | str]:
        request, problems = self.request()
        if request is not None:
            problems = problems + self._check(request)
        if problems and self.tabs.currentIndex() == self.JSON_TAB:
            self.show_path(problems[0].path)
        return list(problems)

    def show_path(self, path: str) -> None:
        if not path:
            return
        if self.tabs.currentIndex() != self.JSON_TAB:
            self.tabs.setCurrentIndex(self.JSON_TAB)
        if path.startswith(JSON_LINE):
            line, _, column = path.removeprefix(JSON_LINE).partition(":")
            self.editor.go_to(int(line), int(column or 1))
        else:
            self.editor.go_to_path(path)

    async def apply(self) -> None:
        request, problems = self.request()
        if request is None or problems:
            raise ValueError("the request changed while it was being sent")
        await self._register(request)


def side_by_side_html(left: str, right: str) -> tuple[str, str, int]:
    """Two aligned HTML columns of `left` and `right` lines with changes coloured; and the change count."""
    a, b = left.splitlines(), right.splitlines()
    left_rows: list[str] = []
    right_rows: list[str] = []
    changes = 0

    def row(text: str | None, colour: str) -> str:
        shown = "&nbsp;" if text is None else escape(text).replace(" ", "&nbsp;")
        # Dark text on the light change colours, so changed lines read in the dark theme too.
        style = f" style='background:{colour}; color:#1f2328'" if colour else ""
        return f"<div{style}>{shown or '&nbsp;'}</div>"

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            left_rows.extend(row(x, "") for x in a[i1:i2])
            right_rows.extend(row(x, "") for x in b[j1:j2])
            continue
        changes += 1
        old, new = a[i1:i2], b[j1:j2]
        for n in range(max(len(old), len(new))):
            left_rows.append(row(old[n], "#ffd7d5") if n < len(old) else row(None, "#eeeeee"))
            right_rows.append(row(new[n], "#ccffd8") if n < len(new) else row(None, "#eeeeee"))
    wrap = "<div style='font-family:monospace; white-space:pre'>{}</div>"
    return wrap.format("".join(left_rows)), wrap.format("".join(right_rows)), changes


def comparable_json(definition: JobDefinition) -> str:
    """The definition as sorted JSON without the fields that always differ between revisions."""
    data = {k: v for k, v in definition.raw.items() if k not in ("jobDefinitionArn", "revision")}
    return json.dumps(data, indent=2, sort_keys=True, default=str)


class RevisionDiffDialog(QDialog):
    """Two definitions side by side (two revisions of one, or two different definitions); removed
    lines red on the left, added lines green on the right. `left` and `right` are `name:revision`."""

    def __init__(
        self, definitions: Sequence[JobDefinition], left: str, right: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("revisionDiffDialog")
        names = sorted({d.name for d in definitions})
        if len(names) == 1:
            self.setWindowTitle(f"Compare revisions of {names[0]}")
        else:
            self.setWindowTitle("Compare " + " and ".join(names) if names else "Compare revisions")
        self.resize(1000, 640)
        self.revisions = list(definitions)
        self.left_combo = QComboBox()
        self.right_combo = QComboBox()
        for combo in (self.left_combo, self.right_combo):
            for d in self.revisions:
                combo.addItem(f"{d.name_revision}  ({d.status})", d.name_revision)
        self.left_combo.setCurrentIndex(max(0, self.left_combo.findData(left)))
        self.right_combo.setCurrentIndex(max(0, self.right_combo.findData(right)))
        self.left_view = QTextBrowser()
        self.right_view = QTextBrowser()
        for view in (self.left_view, self.right_view):
            view.setFont(monospace_font())
            view.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        # Scroll both sides together.
        self.left_view.verticalScrollBar().valueChanged.connect(self.right_view.verticalScrollBar().setValue)
        self.right_view.verticalScrollBar().valueChanged.connect(self.left_view.verticalScrollBar().setValue)
        self.summary = QLabel()
        self.summary.setObjectName("diffSummary")
        pickers = QHBoxLayout()
        pickers.addWidget(self.left_combo, 1)
        pickers.addWidget(self.right_combo, 1)
        views = QHBoxLayout()
        views.addWidget(self.left_view)
        views.addWidget(self.right_view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addLayout(views, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.left_combo.currentIndexChanged.connect(self.update_diff)
        self.right_combo.currentIndexChanged.connect(self.update_diff)
        self.update_diff()

    def _revision(self, combo: QComboBox) -> JobDefinition | None:
        wanted = combo.currentData()
        return next((d for d in self.revisions if d.name_revision == wanted), None)

    def update_diff(self) -> None:
        left, right = self._revision(self.left_combo), self._revision(self.right_combo)
        if left is None or right is None:
            return
        left_html, right_html, changes = side_by_side_html(comparable_json(left), comparable_json(right))
        self.left_view.setHtml(left_html)
        self.right_view.setHtml(right_html)
        self.changes = changes
        between = (
            f"revision {left.revision} and {right.revision}"
            if left.name == right.name
            else f"{left.name_revision} and {right.name_revision}"
        )
        self.summary.setText(
            "No differences." if changes == 0 else f"{changes} changed block(s) between {between}."
        )
