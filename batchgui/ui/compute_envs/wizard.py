"""The compute-environment wizard: a few questions, a Fargate-or-EC2 proposal with its reasons, then
the fields that platform needs, validated before CreateComputeEnvironment is sent.

And the edit dialog for an existing environment (state, vCPUs, subnets, security groups, instance
types, service role).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from html import escape
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QWidget, QWizard

from batchgui.domain.batch import ComputeEnvironment
from batchgui.domain.fargate import Problem
from batchgui.domain.inventory_requests import (
    ComputeEnvironmentEdit,
    ComputeEnvironmentRequest,
    ComputeEnvironmentUpdate,
    compute_environment_problems,
    split_ids,
)
from batchgui.domain.network import NetworkChoices
from batchgui.ui.compute_envs.wizard_pages import (
    LOADING,
    MAX_VCPUS,
    AdvisorPage,
    Ec2Page,
    IdChecklist,
    NetworkFields,
    NetworkPicker,
    ReviewPage,
    SettingsPage,
)
from batchgui.ui.widgets.forms import RequestDialog, Send, cap_form_width, error_text, spin_box, wait_finished

__all__ = [
    "LOADING",
    "ChoicesTarget",
    "ComputeEnvironmentWizard",
    "EditComputeEnvironmentDialog",
    "IdChecklist",
    "NetworkChoices",
    "compute_environment_problems",
]

CreateFn = Callable[[ComputeEnvironmentRequest], Awaitable[object]]


class ChoicesTarget(Protocol):
    """A form whose subnet, security-group and role lists are filled once they have been read."""

    def set_choices(self, choices: NetworkChoices) -> None: ...


class ComputeEnvironmentWizard(QWizard):
    """Finish validates and sends CreateComputeEnvironment; AWS's refusal is shown on the last page."""

    def __init__(self, choices: NetworkChoices, create: CreateFn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("computeEnvironmentWizard")
        self.setWindowTitle("Create compute environment")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(720, 620)
        cap_form_width(self)
        self._create = create
        self.advisor = AdvisorPage()
        self.settings = SettingsPage(choices, self.problems_of)
        self.ec2 = Ec2Page(choices, self.problems_of)
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

    def nextId(self) -> int:
        # Fargate needs no instances: from the settings straight to the review.
        if self.currentId() == self.settings_id and self.settings.is_fargate():
            return self.review_id
        return super().nextId()

    def initializePage(self, page_id: int) -> None:
        super().initializePage(page_id)
        if page_id == self.ec2_id:
            self.ec2.set_platform(self.settings.platform.currentText())
        elif page_id == self.review_id:
            self.review.show_request(self.request())

    def _page_changed(self, page_id: int) -> None:
        # Propose the advised platform when the user reaches the settings (again, if answers changed).
        if page_id == self.settings_id and self.settings.advice != self.advisor.advice:
            self.settings.propose(self.advisor.advice)

    def problems_of(self, fields: Sequence[str], exclude: Sequence[str] = ()) -> list[Problem]:
        """The request's problems whose paths start with one of `fields` and none of `exclude`."""
        return [
            p
            for p in self.request().problems()
            if p.path.startswith(tuple(fields)) and not (exclude and p.path.startswith(tuple(exclude)))
        ]

    def request(self) -> ComputeEnvironmentRequest:
        settings, ec2 = self.settings, self.ec2
        platform = settings.platform.currentText()
        request = ComputeEnvironmentRequest(
            name=settings.name.text().strip(),
            platform=platform,
            max_vcpus=settings.max_vcpus.value(),
            subnets=tuple(settings.subnet_ids()),
            security_group_ids=tuple(settings.group_ids()),
            enabled=settings.enabled.isChecked(),
            service_role=settings.service_role.currentText().strip(),
        )
        if request.is_fargate:
            return request
        return replace(
            request,
            instance_types=tuple(split_ids(ec2.instance_types.text())),
            min_vcpus=ec2.min_vcpus.value(),
            desired_vcpus=ec2.desired_vcpus.value(),
            instance_role=ec2.instance_role.currentText().strip(),
            allocation_strategy=ec2.allocation.currentText(),
            bid_percentage=ec2.bid.value() if platform == "SPOT" else None,
        )

    def accept(self) -> None:
        """Finish: validate, send, and close only when AWS accepted the request."""
        if self.apply_task is not None and not self.apply_task.done():
            return
        request = self.request()
        problems = request.problems()
        self.review.problems.show_problems(problems)
        if problems:
            self.review.set_status(f"{len(problems)} problem(s) to fix; nothing was sent.", error=True)
            return
        self.review.set_status("Creating…")
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.apply_task = asyncio.ensure_future(self._send(request))

    async def _send(self, request: ComputeEnvironmentRequest) -> None:
        try:
            self.sent += 1
            await self._create(request)
        except Exception as error:
            self.review.set_status(error_text(error), error=True)
            return
        finally:
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        super().accept()

    async def ask(self) -> bool:
        return bool(await wait_finished(self))


class EditComputeEnvironmentDialog(NetworkFields, RequestDialog[ComputeEnvironmentUpdate]):
    """UpdateComputeEnvironment: state, vCPUs, subnets, security groups, instance types, service role.

    The dialog sends only what changed. Subnets and security groups are the wizard's checklists,
    filled (set_choices) while it is open.
    """

    def __init__(
        self, env: ComputeEnvironment, update: Send[ComputeEnvironmentUpdate], parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Edit {env.name}", "Update", update, parent)
        self.setObjectName("editComputeEnvironmentDialog")
        self.setMinimumWidth(760)
        self.env = env
        platform = env.platform.value if env.platform is not None else "unmanaged"
        self.heading = QLabel(
            f"<b>Edit compute environment {escape(env.name)}</b><br>"
            f"<span style='color:#555'>{escape(env.type)} · {escape(platform)} · {escape(env.state)}</span>"
        )
        self.heading.setObjectName("editHeading")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.enabled = QCheckBox("Enabled")
        self.enabled.setChecked(env.state == "ENABLED")
        self.max_vcpus = spin_box(0, MAX_VCPUS, env.max_vcpus or 0)
        self.min_vcpus = spin_box(0, MAX_VCPUS, env.min_vcpus or 0)
        self.desired_vcpus = spin_box(0, MAX_VCPUS, env.desired_vcpus or 0)
        self.service_role = QLineEdit(env.service_role)
        self.service_role.setObjectName("editServiceRole")
        self.service_role.setPlaceholderText("empty: keep the current role")
        self.service_role.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 72))
        self.use_network(NetworkPicker("edit", env.subnets, env.security_groups, loading=True))
        self.instance_types = QLineEdit(", ".join(env.instance_types))
        self.instance_types.setToolTip("Instance types or families, comma-separated")
        self.choices_loaded = False
        form = QFormLayout()
        form.addRow("State:", self.enabled)
        if env.type == "MANAGED" and env.platform is not None:
            form.addRow("Max vCPUs:", self.max_vcpus)
            if not env.platform.is_fargate:
                form.addRow("Min vCPUs:", self.min_vcpus)
                form.addRow("Desired vCPUs:", self.desired_vcpus)
                form.addRow("Instance types:", self.instance_types)
            self.network.add_rows(form)
        form.addRow("Service role:", self.service_role)
        self.body.addWidget(self.heading)
        self.body.addLayout(form)

    def set_choices(self, choices: NetworkChoices) -> None:
        """Fill the subnet and security-group checklists, keeping what is ticked."""
        self.network.set_choices(choices)
        self.choices_loaded = True

    def wanted(self) -> ComputeEnvironmentEdit:
        return ComputeEnvironmentEdit(
            enabled=self.enabled.isChecked(),
            max_vcpus=self.max_vcpus.value(),
            min_vcpus=self.min_vcpus.value(),
            desired_vcpus=self.desired_vcpus.value(),
            instance_types=tuple(split_ids(self.instance_types.text())),
            subnets=tuple(self.subnet_ids()),
            security_group_ids=tuple(self.group_ids()),
            service_role=self.service_role.text().strip(),
        )

    def request(self) -> ComputeEnvironmentUpdate:
        return self.wanted().update_for(self.env)

    def request_problems(self, request: ComputeEnvironmentUpdate) -> list[Problem | str]:
        return self.wanted().problems(self.env)
