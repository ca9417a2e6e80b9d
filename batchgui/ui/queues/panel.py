"""Job queues: list with job counts by status, create/edit (ordered environments, scheduling policy,
stuck-job actions), enable/disable, tags, front of queue, and the dependency-aware delete."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from batchgui.aws.batch_admin import JobCount
from batchgui.domain.batch import ComputeEnvironment, JobQueue, JobStatus
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.scheduling import QueueSnapshot, SchedulingPolicy
from batchgui.services.connections import Backend
from batchgui.ui.queues.dialog import JobQueueDialog
from batchgui.ui.widgets.actions import (
    action_bar,
    add_action,
    add_filter_combo,
    admin_gateway,
    edit_tags,
    inventory_for,
    run_delete,
    tell,
    toggle_enabled,
    toggle_label,
)
from batchgui.ui.widgets.delete_progress import DeleteProgressDialog
from batchgui.ui.widgets.forms import error_text
from batchgui.ui.widgets.panel import ListPanel, PanelServices
from batchgui.ui.widgets.table_model import Column


@dataclass(frozen=True)
class QueueRow:
    """A queue and its job counts (counts arrive after the queue list, so they may be empty)."""

    queue: JobQueue
    counts: dict[JobStatus, JobCount] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.queue.name

    @property
    def arn(self) -> str:
        return self.queue.arn

    @property
    def raw(self) -> dict[str, Any]:
        return self.queue.raw

    def count_text(self, status: JobStatus) -> str:
        count = self.counts.get(status)
        return count.text() if count is not None else ""

    def count_value(self, status: JobStatus) -> int | None:
        count = self.counts.get(status)
        return count.count if count is not None else None


def _actions(queue: JobQueue) -> str:
    def one(action: dict[str, Any]) -> str:
        reason = str(action.get("reason", "")).split(":")[-1]
        return f"{action.get('action', '')} after {action.get('maxTimeSeconds', '')} s ({reason})"

    return "; ".join(one(a) for a in queue.state_time_limit_actions)


def _count_column(status: JobStatus) -> Column[QueueRow]:
    return Column(
        status.value.title(),
        lambda r: r.count_text(status),
        lambda r: r.count_value(status),
        align_right=True,
        width=66,
    )


COLUMNS: list[Column[QueueRow]] = [
    Column("Name", lambda r: r.queue.name, width=150),
    Column("State", lambda r: r.queue.state, width=80),
    Column("Status", lambda r: r.queue.status, width=70),
    Column(
        "Priority", lambda r: str(r.queue.priority), lambda r: r.queue.priority, align_right=True, width=60
    ),
    # The job counts before the wide text columns, so all of them (Succeeded, Failed too) are on screen.
    *(_count_column(s) for s in JobStatus),
    Column(
        "Compute environments",
        lambda r: " → ".join(ce.name for ce in r.queue.compute_environments),
        width=180,
    ),
    Column("Scheduling policy", lambda r: r.queue.scheduling_policy_arn.rsplit("/", 1)[-1], width=120),
    Column("Stuck-job actions", lambda r: _actions(r.queue), tooltip=lambda r: _actions(r.queue), width=160),
    Column(
        "Status reason", lambda r: r.queue.status_reason, tooltip=lambda r: r.queue.status_reason, width=200
    ),
]
STATE_CHOICES = ["All states", "ENABLED", "DISABLED"]
TERMINAL_RECOUNT_S = 60.0


def _time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def snapshot_text(queue: str, snapshot: QueueSnapshot) -> str:
    if not snapshot.jobs:
        return f"No RUNNABLE jobs at the front of {queue}.\n\nUpdated {_time(snapshot.last_updated_at)}."
    lines = [f"The next jobs {queue} will dispatch (updated {_time(snapshot.last_updated_at)}):", ""]
    lines.extend(
        f"{n:>3}. {job.job_id}   waiting since {_time(job.earliest_time_at_position)}"
        for n, job in enumerate(snapshot.jobs, start=1)
    )
    return "\n".join(lines)


class JobQueuesPanel(ListPanel[QueueRow]):
    panel_id = "job-queues"
    title = "Job queues"
    # The progress dialog of the last dependency-aware delete (set by run_delete).
    last_delete_dialog: DeleteProgressDialog | None = None

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda r: r.queue.arn, parent)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.state_filter = add_filter_combo(self, "State", STATE_CHOICES)
        self.state_filter.currentTextChanged.connect(self._apply_filters)
        action_bar(self).addSeparator()
        add_action(
            self,
            "Create…",
            self.create_new,
            shortcut="Ctrl+Shift+N",
            tooltip="Create a job queue",
            needs_selection=False,
        )
        edit = add_action(
            self, "Edit…", self.edit, shortcut="Ctrl+E", tooltip="Priority, environments, policy"
        )
        self.toggle_button = add_action(
            self, "Enable/Disable", self.toggle_state, tooltip="Enable or disable"
        )
        front = add_action(
            self, "Front of queue…", self.front_of_queue, shortcut="Ctrl+Shift+F", tooltip="Next jobs to run"
        )
        tags = add_action(self, "Tags…", self.tags, shortcut="Ctrl+T", tooltip="View and edit tags")
        delete = add_action(
            self,
            "Delete…",
            self.delete,
            shortcut=QKeySequence.StandardKey.Delete,
            tooltip="Disable, wait, delete",
        )
        # The same actions in the right-click menu, with their shortcuts and enabled state.
        self.row_actions = [edit, self.toggle_button, front, tags, delete]
        self.table.selectionModel().selectionChanged.connect(self._name_toggle)
        self.model.rows_changed.connect(self._name_toggle)
        self.dialog: JobQueueDialog | None = None
        self.last_snapshot_text = ""
        self._terminal_counted_at = -math.inf

    async def load(self) -> None:
        backend = self.backend
        assert backend is not None  # refresh() loads only while connected
        batch = await self.services.runner.run(lambda: backend.batch)
        queues = await self.services.runner.run(batch.describe_job_queues)
        previous = {r.queue.arn: r.counts for r in self.model.all_rows()}
        # Show the queues at once (with the last counts), then fill in fresh counts.
        self.model.set_rows([QueueRow(q, previous.get(q.arn, {})) for q in queues])
        # Finished jobs change slowly and cost the most calls: count them at most once a minute.
        fresh_terminal = time.monotonic() - self._terminal_counted_at > TERMINAL_RECOUNT_S
        statuses = tuple(JobStatus) if fresh_terminal else JobStatus.active()
        counts = await (await inventory_for(self, backend)).job_counts([q.name for q in queues], statuses)
        if fresh_terminal:
            self._terminal_counted_at = time.monotonic()
        rows = []
        for q in queues:
            merged = {s: c for s, c in previous.get(q.arn, {}).items() if s.is_terminal}
            merged.update(counts.get(q.name, {}))
            rows.append(QueueRow(q, merged))
        self.model.set_rows(rows)
        self._current_changed(self.table.currentIndex(), QModelIndex())  # show the counts in the details

    def on_connection_changed(self, connection: ConnectionInfo | None) -> None:
        super().on_connection_changed(connection)
        self._terminal_counted_at = -math.inf

    def _apply_filters(self, state: str) -> None:
        self.model.set_row_filter(None if state.startswith("All") else (lambda r: r.queue.state == state))

    def row_details(self, row: QueueRow) -> list[tuple[str, str]]:
        queue = row.queue
        counts = ", ".join(f"{s.value}: {row.count_text(s)}" for s in JobStatus if row.count_text(s))
        return [
            ("Name", queue.name),
            ("ARN", queue.arn),
            ("State / status", f"{queue.state} / {queue.status}"),
            ("Priority", str(queue.priority)),
            ("Compute environments", "\n".join(f"{ce.order}. {ce.arn}" for ce in queue.compute_environments)),
            ("Scheduling policy", queue.scheduling_policy_arn or "(none: first in, first out)"),
            ("Jobs", counts),
            ("Stuck-job actions", _actions(queue)),
            ("Status reason", queue.status_reason),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(queue.tags.items()))),
        ]

    def _selected(self) -> JobQueue | None:
        row = self.selected_row()
        return row.queue if row else None

    # --- actions ------------------------------------------------------------------------------
    async def _choices(self, backend: Backend) -> tuple[list[ComputeEnvironment], list[SchedulingPolicy]]:
        runner = self.services.runner
        batch, admin = await runner.run(lambda: (backend.batch, backend.batch_admin))
        environments = await runner.run(batch.describe_compute_environments)
        try:
            policies = await runner.run(admin.list_scheduling_policies)
        except Exception:
            policies = []  # an endpoint without scheduling policies: offer none
        return environments, policies

    def create_new(self) -> None:
        self.spawn(self._open_dialog(None), "Create job queue")

    def edit(self) -> None:
        queue = self._selected()
        if queue is not None:
            self.spawn(self._open_dialog(queue), f"Edit {queue.name}")

    async def _open_dialog(self, queue: JobQueue | None) -> None:
        backend = self.backend
        if backend is None:
            return
        environments, policies = await self._choices(backend)
        admin = await admin_gateway(self, backend)

        async def send(request: dict[str, Any]) -> None:
            if queue is None:
                await self.services.runner.run(admin.create_job_queue, request)
            else:
                await self.services.runner.run(admin.update_job_queue, request)

        self.dialog = JobQueueDialog(environments, policies, send, queue, self)
        try:
            if await self.dialog.ask():
                self.refresh()
        finally:
            self.dialog.deleteLater()
            self.dialog = None

    def _name_toggle(self, *_args: object) -> None:
        queue = self._selected()
        self.toggle_button.setText(toggle_label(queue.state if queue else None))

    def toggle_state(self) -> None:
        queue = self._selected()
        if queue is not None:
            self.spawn(self._toggle(queue), f"Enable/disable {queue.name}")

    async def _toggle(self, queue: JobQueue) -> None:
        backend = self.backend
        if backend is None:
            return
        admin = await admin_gateway(self, backend)
        await toggle_enabled(
            self,
            kind="job queue",
            name=queue.name,
            state=queue.state,
            disable_effect="It stops accepting new jobs; jobs already in it keep running.",
            set_state=admin.set_job_queue_state,
        )

    def front_of_queue(self) -> None:
        queue = self._selected()
        if queue is not None:
            self.spawn(self._front_of_queue(queue), f"Front of {queue.name}")

    async def _front_of_queue(self, queue: JobQueue) -> None:
        backend = self.backend
        if backend is None:
            return
        try:
            admin = await admin_gateway(self, backend)
            snapshot = await self.services.runner.run(admin.job_queue_snapshot, queue.name)
        except Exception as error:
            # GetJobQueueSnapshot is missing from some endpoints (moto): say so, don't fail loudly.
            self.last_snapshot_text = error_text(error)
            await tell(self, f"Front of {queue.name}", self.last_snapshot_text)
            return
        self.last_snapshot_text = snapshot_text(queue.name, snapshot)
        await tell(self, f"Front of {queue.name}", self.last_snapshot_text)

    def tags(self) -> None:
        queue = self._selected()
        if queue is not None:
            self.spawn(edit_tags(self, queue.arn), f"Tags of {queue.name}")

    def delete(self) -> None:
        queue = self._selected()
        if queue is not None:
            self.spawn(self._delete(queue), f"Delete {queue.name}")

    async def _delete(self, queue: JobQueue) -> bool | None:
        backend = self.backend
        if backend is None:
            return None
        inventory = await inventory_for(self, backend)
        plan = await inventory.plan_delete_job_queue(queue.name)
        row = next((r for r in self.model.all_rows() if r.queue.arn == queue.arn), None)
        if row is not None:
            active = sum(row.count_value(s) or 0 for s in JobStatus.active())
            if active:
                plan.warnings.insert(0, f"{active} job(s) are still waiting or running in {queue.name}.")
        return await run_delete(self, inventory, plan)
