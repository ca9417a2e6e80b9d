"""The compute-environment wizard: a few questions, a Fargate-or-EC2 proposal with its reasons, then
the fields that platform needs, validated before CreateComputeEnvironment is sent.

And the edit dialog for an existing environment (state, vCPUs, service role).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

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
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from batchgui.aws.ec2 import SecurityGroup, Subnet
from batchgui.aws.iam import Role
from batchgui.domain.advisor import Advice, WorkloadAnswers, advise
from batchgui.domain.batch import ComputeEnvironment
from batchgui.domain.fargate import Problem
from batchgui.ui.widgets.forms import ApplyDialog, ProblemList, error_text, wait_finished
from batchgui.ui.widgets.panel import monospace_font

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
PLATFORMS = ("FARGATE", "FARGATE_SPOT", "EC2", "SPOT")
ALLOCATION_STRATEGIES = (
    "BEST_FIT_PROGRESSIVE",
    "BEST_FIT",
    "SPOT_CAPACITY_OPTIMIZED",
    "SPOT_PRICE_CAPACITY_OPTIMIZED",
)
INSTANCE_TYPE = re.compile(r"^(optimal|default_x86_64|default_arm64|[a-z][a-z0-9-]*(\.[a-z0-9]+)?)$")


LOADING = "Loading…"
SETTINGS_FIELDS = ("computeEnvironmentName", "computeResources.type", "computeResources.maxvCpus")
NETWORK_FIELDS = ("computeResources.subnets", "computeResources.securityGroupIds")


@dataclass(frozen=True)
class NetworkChoices:
    """What the wizard offers to pick from (read from EC2 and IAM while it is open)."""

    subnets: Sequence[Subnet] = ()
    security_groups: Sequence[SecurityGroup] = ()
    roles: Sequence[Role] = ()
    note: str = ""
    loading: bool = False


class ChoicesTarget(Protocol):
    """A form whose subnet, security-group and role lists are filled once they have been read."""

    def set_choices(self, choices: NetworkChoices) -> None: ...


def subnet_entries(subnets: Sequence[Subnet]) -> list[tuple[str, str]]:
    entries = []
    for subnet in subnets:
        label = f"{subnet.subnet_id}  {subnet.availability_zone}  {subnet.cidr}  {subnet.name}".rstrip()
        entries.append((subnet.subnet_id, f"{label}  ({subnet.vpc_id})"))
    return entries


def group_entries(groups: Sequence[SecurityGroup]) -> list[tuple[str, str]]:
    return [(g.group_id, f"{g.group_id}  {g.name}  ({g.vpc_id})") for g in groups]


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
        return _checked(self)

    def set_checked(self, values: Sequence[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            value = item.data(Qt.ItemDataRole.UserRole)
            if value is not None:
                item.setCheckState(Qt.CheckState.Checked if value in values else Qt.CheckState.Unchecked)


def compute_environment_problems(request: dict[str, Any]) -> list[Problem]:
    """What AWS would refuse in a CreateComputeEnvironment request, said before sending it."""
    problems: list[Problem] = []
    name = str(request.get("computeEnvironmentName", ""))
    if not NAME.match(name):
        problems.append(
            Problem(
                "computeEnvironmentName", "1-128 letters, digits, - and _, starting with a letter or digit"
            )
        )
    resources: dict[str, Any] = request.get("computeResources") or {}
    platform = resources.get("type")
    base = "computeResources"
    if platform not in PLATFORMS:
        problems.append(Problem(f"{base}.type", f"must be one of {', '.join(PLATFORMS)}"))
        return problems
    max_v = int(resources.get("maxvCpus", 0))
    if max_v < 1:
        problems.append(Problem(f"{base}.maxvCpus", "must be at least 1"))
    if not resources.get("subnets"):
        problems.append(Problem(f"{base}.subnets", "pick at least one subnet (jobs run in these subnets)"))
    if platform in ("FARGATE", "FARGATE_SPOT") and not resources.get("securityGroupIds"):
        problems.append(Problem(f"{base}.securityGroupIds", "Fargate needs at least one security group"))
    if platform in ("EC2", "SPOT"):
        types = list(resources.get("instanceTypes") or [])
        if not types:
            problems.append(
                Problem(f"{base}.instanceTypes", "name at least one instance type (or 'optimal')")
            )
        for position, item in enumerate(types):
            if not INSTANCE_TYPE.match(str(item)):
                problems.append(
                    Problem(
                        f"{base}.instanceTypes[{position}]", f"{item!r} is not an instance type or family"
                    )
                )
        min_v = int(resources.get("minvCpus", 0))
        desired = int(resources.get("desiredvCpus", min_v))
        if not 0 <= min_v <= max_v:
            problems.append(Problem(f"{base}.minvCpus", "must be between 0 and maxvCpus"))
        if not min_v <= desired <= max_v:
            problems.append(Problem(f"{base}.desiredvCpus", "must be between minvCpus and maxvCpus"))
        if not resources.get("instanceRole"):
            problems.append(
                Problem(f"{base}.instanceRole", "EC2 needs an instance profile (e.g. ecsInstanceRole)")
            )
        strategy = resources.get("allocationStrategy", "BEST_FIT_PROGRESSIVE")
        if platform == "EC2" and strategy.startswith("SPOT_"):
            problems.append(Problem(f"{base}.allocationStrategy", f"{strategy} applies to SPOT only"))
        bid = resources.get("bidPercentage")
        if bid is not None and not 0 <= int(bid) <= 100:
            problems.append(Problem(f"{base}.bidPercentage", "must be between 0 and 100"))
    return problems


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _checked(widget: QListWidget) -> list[str]:
    return [
        str(widget.item(i).data(Qt.ItemDataRole.UserRole))
        for i in range(widget.count())
        if widget.item(i).data(Qt.ItemDataRole.UserRole) is not None
        and widget.item(i).checkState() == Qt.CheckState.Checked
    ]


def _page_problems(wizard: object, fields: Sequence[str], exclude: Sequence[str] = ()) -> list[Problem]:
    """The problems of the wizard's request whose paths start with one of `fields`."""
    if not isinstance(wizard, ComputeEnvironmentWizard):
        return []
    return [
        p
        for p in compute_environment_problems(wizard.request())
        if p.path.startswith(tuple(fields)) and not (exclude and p.path.startswith(tuple(exclude)))
    ]


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
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 1_000_000)
        self.concurrency.setValue(10)
        self.concurrency.setSuffix(" jobs at once")
        self.spot = QCheckBox("Jobs can be interrupted and retried (Spot: much cheaper)")
        form = QFormLayout()
        form.addRow(self.gpu)
        form.addRow("Largest job, CPU:", self.vcpus)
        form.addRow("Largest job, memory:", self.memory)
        form.addRow("Peak concurrency:", self.concurrency)
        for box in (self.fast_start, self.custom_ami, self.efa, self.linux, self.instance_types, self.spot):
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
        for check in (
            self.gpu,
            self.fast_start,
            self.custom_ami,
            self.efa,
            self.linux,
            self.instance_types,
            self.spot,
        ):
            check.toggled.connect(self.update_advice)
        self.vcpus.valueChanged.connect(self.update_advice)
        self.memory.valueChanged.connect(self.update_advice)
        self.concurrency.valueChanged.connect(self.update_advice)
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


class SettingsPage(QWizardPage):
    def __init__(self, choices: NetworkChoices) -> None:
        super().__init__()
        self.setTitle("Environment")
        self.setSubTitle("Name it, pick the platform, and the network its jobs run in.")
        self.name = QLineEdit()
        self.name.setObjectName("ceName")
        self.name.setPlaceholderText("e.g. fargate-main")
        self.platform = QComboBox()
        self.platform.addItems(PLATFORMS)
        self.platform_note = QLabel()
        self.platform_note.setWordWrap(True)
        self.enabled = QCheckBox("Enabled (accepts jobs as soon as it is VALID)")
        self.enabled.setChecked(True)
        self.max_vcpus = QSpinBox()
        self.max_vcpus.setRange(1, 100_000)
        self.max_vcpus.setValue(16)
        self.service_role = QComboBox()
        self.service_role.setEditable(True)
        self.service_role.addItem("")
        self.service_role.setToolTip("Empty: the AWSServiceRoleForBatch service-linked role (recommended)")
        line = self.service_role.lineEdit()
        if line is not None:
            line.setPlaceholderText("empty: the AWSServiceRoleForBatch service-linked role (recommended)")
        self.subnets = IdChecklist("ceSubnets", loading=choices.loading)
        self.security_groups = IdChecklist("ceSecurityGroups", loading=choices.loading)
        self.extra_subnets = QLineEdit()
        self.extra_subnets.setPlaceholderText("other subnet IDs, comma-separated")
        self.extra_groups = QLineEdit()
        self.extra_groups.setPlaceholderText("other security group IDs, comma-separated")
        self.note = QLabel()
        self.note.setObjectName("ceChoicesNote")
        self.note.setWordWrap(True)
        self.problems = ProblemList()
        form = QFormLayout(self)
        form.addRow("Name:", self.name)
        form.addRow("Platform:", self.platform)
        form.addRow("", self.platform_note)
        form.addRow("", self.enabled)
        form.addRow("Max vCPUs:", self.max_vcpus)
        form.addRow("Service role:", self.service_role)
        form.addRow("Subnets:", self.subnets)
        form.addRow("", self.extra_subnets)
        form.addRow("Security groups:", self.security_groups)
        form.addRow("", self.extra_groups)
        form.addRow("", self.note)
        form.addRow(self.problems)
        self.advice: Advice | None = None
        self.platform.currentTextChanged.connect(self._platform_changed)
        # Problems are shown from the first Next on, and then follow the edits.
        self.tried = False
        self.name.textChanged.connect(self._recheck)
        self.platform.currentTextChanged.connect(self._recheck)
        self.extra_subnets.textChanged.connect(self._recheck)
        self.extra_groups.textChanged.connect(self._recheck)
        self.subnets.itemChanged.connect(self._recheck)
        self.security_groups.itemChanged.connect(self._recheck)
        if not choices.loading:
            self.set_choices(choices)

    def set_choices(self, choices: NetworkChoices) -> None:
        typed = self.service_role.currentText()
        self.service_role.clear()
        self.service_role.addItem("")
        for role in choices.roles:
            self.service_role.addItem(role.arn)
        self.service_role.setCurrentText(typed)
        empty = "None listed: type the IDs below."
        self.subnets.fill(subnet_entries(choices.subnets), empty=empty)
        self.security_groups.fill(group_entries(choices.security_groups), empty=empty)
        self.note.setText(choices.note)
        self.note.setStyleSheet("color: #8a6d00;" if choices.note else "")

    def problems_here(self) -> list[Problem]:
        return _page_problems(self.wizard(), SETTINGS_FIELDS + NETWORK_FIELDS)

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
        self.platform_note.setStyleSheet("color: #8a6d00;")

    def is_fargate(self) -> bool:
        return self.platform.currentText().startswith("FARGATE")

    def subnet_ids(self) -> list[str]:
        extra = [s.strip() for s in self.extra_subnets.text().split(",") if s.strip()]
        return _checked(self.subnets) + extra

    def group_ids(self) -> list[str]:
        extra = [s.strip() for s in self.extra_groups.text().split(",") if s.strip()]
        return _checked(self.security_groups) + extra

    def nextId(self) -> int:
        wizard = self.wizard()
        if self.is_fargate() and isinstance(wizard, ComputeEnvironmentWizard):
            return wizard.review_id
        return super().nextId()


class Ec2Page(QWizardPage):
    def __init__(self, choices: NetworkChoices) -> None:
        super().__init__()
        self.setTitle("EC2 instances")
        self.setSubTitle("Batch launches instances of these types between min and max vCPUs.")
        self.instance_types = QLineEdit("optimal")
        self.instance_types.setObjectName("ceInstanceTypes")
        self.instance_types.setToolTip(
            "Types (m5.large) or families (c6i), comma-separated; 'optimal' lets Batch pick"
        )
        self.min_vcpus = QSpinBox()
        self.min_vcpus.setRange(0, 100_000)
        self.desired_vcpus = QSpinBox()
        self.desired_vcpus.setRange(0, 100_000)
        self.instance_role = QComboBox()
        self.instance_role.setEditable(True)
        self.set_roles(choices.roles)
        self.instance_role.setToolTip(
            "An instance profile name or ARN with the AmazonEC2ContainerServiceforEC2Role policy"
        )
        self.allocation = QComboBox()
        self.allocation.addItems(ALLOCATION_STRATEGIES)
        self.bid = QSpinBox()
        self.bid.setRange(0, 100)
        self.bid.setValue(100)
        self.bid.setSuffix(" % of On-Demand")
        self.bid.setToolTip("Spot only: the most to pay, as a percentage of the On-Demand price")
        form = QFormLayout(self)
        form.addRow("Instance types:", self.instance_types)
        form.addRow("Min vCPUs:", self.min_vcpus)
        form.addRow("Desired vCPUs:", self.desired_vcpus)
        form.addRow("Instance role:", self.instance_role)
        form.addRow("Allocation strategy:", self.allocation)
        form.addRow("Spot bid:", self.bid)
        self.problems = ProblemList()
        form.addRow(self.problems)

    def set_roles(self, roles: Sequence[Role]) -> None:
        typed = self.instance_role.currentText() or "ecsInstanceRole"
        self.instance_role.clear()
        self.instance_role.addItem("ecsInstanceRole")
        for role in roles:
            if role.name != "ecsInstanceRole":
                self.instance_role.addItem(role.name)
        self.instance_role.setCurrentText(typed)

    def validatePage(self) -> bool:
        problems = _page_problems(self.wizard(), ("computeResources.",), SETTINGS_FIELDS + NETWORK_FIELDS)
        self.problems.show_problems(problems)
        return not problems

    def initializePage(self) -> None:
        wizard = self.wizard()
        spot = (
            isinstance(wizard, ComputeEnvironmentWizard) and wizard.settings.platform.currentText() == "SPOT"
        )
        self.bid.setEnabled(spot)
        self.allocation.setCurrentText("SPOT_PRICE_CAPACITY_OPTIMIZED" if spot else "BEST_FIT_PROGRESSIVE")


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

    def initializePage(self) -> None:
        wizard = self.wizard()
        if isinstance(wizard, ComputeEnvironmentWizard):
            request = wizard.request()
            self.request_view.setPlainText(json.dumps(request, indent=2))
            self.problems.show_problems(compute_environment_problems(request))
            self.status.clear()


CreateFn = Callable[[dict[str, Any]], Awaitable[object]]


class ComputeEnvironmentWizard(QWizard):
    """Finish validates and sends CreateComputeEnvironment; AWS's refusal is shown on the last page."""

    def __init__(self, choices: NetworkChoices, create: CreateFn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("computeEnvironmentWizard")
        self.setWindowTitle("Create compute environment")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(720, 620)
        self._create = create
        self.advisor = AdvisorPage()
        self.settings = SettingsPage(choices)
        self.ec2 = Ec2Page(choices)
        self.review = ReviewPage()
        self.advisor_id = self.addPage(self.advisor)
        self.settings_id = self.addPage(self.settings)
        self.ec2_id = self.addPage(self.ec2)
        self.review_id = self.addPage(self.review)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create")
        self.currentIdChanged.connect(self._page_changed)
        self.apply_task: asyncio.Task[None] | None = None
        self.sent = 0
        self.choices_loaded = not choices.loading

    def set_choices(self, choices: NetworkChoices) -> None:
        """Fill the subnet, security-group and role lists (read while the wizard is open)."""
        self.settings.set_choices(choices)
        self.ec2.set_roles(choices.roles)
        self.choices_loaded = True

    def _page_changed(self, page_id: int) -> None:
        # Propose the advised platform when the user reaches the settings (again, if answers changed).
        if page_id == self.settings_id and self.settings.advice != self.advisor.advice:
            self.settings.propose(self.advisor.advice)

    def request(self) -> dict[str, Any]:
        settings = self.settings
        platform = settings.platform.currentText()
        resources: dict[str, Any] = {
            "type": platform,
            "maxvCpus": settings.max_vcpus.value(),
            "subnets": settings.subnet_ids(),
            "securityGroupIds": settings.group_ids(),
        }
        if not settings.is_fargate():
            ec2 = self.ec2
            resources["instanceTypes"] = [
                t.strip() for t in ec2.instance_types.text().split(",") if t.strip()
            ]
            resources["minvCpus"] = ec2.min_vcpus.value()
            resources["desiredvCpus"] = ec2.desired_vcpus.value()
            resources["instanceRole"] = ec2.instance_role.currentText().strip()
            resources["allocationStrategy"] = ec2.allocation.currentText()
            if platform == "SPOT":
                resources["bidPercentage"] = ec2.bid.value()
        request: dict[str, Any] = {
            "computeEnvironmentName": settings.name.text().strip(),
            "type": "MANAGED",
            "state": "ENABLED" if settings.enabled.isChecked() else "DISABLED",
            "computeResources": resources,
        }
        role = settings.service_role.currentText().strip()
        if role:
            request["serviceRole"] = role
        return request

    def accept(self) -> None:
        """Finish: validate, send, and close only when AWS accepted the request."""
        if self.apply_task is not None and not self.apply_task.done():
            return
        request = self.request()
        problems = compute_environment_problems(request)
        self.review.problems.show_problems(problems)
        if problems:
            self.review.status.setText(f"{len(problems)} problem(s) to fix; nothing was sent.")
            self.review.status.setStyleSheet("color: #b00020;")
            return
        self.review.status.setText("Creating…")
        self.review.status.setStyleSheet("")
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.apply_task = asyncio.ensure_future(self._send(request))

    async def _send(self, request: dict[str, Any]) -> None:
        try:
            self.sent += 1
            await self._create(request)
        except Exception as error:
            self.review.status.setText(error_text(error))
            self.review.status.setStyleSheet("color: #b00020;")
            return
        finally:
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        super().accept()

    async def ask(self) -> bool:
        return bool(await wait_finished(self))


class EditComputeEnvironmentDialog(ApplyDialog):
    """UpdateComputeEnvironment: state, vCPUs, subnets, security groups, instance types, service role.

    AWS applies subnet, security-group and instance-type changes as an infrastructure update (for
    BEST_FIT_PROGRESSIVE and SPOT_* allocation strategies); the dialog sends only what changed.
    Subnets and security groups are the wizard's checklists, filled (set_choices) while it is open.
    """

    def __init__(
        self,
        env: ComputeEnvironment,
        update: Callable[[dict[str, Any]], Awaitable[object]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Edit {env.name}", "Update", parent)
        self.setObjectName("editComputeEnvironmentDialog")
        self.setMinimumWidth(760)
        self.env = env
        self._update = update
        platform = env.platform.value if env.platform is not None else "unmanaged"
        self.heading = QLabel(
            f"<b>Edit compute environment {escape(env.name)}</b><br>"
            f"<span style='color:#555'>{escape(env.type)} · {escape(platform)} · {escape(env.state)}</span>"
        )
        self.heading.setObjectName("editHeading")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.enabled = QCheckBox("Enabled")
        self.enabled.setChecked(env.state == "ENABLED")
        self.max_vcpus = QSpinBox()
        self.max_vcpus.setRange(0, 100_000)
        self.max_vcpus.setValue(env.max_vcpus or 0)
        self.min_vcpus = QSpinBox()
        self.min_vcpus.setRange(0, 100_000)
        self.min_vcpus.setValue(env.min_vcpus or 0)
        self.desired_vcpus = QSpinBox()
        self.desired_vcpus.setRange(0, 100_000)
        self.desired_vcpus.setValue(env.desired_vcpus or 0)
        self.service_role = QLineEdit(env.service_role)
        self.service_role.setObjectName("editServiceRole")
        self.service_role.setPlaceholderText("empty: keep the current role")
        self.service_role.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 72))
        self.subnets = IdChecklist("editSubnets", env.subnets, loading=True)
        self.extra_subnets = QLineEdit()
        self.extra_subnets.setPlaceholderText("other subnet IDs, comma-separated")
        self.security_groups = IdChecklist("editSecurityGroups", env.security_groups, loading=True)
        self.extra_groups = QLineEdit()
        self.extra_groups.setPlaceholderText("other security group IDs, comma-separated")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.instance_types = QLineEdit(", ".join(env.instance_types))
        self.instance_types.setToolTip("Instance types or families, comma-separated")
        self.choices_loaded = False
        form = QFormLayout()
        form.addRow("State:", self.enabled)
        managed = env.type == "MANAGED" and env.platform is not None
        if managed:
            form.addRow("Max vCPUs:", self.max_vcpus)
            if env.platform is not None and not env.platform.is_fargate:
                form.addRow("Min vCPUs:", self.min_vcpus)
                form.addRow("Desired vCPUs:", self.desired_vcpus)
                form.addRow("Instance types:", self.instance_types)
            form.addRow("Subnets:", self.subnets)
            form.addRow("", self.extra_subnets)
            form.addRow("Security groups:", self.security_groups)
            form.addRow("", self.extra_groups)
            form.addRow("", self.note)
        form.addRow("Service role:", self.service_role)
        self.body.addWidget(self.heading)
        self.body.addLayout(form)

    def set_choices(self, choices: NetworkChoices) -> None:
        """Fill the subnet and security-group checklists, keeping what is ticked."""
        empty = "None listed: type the IDs below."
        self.subnets.fill(subnet_entries(choices.subnets), empty=empty)
        self.security_groups.fill(group_entries(choices.security_groups), empty=empty)
        self.note.setText(choices.note)
        self.note.setStyleSheet("color: #8a6d00;" if choices.note else "")
        self.note.setVisible(bool(choices.note))
        self.choices_loaded = True

    def subnet_ids(self) -> list[str]:
        return list(dict.fromkeys(self.subnets.checked_ids() + _split(self.extra_subnets.text())))

    def group_ids(self) -> list[str]:
        return list(dict.fromkeys(self.security_groups.checked_ids() + _split(self.extra_groups.text())))

    def request(self) -> dict[str, Any]:
        env = self.env
        request: dict[str, Any] = {"computeEnvironment": env.name}
        state = "ENABLED" if self.enabled.isChecked() else "DISABLED"
        if state != env.state:
            request["state"] = state
        resources: dict[str, Any] = {}
        if env.platform is not None:
            if self.max_vcpus.value() != (env.max_vcpus or 0):
                resources["maxvCpus"] = self.max_vcpus.value()
            if not env.platform.is_fargate:
                if self.min_vcpus.value() != (env.min_vcpus or 0):
                    resources["minvCpus"] = self.min_vcpus.value()
                if self.desired_vcpus.value() != (env.desired_vcpus or 0):
                    resources["desiredvCpus"] = self.desired_vcpus.value()
                types = _split(self.instance_types.text())
                if types != list(env.instance_types):
                    resources["instanceTypes"] = types
            for key, values, current in (
                ("subnets", self.subnet_ids(), env.subnets),
                ("securityGroupIds", self.group_ids(), env.security_groups),
            ):
                # The checklist's order is the account's, not the environment's: compare as sets.
                if sorted(values) != sorted(current):
                    resources[key] = values
        if resources:
            request["computeResources"] = resources
        role = self.service_role.text().strip()
        if role and role != env.service_role:
            request["serviceRole"] = role
        return request

    def validate(self) -> list[Problem | str]:
        problems: list[Problem | str] = []
        if len(self.request()) == 1:
            problems.append("Nothing changed.")
        env = self.env
        if env.platform is not None and not env.platform.is_fargate:
            low, want, high = self.min_vcpus.value(), self.desired_vcpus.value(), self.max_vcpus.value()
            if not low <= want <= high:
                problems.append(Problem("computeResources", "need min ≤ desired ≤ max vCPUs"))
            for position, item in enumerate(_split(self.instance_types.text())):
                if not INSTANCE_TYPE.match(item):
                    problems.append(
                        Problem(
                            f"computeResources.instanceTypes[{position}]", f"{item!r} is not an instance type"
                        )
                    )
        if env.platform is not None:
            if not self.subnet_ids():
                problems.append(Problem("computeResources.subnets", "keep at least one subnet"))
            if env.platform.is_fargate and not self.group_ids():
                problems.append(
                    Problem("computeResources.securityGroupIds", "Fargate needs a security group")
                )
        return problems

    async def apply(self) -> None:
        await self._update(self.request())
