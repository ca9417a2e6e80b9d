"""The wizard's jobs step: queue and definition (one platform; the last pair used is proposed),
how the rows are split, parameters and overrides; the plan is checked as it changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.batch import JobDefinition, JobQueue
from batchgui.domain.csv_plan import (
    AUTO_PARAMETERS,
    Overrides,
    Plan,
    PlanInput,
    QueueInfo,
    SplitMode,
    definition_info,
    make_plan,
)
from batchgui.domain.errors import BatchGuiError
from batchgui.ui.csv_wizard.common import ERROR_STYLE, OK_STYLE, WARN_STYLE, WizardPage
from batchgui.ui.jobs.overrides_form import split_pairs as _parse_pairs
from batchgui.ui.jobs.submit_dialog import FAMILY_LABEL, Platforms, definition_family, mark_mismatches

if TYPE_CHECKING:
    from batchgui.ui.csv_wizard.wizard import CsvWizard


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
        if self.s.path is not None and not self.job_name.text():
            self.job_name.setText(self.s.path.stem)
        if not self.queues:
            self.w.services.tasks.spawn(self._load(), "List queues and job definitions")
        self.replan()

    async def _load(self) -> None:
        submissions = self.w.submissions
        if not submissions.connected:
            self.say("Not connected.", ERROR_STYLE)
            return
        try:
            choices = await submissions.choices()
            self.s.remembered = await submissions.last_choice()
        except BatchGuiError as error:
            self.say(f"Cannot list queues and job definitions: {error.message()}", ERROR_STYLE)
            return
        queues, environments, definitions = choices.queues, choices.environments, choices.definitions
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
        remembered = self.s.remembered
        if (
            remembered is not None
            and self.queue.findData(remembered[0]) >= 0
            and self.definition.findData(remembered[1]) >= 0
        ):
            queue, definition = remembered  # the pair last submitted to on this connection
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
        columns = self.s.check.inspection.column_names if self.s.check else []
        auto = set(AUTO_PARAMETERS)
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
            self.s.check,
            self.s.target,
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
            submission_id=self.s.submission_id,
            mode=mode,
            rows_per_child=self.rows_per_child.value(),
            several_arrays=self.several.isChecked(),
            column_map=column_map if mode is SplitMode.PER_ROW else {},
            parameters=values,
            overrides=self._overrides(),
            empty_counts={c: inspection.empty_in(c).empty for c in column_map.values()},
        )
        self.plan = make_plan(spec)
        self.s.plan = None  # decided when the person goes on
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
        self.s.plan = self.plan
        return self.isComplete()
