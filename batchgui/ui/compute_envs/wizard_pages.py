"""The pages of the compute-environment wizard, and the subnet/security-group picker it shares with
the edit dialog. Pages show and collect; the rules are the request's (domain.inventory_requests), and
the wizard says which of its problems each page shows."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWizardPage,
)

from batchgui.domain.advisor import Advice, WorkloadAnswers, advise
from batchgui.domain.fargate import Problem
from batchgui.domain.inventory_requests import (
    ALLOCATION_STRATEGIES,
    DEFAULT_ALLOCATION,
    PLATFORMS,
    ComputeEnvironmentRequest,
    split_ids,
)
from batchgui.domain.network import NetworkChoices, Role, SecurityGroup, Subnet
from batchgui.ui.widgets.forms import ProblemList, add_rows, error_style, spin_box
from batchgui.ui.widgets.panel import monospace_font

LOADING = "Loading…"
MAX_VCPUS = 100_000
NONE_LISTED = "None listed: type the IDs below."
NOTE_STYLE = "color: #8a6d00;"
SETTINGS_FIELDS = ("computeEnvironmentName", "computeResources.type", "computeResources.maxvCpus")
NETWORK_FIELDS = ("computeResources.subnets", "computeResources.securityGroupIds")
# The wizard's request problems whose paths start with one of `fields` (and none of `exclude`).
ProblemsOf = Callable[[Sequence[str], Sequence[str]], list[Problem]]


def subnet_entries(subnets: Sequence[Subnet]) -> list[tuple[str, str]]:
    entries = []
    for subnet in subnets:
        label = f"{subnet.subnet_id}  {subnet.availability_zone}  {subnet.cidr}  {subnet.name}".rstrip()
        entries.append((subnet.subnet_id, f"{label}  ({subnet.vpc_id})"))
    return entries


def group_entries(groups: Sequence[SecurityGroup]) -> list[tuple[str, str]]:
    return [(g.group_id, f"{g.group_id}  {g.name}  ({g.vpc_id})") for g in groups]


def _editable_combo(tooltip: str, placeholder: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setToolTip(tooltip)
    line = combo.lineEdit()
    if line is not None and placeholder:
        line.setPlaceholderText(placeholder)
    return combo


def _fill_combo(combo: QComboBox, first: str, items: Sequence[str]) -> None:
    """Offer `first` then `items`, keeping what is typed."""
    typed = combo.currentText()
    combo.clear()
    combo.addItem(first)
    combo.addItems([i for i in items if i != first])
    combo.setCurrentText(typed)


class IdChecklist(QListWidget):
    """IDs to tick (subnets, security groups). Says "Loading…" until filled; filling keeps what is
    ticked, and a ticked ID the account did not list stays in the list."""

    def __init__(self, object_name: str, checked: Sequence[str] = (), loading: bool = False) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setMinimumHeight(90)
        self.loading = False
        self.fill([], checked)
        if loading:
            self.set_loading()

    def set_loading(self) -> None:
        self.loading = True
        self._note(LOADING)

    def _note(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setForeground(QColor("#777777"))
        self.addItem(item)

    def fill(self, entries: Sequence[tuple[str, str]], checked: Sequence[str] = (), empty: str = "") -> None:
        """Show `entries` (id, label); tick `checked` and whatever was ticked before."""
        keep = list(dict.fromkeys([*self.checked_ids(), *checked]))
        self.loading = False
        self.clear()
        listed = set()
        for value, label in entries:
            listed.add(value)
            self._add(value, label, value in keep)
        for value in keep:
            if value not in listed:
                self._add(value, value, True)
        if not self.count() and empty:
            self._note(empty)

    def _add(self, value: str, label: str, checked: bool) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, value)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.addItem(item)

    def checked_ids(self) -> list[str]:
        items = [self.item(i) for i in range(self.count())]
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in items
            if item.data(Qt.ItemDataRole.UserRole) is not None and item.checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, values: Sequence[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            value = item.data(Qt.ItemDataRole.UserRole)
            if value is not None:
                item.setCheckState(Qt.CheckState.Checked if value in values else Qt.CheckState.Unchecked)


class NetworkPicker:
    """Subnets and security groups: checklists of what the account lists, and fields for other IDs."""

    def __init__(
        self,
        prefix: str,
        subnets: Sequence[str] = (),
        groups: Sequence[str] = (),
        loading: bool = False,
    ) -> None:
        self.subnets = IdChecklist(f"{prefix}Subnets", subnets, loading=loading)
        self.security_groups = IdChecklist(f"{prefix}SecurityGroups", groups, loading=loading)
        self.extra_subnets = QLineEdit()
        self.extra_subnets.setPlaceholderText("other subnet IDs, comma-separated")
        self.extra_groups = QLineEdit()
        self.extra_groups.setPlaceholderText("other security group IDs, comma-separated")
        self.note = QLabel()
        self.note.setObjectName(f"{prefix}ChoicesNote")
        self.note.setWordWrap(True)
        self.note.hide()

    def add_rows(self, form: QFormLayout) -> None:
        add_rows(
            form,
            [
                ("Subnets:", self.subnets),
                ("", self.extra_subnets),
                ("Security groups:", self.security_groups),
                ("", self.extra_groups),
                ("", self.note),
            ],
        )

    def connect(self, changed: Callable[..., None]) -> None:
        for line in (self.extra_subnets, self.extra_groups):
            line.textChanged.connect(changed)
        for checklist in (self.subnets, self.security_groups):
            checklist.itemChanged.connect(changed)

    def set_choices(self, choices: NetworkChoices) -> None:
        """Fill both checklists, keeping what is ticked; say what could not be listed."""
        self.subnets.fill(subnet_entries(choices.subnets), empty=NONE_LISTED)
        self.security_groups.fill(group_entries(choices.security_groups), empty=NONE_LISTED)
        self.note.setText(choices.note)
        self.note.setStyleSheet(NOTE_STYLE if choices.note else "")
        self.note.setVisible(bool(choices.note))

    def subnet_ids(self) -> list[str]:
        return list(dict.fromkeys(self.subnets.checked_ids() + split_ids(self.extra_subnets.text())))

    def group_ids(self) -> list[str]:
        return list(dict.fromkeys(self.security_groups.checked_ids() + split_ids(self.extra_groups.text())))


class NetworkFields:
    """A form's subnet and security-group fields, from its NetworkPicker."""

    def use_network(self, network: NetworkPicker) -> None:
        self.network = network
        self.subnets, self.security_groups = network.subnets, network.security_groups
        self.extra_subnets, self.extra_groups = network.extra_subnets, network.extra_groups
        self.note = network.note

    def subnet_ids(self) -> list[str]:
        return self.network.subnet_ids()

    def group_ids(self) -> list[str]:
        return self.network.group_ids()


class CheckedPage(QWizardPage):
    """A page whose Next checks its part of the wizard's request and lists what is wrong."""

    def __init__(self, title: str, subtitle: str, problems_of: ProblemsOf) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._problems_of = problems_of
        self.problems = ProblemList()


class AdvisorPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("What will run here?")
        self.setSubTitle("A few questions about the jobs; the wizard proposes Fargate or EC2 and says why.")
        self.gpu = QCheckBox("The jobs need GPUs")
        self.vcpus = QDoubleSpinBox()
        self.vcpus.setRange(0.25, 192)
        self.vcpus.setSingleStep(1)
        self.vcpus.setValue(1)
        self.vcpus.setSuffix(" vCPU")
        self.memory = QDoubleSpinBox()
        self.memory.setRange(0.5, 24576)
        self.memory.setValue(2)
        self.memory.setSuffix(" GiB")
        self.fast_start = QCheckBox("Jobs must start quickly (under ~30 s) when nothing is running")
        self.fast_start.setChecked(True)
        self.custom_ami = QCheckBox("A custom AMI or launch template is needed")
        self.efa = QCheckBox("Elastic Fabric Adapter (tightly coupled HPC)")
        self.linux = QCheckBox("linuxParameters: devices, swap, shared memory or tmpfs")
        self.instance_types = QCheckBox("Specific instance types are required")
        self.concurrency = spin_box(1, 1_000_000, 10, " jobs at once")
        self.spot = QCheckBox("Jobs can be interrupted and retried (Spot: much cheaper)")
        checks = (self.fast_start, self.custom_ami, self.efa, self.linux, self.instance_types, self.spot)
        form = QFormLayout()
        form.addRow(self.gpu)
        add_rows(
            form,
            [
                ("Largest job, CPU:", self.vcpus),
                ("Largest job, memory:", self.memory),
                ("Peak concurrency:", self.concurrency),
            ],
        )
        for box in checks:
            form.addRow(box)
        self.advice_label = QLabel()
        self.advice_label.setObjectName("adviceLabel")
        self.advice_label.setWordWrap(True)
        self.advice_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.advice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        group = QGroupBox("Recommendation")
        inner = QVBoxLayout(group)
        inner.addWidget(self.advice_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(group, 1)
        for check in (self.gpu, *checks):
            check.toggled.connect(self.update_advice)
        for spin in (self.vcpus, self.memory, self.concurrency):
            spin.valueChanged.connect(self.update_advice)
        self.advice = advise(WorkloadAnswers())
        self.update_advice()

    def answers(self) -> WorkloadAnswers:
        return WorkloadAnswers(
            needs_gpu=self.gpu.isChecked(),
            max_vcpus_per_job=self.vcpus.value(),
            max_memory_gib_per_job=self.memory.value(),
            needs_fast_start=self.fast_start.isChecked(),
            custom_ami=self.custom_ami.isChecked(),
            needs_efa=self.efa.isChecked(),
            linux_parameters=self.linux.isChecked(),
            specific_instance_types=self.instance_types.isChecked(),
            concurrent_jobs=self.concurrency.value(),
            interruptible=self.spot.isChecked(),
        )

    def update_advice(self) -> None:
        self.advice = advise(self.answers())
        self.advice_label.setText(self.advice.text())


class SettingsPage(NetworkFields, CheckedPage):
    def __init__(self, choices: NetworkChoices, problems_of: ProblemsOf) -> None:
        super().__init__(
            "Environment", "Name it, pick the platform, and the network its jobs run in.", problems_of
        )
        self.name = QLineEdit()
        self.name.setObjectName("ceName")
        self.name.setPlaceholderText("e.g. fargate-main")
        self.platform = QComboBox()
        self.platform.addItems(PLATFORMS)
        self.platform_note = QLabel()
        self.platform_note.setWordWrap(True)
        self.enabled = QCheckBox("Enabled (accepts jobs as soon as it is VALID)")
        self.enabled.setChecked(True)
        self.max_vcpus = spin_box(1, MAX_VCPUS, 16)
        linked = "the AWSServiceRoleForBatch service-linked role (recommended)"
        self.service_role = _editable_combo(f"Empty: {linked}", f"empty: {linked}")
        self.service_role.addItem("")
        self.use_network(NetworkPicker("ce", loading=choices.loading))
        form = QFormLayout(self)
        add_rows(
            form,
            [
                ("Name:", self.name),
                ("Platform:", self.platform),
                ("", self.platform_note),
                ("", self.enabled),
                ("Max vCPUs:", self.max_vcpus),
                ("Service role:", self.service_role),
            ],
        )
        self.network.add_rows(form)
        form.addRow(self.problems)
        self.advice: Advice | None = None
        self.platform.currentTextChanged.connect(self._platform_changed)
        # Problems are shown from the first Next on, and then follow the edits.
        self.tried = False
        self.name.textChanged.connect(self._recheck)
        self.platform.currentTextChanged.connect(self._recheck)
        self.network.connect(self._recheck)
        if not choices.loading:
            self.set_choices(choices)

    def set_choices(self, choices: NetworkChoices) -> None:
        _fill_combo(self.service_role, "", [r.arn for r in choices.roles])
        self.network.set_choices(choices)

    def problems_here(self) -> list[Problem]:
        return self._problems_of(SETTINGS_FIELDS + NETWORK_FIELDS, ())

    def validatePage(self) -> bool:
        self.tried = True
        problems = self.problems_here()
        self.problems.show_problems(problems)
        return not problems

    def _recheck(self, *_args: object) -> None:
        if self.tried:
            self.problems.show_problems(self.problems_here())

    def propose(self, advice: Advice) -> None:
        self.advice = advice
        self.platform.setCurrentText(advice.platform)
        self._platform_changed(advice.platform)

    def _platform_changed(self, platform: str) -> None:
        if self.advice is None or platform == self.advice.platform:
            self.platform_note.setText("As recommended." if self.advice else "")
            self.platform_note.setStyleSheet("")
            return
        why = self.advice.reasons[0] if self.advice.reasons else ""
        self.platform_note.setText(f"The recommendation was {self.advice.platform}: {why}")
        self.platform_note.setStyleSheet(NOTE_STYLE)

    def is_fargate(self) -> bool:
        return self.platform.currentText().startswith("FARGATE")


class Ec2Page(CheckedPage):
    def __init__(self, choices: NetworkChoices, problems_of: ProblemsOf) -> None:
        super().__init__(
            "EC2 instances", "Batch launches instances of these types between min and max vCPUs.", problems_of
        )
        self.instance_types = QLineEdit("optimal")
        self.instance_types.setObjectName("ceInstanceTypes")
        self.instance_types.setToolTip(
            "Types (m5.large) or families (c6i), comma-separated; 'optimal' lets Batch pick"
        )
        self.min_vcpus = spin_box(0, MAX_VCPUS)
        self.desired_vcpus = spin_box(0, MAX_VCPUS)
        self.instance_role = _editable_combo(
            "An instance profile name or ARN with the AmazonEC2ContainerServiceforEC2Role policy"
        )
        self.set_roles(choices.roles)
        self.allocation = QComboBox()
        self.allocation.addItems(ALLOCATION_STRATEGIES)
        self.bid = spin_box(
            0,
            100,
            100,
            " % of On-Demand",
            "Spot only: the most to pay, as a percentage of the On-Demand price",
        )
        form = QFormLayout(self)
        for label, widget in (
            ("Instance types:", self.instance_types),
            ("Min vCPUs:", self.min_vcpus),
            ("Desired vCPUs:", self.desired_vcpus),
            ("Instance role:", self.instance_role),
            ("Allocation strategy:", self.allocation),
            ("Spot bid:", self.bid),
        ):
            form.addRow(label, widget)
        form.addRow(self.problems)

    def set_roles(self, roles: Sequence[Role]) -> None:
        if not self.instance_role.currentText():
            self.instance_role.setCurrentText("ecsInstanceRole")
        _fill_combo(self.instance_role, "ecsInstanceRole", [r.name for r in roles])

    def set_platform(self, platform: str) -> None:
        """Spot takes a bid and prefers the Spot allocation strategies."""
        spot = platform == "SPOT"
        self.bid.setEnabled(spot)
        self.allocation.setCurrentText("SPOT_PRICE_CAPACITY_OPTIMIZED" if spot else DEFAULT_ALLOCATION)

    def validatePage(self) -> bool:
        problems = self._problems_of(("computeResources.",), SETTINGS_FIELDS + NETWORK_FIELDS)
        self.problems.show_problems(problems)
        return not problems


class ReviewPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Review")
        self.setSubTitle("This is the request that Create sends. Problems are listed below it.")
        self.request_view = QPlainTextEdit()
        self.request_view.setObjectName("ceRequest")
        self.request_view.setReadOnly(True)
        self.request_view.setFont(monospace_font())
        self.problems = ProblemList()
        self.status = QLabel()
        self.status.setObjectName("dialogStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.request_view, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.status)

    def show_request(self, request: ComputeEnvironmentRequest) -> None:
        self.request_view.setPlainText(json.dumps(request.to_api(), indent=2))
        self.problems.show_problems(request.problems())
        self.status.clear()

    def set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(error_style(self.status, error))
