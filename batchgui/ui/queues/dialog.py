"""Create or edit a job queue: priority, state, up to three compute environments in order (drag to
reorder), scheduling policy, and actions for jobs stuck RUNNABLE."""

from __future__ import annotations

from collections.abc import Sequence

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
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from batchgui.domain.batch import ComputeEnvironment, JobQueue
from batchgui.domain.fargate import Problem
from batchgui.domain.inventory_requests import (
    MAX_QUEUE_ENVIRONMENTS,
    MAX_STUCK_S,
    MIN_STUCK_S,
    STUCK_ACTIONS,
    STUCK_REASONS,
    JobQueueRequest,
    JobQueueSettings,
    JobQueueUpdate,
    StuckJobAction,
    queue_environment_problems,
)
from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.ui.widgets.forms import (
    RequestDialog,
    Send,
    add_rows,
    data_combo,
    error_style,
    name_field,
    spin_box,
)

__all__ = ["JobQueueDialog", "QueueRequest", "StuckJobRow"]

QueueRequest = JobQueueRequest | JobQueueUpdate
# CreateJobQueue for a new queue, UpdateJobQueue for an existing one.


def environment_label(env: ComputeEnvironment | None, arn: str) -> str:
    if env is None:
        return arn
    return f"{env.name}  ({env.platform.value if env.platform else 'UNMANAGED'})"


class StuckJobRow:
    def __init__(self, reason: str, label: str) -> None:
        self.reason = reason
        self.enabled = QCheckBox(label)
        self.seconds = spin_box(MIN_STUCK_S, MAX_STUCK_S, 3600, " s")
        self.action = QComboBox()
        self.action.addItems(list(STUCK_ACTIONS))

    def load(self, action: StuckJobAction) -> None:
        self.enabled.setChecked(True)
        self.seconds.setValue(action.max_time_s)
        self.action.setCurrentText(action.action)

    def value(self) -> StuckJobAction | None:
        if not self.enabled.isChecked():
            return None
        return StuckJobAction(self.reason, self.seconds.value(), self.action.currentText())


class JobQueueDialog(RequestDialog[QueueRequest]):
    """CreateJobQueue (queue=None) or UpdateJobQueue."""

    def __init__(
        self,
        environments: Sequence[ComputeEnvironment],
        policies: Sequence[SchedulingPolicy],
        send: Send[QueueRequest],
        queue: JobQueue | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Edit job queue" if queue else "Create job queue", "Update" if queue else "Create", send, parent
        )
        self.setObjectName("jobQueueDialog")
        self.resize(640, 560)
        self.queue = queue
        self.environments = {e.arn: e for e in environments}
        self.name = name_field(queue.name if queue else "", "queueName", queue is not None)
        self.priority = spin_box(
            0,
            1000,
            queue.priority if queue else 1,
            tooltip="Higher runs first when queues share compute environments",
        )
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
            self.add_combo.addItem(environment_label(env, env.arn), env.arn)
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

        choices = [("(none: first in, first out)", ""), *((p.name, p.arn) for p in policies)]
        self.policy = data_combo(choices, "queuePolicy")
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
            for action in map(StuckJobAction.from_api, queue.state_time_limit_actions):
                for row in self.stuck_rows:
                    if row.reason == action.reason:
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
        add_rows(
            form,
            [
                ("Name:", self.name),
                ("Priority:", self.priority),
                ("", self.enabled),
                ("Compute environments:", self.order),
                ("", order_buttons),
                ("", self.order_note),
                ("Scheduling policy:", self.policy),
            ],
        )
        self.body.addLayout(form)
        self.body.addWidget(stuck)
        self._order_changed()

    # --- the environment list -----------------------------------------------------------------
    def _append(self, arn: str) -> None:
        item = QListWidgetItem(environment_label(self.environments.get(arn), arn))
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
        problems = queue_environment_problems(self.ordered_environments())
        if not self.order.count() and not self.tried:
            # An untouched form: say what to do, not that it is wrong.
            self.order_note.setText(
                f"Add 1 to {MAX_QUEUE_ENVIRONMENTS} compute environments of one platform; "
                "jobs go to the first with free capacity."
            )
            self.order_note.setStyleSheet("")
        elif problems:
            self.order_note.setText(
                "\n".join(str(p).removeprefix("computeEnvironmentOrder: ") for p in problems)
            )
            self.order_note.setStyleSheet(error_style(self.order_note))
        else:
            count = self.order.count()
            self.order_note.setText(
                f"{count} of {MAX_QUEUE_ENVIRONMENTS}; jobs go to the first with free capacity."
            )
            self.order_note.setStyleSheet("")
        self.add_button.setEnabled(self.order.count() < MAX_QUEUE_ENVIRONMENTS)

    # --- request ------------------------------------------------------------------------------
    def request(self) -> QueueRequest:
        settings = JobQueueSettings(
            priority=self.priority.value(),
            enabled=self.enabled.isChecked(),
            compute_environments=tuple(self.ordered_arns()),
            scheduling_policy_arn=str(self.policy.currentData() or ""),
            stuck_job_actions=tuple(a for a in (row.value() for row in self.stuck_rows) if a is not None),
        )
        if self.queue is None:
            return JobQueueRequest(self.name.text().strip(), settings)
        return JobQueueUpdate(self.queue.name, settings)

    def request_problems(self, request: QueueRequest) -> list[Problem]:
        self._order_changed()
        return request.problems(self.environments)
