"""Job queues: list with job counts by status, create/edit (ordered environments, scheduling policy,
stuck-job actions), enable/disable, tags, front of queue, and the dependency-aware delete."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QModelIndex

from batchgui.domain.batch import JobCount, JobQueue, JobStatus
from batchgui.domain.connection import ConnectionInfo
from batchgui.domain.inventory_requests import StuckJobAction
from batchgui.domain.scheduling import QueueSnapshot
from batchgui.ui.jobs.columns import format_time
from batchgui.ui.queues.dialog import JobQueueDialog
from batchgui.ui.widgets.actions import InventoryPanel, action_bar, add_filter_combo, tell
from batchgui.ui.widgets.forms import error_text
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

    @property
    def tags(self) -> dict[str, str]:
        return self.queue.tags

    def count_text(self, status: JobStatus) -> str:
        count = self.counts.get(status)
        return count.text() if count is not None else ""

    def count_value(self, status: JobStatus) -> int | None:
        count = self.counts.get(status)
        return count.count if count is not None else None


def _actions(queue: JobQueue) -> str:
    return "; ".join(StuckJobAction.from_api(a).describe() for a in queue.state_time_limit_actions)


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


def snapshot_text(queue: str, snapshot: QueueSnapshot) -> str:
    if not snapshot.jobs:
        return (
            f"No RUNNABLE jobs at the front of {queue}.\n\nUpdated {format_time(snapshot.last_updated_at)}."
        )
    lines = [f"The next jobs {queue} will dispatch (updated {format_time(snapshot.last_updated_at)}):", ""]
    lines.extend(
        f"{n:>3}. {job.job_id}   waiting since {format_time(job.earliest_time_at_position)}"
        for n, job in enumerate(snapshot.jobs, start=1)
    )
    return "\n".join(lines)


class JobQueuesPanel(InventoryPanel[QueueRow]):
    panel_id = "job-queues"
    title = "Job queues"

    dialog: JobQueueDialog | None = None
    last_snapshot_text = ""
    _terminal_counted_at = -math.inf

    def make_columns(self) -> list[Column[QueueRow]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.state_filter = add_filter_combo(self, "State", STATE_CHOICES)
        self.state_filter.currentTextChanged.connect(self._apply_filters)
        action_bar(self).addSeparator()
        self.add_create_action("Create…", self.create_new, "Create a job queue")
        self.add_row_action("Edit…", self.edit, "Priority, environments, policy", "Ctrl+E")
        self.add_toggle_action(
            "job queue",
            "It stops accepting new jobs; jobs already in it keep running.",
            self.inventory.set_job_queue_state,
        )
        self.add_row_action("Front of queue…", self.front_of_queue, "Next jobs to run", "Ctrl+Shift+F")
        self.add_tags_action()
        self.add_delete_action("Disable, wait, delete")

    async def load(self) -> None:
        queues = await self.inventory.job_queues()
        previous = {r.queue.arn: r.counts for r in self.model.all_rows()}
        # Show the queues at once (with the last counts), then fill in fresh counts.
        self.model.set_rows([QueueRow(q, previous.get(q.arn, {})) for q in queues])
        # Finished jobs change slowly and cost the most calls: count them at most once a minute.
        fresh_terminal = time.monotonic() - self._terminal_counted_at > TERMINAL_RECOUNT_S
        statuses = tuple(JobStatus) if fresh_terminal else JobStatus.active()
        counts = await self.inventory.job_counts([q.name for q in queues], statuses)
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

    def row_state(self, row: QueueRow) -> str:
        return row.queue.state

    def more_details(self, row: QueueRow) -> list[tuple[str, str]]:
        queue = row.queue
        counts = ", ".join(f"{s.value}: {row.count_text(s)}" for s in JobStatus if row.count_text(s))
        return [
            ("State / status", f"{queue.state} / {queue.status}"),
            ("Priority", str(queue.priority)),
            ("Compute environments", "\n".join(f"{ce.order}. {ce.arn}" for ce in queue.compute_environments)),
            ("Scheduling policy", queue.scheduling_policy_arn or "(none: first in, first out)"),
            ("Jobs", counts),
            ("Stuck-job actions", _actions(queue)),
            ("Status reason", queue.status_reason),
        ]

    # --- actions ------------------------------------------------------------------------------
    def create_new(self) -> None:
        self.spawn(self._open_dialog(None), "Create job queue")

    def edit(self) -> None:
        self.for_selected(lambda row: self._open_dialog(row.queue), "Edit")

    async def _open_dialog(self, queue: JobQueue | None) -> None:
        environments, policies = await self.inventory.queue_choices()
        dialog = JobQueueDialog(environments, policies, self.inventory.save_job_queue, queue, self)
        await self.show_dialog("dialog", dialog)

    def front_of_queue(self) -> None:
        self.for_selected(lambda row: self._front_of_queue(row.queue), "Front of")

    async def _front_of_queue(self, queue: JobQueue) -> None:
        try:
            self.last_snapshot_text = snapshot_text(queue.name, await self.inventory.queue_front(queue.name))
        except Exception as error:
            # GetJobQueueSnapshot is missing from some endpoints (moto): say so, don't fail loudly.
            self.last_snapshot_text = error_text(error)
        await tell(self, f"Front of {queue.name}", self.last_snapshot_text)

    def delete(self) -> None:
        self.for_selected(self._delete, "Delete")

    async def _delete(self, row: QueueRow) -> bool | None:
        queue = row.queue
        plan = await self.inventory.plan_delete_job_queue(queue.name)
        current = next((r for r in self.model.all_rows() if r.queue.arn == queue.arn), row)
        active = sum(current.count_value(s) or 0 for s in JobStatus.active())
        if active:
            plan.warnings.insert(0, f"{active} job(s) are still waiting or running in {queue.name}.")
        return await self.run_delete(plan)
