"""Create or edit a job queue: priority, state, up to three compute environments in order (drag to
reorder), scheduling policy, and actions for jobs stuck RUNNABLE."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QWidget,
)

from batchgui.domain.batch import ComputeEnvironment, JobQueue
from batchgui.domain.fargate import Problem
from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.ui.widgets.forms import ApplyDialog

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
MAX_ENVIRONMENTS = 3
# The reasons AWS offers for acting on jobs stuck in RUNNABLE (JobStateTimeLimitAction.reason).
STUCK_REASONS = (
    ("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE", "Environment's max vCPUs too small for the job"),
    ("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "No instance type can fit the job"),
    ("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY", "EC2 has no capacity for the instance types"),
)
MIN_STUCK_S = 600
MAX_STUCK_S = 86_400


def platform_family(env: ComputeEnvironment) -> str:
    """FARGATE for FARGATE/FARGATE_SPOT, EC2 for EC2/SPOT and unmanaged environments."""
    return "FARGATE" if env.platform is not None and env.platform.is_fargate else "EC2"


def order_problems(environments: Sequence[ComputeEnvironment]) -> list[Problem | str]:
    """AWS's rules for computeEnvironmentOrder, as the dialog says them."""
    problems: list[Problem | str] = []
    if not environments:
        problems.append(Problem("computeEnvironmentOrder", "add at least one compute environment"))
    if len(environments) > MAX_ENVIRONMENTS:
        problems.append(
            Problem("computeEnvironmentOrder", f"at most {MAX_ENVIRONMENTS} compute environments per queue")
        )
    families = {platform_family(e) for e in environments}
    if len(families) > 1:
        fargate = ", ".join(e.name for e in environments if platform_family(e) == "FARGATE")
        ec2 = ", ".join(e.name for e in environments if platform_family(e) == "EC2")
        problems.append(
            Problem(
                "computeEnvironmentOrder",
                f"AWS Batch does not allow mixing Fargate ({fargate}) and EC2 ({ec2}) compute environments "
                "in one job queue: jobs are placed by platform. Make one queue per platform.",
            )
        )
    names = [e.name for e in environments]
    if len(set(names)) != len(names):
        problems.append(Problem("computeEnvironmentOrder", "an environment is listed twice"))
    return problems


class StuckJobRow:
    def __init__(self, reason: str, label: str) -> None:
        self.reason = reason
        self.enabled = QCheckBox(label)
        self.seconds = QSpinBox()
        self.seconds.setRange(MIN_STUCK_S, MAX_STUCK_S)
        self.seconds.setValue(3600)
        self.seconds.setSuffix(" s")
        self.action = QComboBox()
        self.action.addItems(["CANCEL", "TERMINATE"])

    def load(self, action: dict[str, Any]) -> None:
        self.enabled.setChecked(True)
        self.seconds.setValue(int(action.get("maxTimeSeconds", 3600)))
        self.action.setCurrentText(str(action.get("action", "CANCEL")))

    def to_api(self) -> dict[str, Any] | None:
        if not self.enabled.isChecked():
            return None
        return {
            "reason": self.reason,
            "state": "RUNNABLE",
            "maxTimeSeconds": self.seconds.value(),
            "action": self.action.currentText(),
        }


class JobQueueDialog(ApplyDialog):
    """CreateJobQueue (queue=None) or UpdateJobQueue."""

    def __init__(
        self,
        environments: Sequence[ComputeEnvironment],
        policies: Sequence[SchedulingPolicy],
        send: Callable[[dict[str, Any]], Awaitable[object]],
        queue: JobQueue | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Edit job queue" if queue else "Create job queue", "Update" if queue else "Create", parent
        )
        self.setObjectName("jobQueueDialog")
        self.resize(640, 560)
        self.queue = queue
        self._send = send
        self.environments = {e.arn: e for e in environments}
        self.name = QLineEdit(queue.name if queue else "")
        self.name.setObjectName("queueName")
        self.name.setReadOnly(queue is not None)
        self.priority = QSpinBox()
        self.priority.setRange(0, 1000)
        self.priority.setValue(queue.priority if queue else 1)
        self.priority.setToolTip("Higher runs first when queues share compute environments")
        self.enabled = QCheckBox("Enabled (accepts new jobs)")
        self.enabled.setChecked(queue is None or queue.state == "ENABLED")

        self.order = QListWidget()
        self.order.setObjectName("queueOrder")
        self.order.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.order.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.order.setToolTip("Drag to reorder: jobs go to the first environment with room")
        self.add_combo = QComboBox()
        self.add_combo.setObjectName("queueAddEnvironment")
        for env in sorted(environments, key=lambda e: e.name):
            self.add_combo.addItem(
                f"{env.name}  ({env.platform.value if env.platform else 'UNMANAGED'})", env.arn
            )
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_selected_environment)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected_environment)
        self.up_button = QPushButton("Up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.order_note = QLabel()
        self.order_note.setWordWrap(True)
        self.order_note.setObjectName("queueOrderNote")
        if queue is not None:
            for ce in queue.compute_environments:
                self._append(ce.arn)
        self.order.model().rowsMoved.connect(self._order_changed)

        self.policy = QComboBox()
        self.policy.setObjectName("queuePolicy")
        self.policy.addItem("(none: first in, first out)", "")
        for policy in policies:
            self.policy.addItem(policy.name, policy.arn)
        if queue is not None and queue.scheduling_policy_arn:
            position = self.policy.findData(queue.scheduling_policy_arn)
            if position < 0:
                self.policy.addItem(
                    queue.scheduling_policy_arn.rsplit("/", 1)[-1], queue.scheduling_policy_arn
                )
                position = self.policy.count() - 1
            self.policy.setCurrentIndex(position)
        if queue is not None:
            # AWS can't add a policy to a FIFO queue or remove one later: the choice is fixed at creation.
            self.policy.setEnabled(bool(queue.scheduling_policy_arn))

        self.stuck_rows = [StuckJobRow(reason, label) for reason, label in STUCK_REASONS]
        if queue is not None:
            for action in queue.state_time_limit_actions:
                for row in self.stuck_rows:
                    if row.reason == action.get("reason"):
                        row.load(action)
        stuck = QGroupBox("Jobs stuck in RUNNABLE (600-86,400 s)")
        grid = QGridLayout(stuck)
        for number, row in enumerate(self.stuck_rows):
            grid.addWidget(row.enabled, number, 0)
            grid.addWidget(row.seconds, number, 1)
            grid.addWidget(row.action, number, 2)

        order_buttons = QHBoxLayout()
        order_buttons.addWidget(self.add_combo, 1)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            order_buttons.addWidget(button)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Priority:", self.priority)
        form.addRow("", self.enabled)
        form.addRow("Compute environments:", self.order)
        form.addRow("", order_buttons)
        form.addRow("", self.order_note)
        form.addRow("Scheduling policy:", self.policy)
        self.body.addLayout(form)
        self.body.addWidget(stuck)
        self._order_changed()

    # --- the environment list -----------------------------------------------------------------
    def _append(self, arn: str) -> None:
        env = self.environments.get(arn)
        label = f"{env.name}  ({env.platform.value if env and env.platform else 'UNMANAGED'})" if env else arn
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, arn)
        self.order.addItem(item)

    def add_environment(self, arn: str) -> None:
        if arn in self.ordered_arns():
            self.set_status("That environment is already in the list.", error=True)
            return
        self._append(arn)
        self._order_changed()

    def add_selected_environment(self) -> None:
        arn = self.add_combo.currentData()
        if arn:
            self.add_environment(str(arn))

    def remove_selected_environment(self) -> None:
        for item in self.order.selectedItems():
            self.order.takeItem(self.order.row(item))
        self._order_changed()

    def move_selected(self, step: int) -> None:
        row = self.order.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.order.count():
            return
        item = self.order.takeItem(row)
        self.order.insertItem(target, item)
        self.order.setCurrentRow(target)
        self._order_changed()

    def ordered_arns(self) -> list[str]:
        return [str(self.order.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.order.count())]

    def ordered_environments(self) -> list[ComputeEnvironment]:
        return [self.environments[a] for a in self.ordered_arns() if a in self.environments]

    def _order_changed(self, *_args: object) -> None:
        problems = order_problems(self.ordered_environments())
        if not self.order.count() and not self.tried:
            # An untouched form: say what to do, not that it is wrong.
            self.order_note.setText(
                f"Add 1 to {MAX_ENVIRONMENTS} compute environments of one platform; "
                "jobs go to the first with free capacity."
            )
            self.order_note.setStyleSheet("")
        elif problems:
            self.order_note.setText(
                "\n".join(str(p).removeprefix("computeEnvironmentOrder: ") for p in problems)
            )
            self.order_note.setStyleSheet("color: #b00020;")
        else:
            count = self.order.count()
            self.order_note.setText(
                f"{count} of {MAX_ENVIRONMENTS}; jobs go to the first with free capacity."
            )
            self.order_note.setStyleSheet("")
        self.add_button.setEnabled(self.order.count() < MAX_ENVIRONMENTS)

    # --- request ------------------------------------------------------------------------------
    def request(self) -> dict[str, Any]:
        order = [
            {"order": n, "computeEnvironment": arn} for n, arn in enumerate(self.ordered_arns(), start=1)
        ]
        actions = [a for a in (row.to_api() for row in self.stuck_rows) if a is not None]
        request: dict[str, Any] = {
            "priority": self.priority.value(),
            "state": "ENABLED" if self.enabled.isChecked() else "DISABLED",
            "computeEnvironmentOrder": order,
        }
        policy = str(self.policy.currentData() or "")
        if self.queue is None:
            request["jobQueueName"] = self.name.text().strip()
            if policy:
                request["schedulingPolicyArn"] = policy
            if actions:
                request["jobStateTimeLimitActions"] = actions
        else:
            request["jobQueue"] = self.queue.name
            if policy:
                request["schedulingPolicyArn"] = policy
            request["jobStateTimeLimitActions"] = actions
        return request

    def validate(self) -> list[Problem | str]:
        self._order_changed()
        problems: list[Problem | str] = []
        if self.queue is None and not NAME.match(self.name.text().strip()):
            problems.append(
                Problem("jobQueueName", "1-128 letters, digits, - and _, starting with a letter or digit")
            )
        unknown = [a for a in self.ordered_arns() if a not in self.environments]
        problems.extend(Problem("computeEnvironmentOrder", f"{a} no longer exists") for a in unknown)
        problems.extend(order_problems(self.ordered_environments()))
        return problems

    async def apply(self) -> None:
        await self._send(self.request())
