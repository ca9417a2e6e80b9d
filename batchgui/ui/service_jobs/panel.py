"""Service jobs of the SAGEMAKER_TRAINING job queues: list, inspect, submit, change priority,
terminate, tags. On the local sandbox the training is simulated, and the panel says so."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction

from batchgui.domain.training import ServiceJob
from batchgui.ui.jobs.columns import format_time
from batchgui.ui.service_environments.panel import SIMULATED_NOTE
from batchgui.ui.service_jobs.dialog import ServiceJobPriorityDialog, SubmitServiceJobDialog
from batchgui.ui.training_panel import TrainingPanel
from batchgui.ui.widgets.icons import icon
from batchgui.ui.widgets.table_model import Column


def _time(ms: int) -> str:
    """Local time, as every table shows it; 0 (not yet) shows nothing."""
    return format_time(ms or None)


def _time_column(title: str, ms: str) -> Column[ServiceJob]:
    return Column(title, lambda j: _time(getattr(j, ms)), lambda j: getattr(j, ms) or None, width=140)


COLUMNS: list[Column[ServiceJob]] = [
    Column("Name", lambda j: j.name, width=150),
    Column("Status", lambda j: j.status, width=100),
    Column("Job queue", lambda j: j.queue_name, width=120),
    Column("Quota share", lambda j: j.quota_share, width=100),
    Column(
        "Instances",
        lambda j: f"{j.instances:g}" if j.instances else "",
        lambda j: j.instances,
        align_right=True,
        width=70,
    ),
    Column("Status reason", lambda j: j.status_reason, tooltip=lambda j: j.status_reason, width=260),
    _time_column("Created", "created_at_ms"),
    _time_column("Started", "started_at_ms"),
    _time_column("Stopped", "stopped_at_ms"),
    Column("Job ID", lambda j: j.job_id, width=260),
]


class ServiceJobsPanel(TrainingPanel[ServiceJob]):
    panel_id = "service-jobs"
    title = "Service jobs"
    empty_text = (
        "A service job is a SageMaker training job submitted through a SAGEMAKER_TRAINING job queue: "
        "it waits RUNNABLE until its queue's service environment (and quota share) has the instances."
    )

    dialog: SubmitServiceJobDialog | ServiceJobPriorityDialog | None = None
    # Opens the "Why is it RUNNABLE?" pane for a service job id (set by the composition root).
    on_why_runnable: Callable[[str], object] | None = None
    why_action: QAction

    def make_columns(self) -> list[Column[ServiceJob]]:
        return COLUMNS

    def row_arn(self, row: ServiceJob) -> str:
        return row.arn

    def add_actions(self) -> None:
        self.add_create_action("Submit…", self.submit_new, "Submit a service job")
        self.add_row_action(
            "Edit priority…", self.change_priority, "Change the scheduling priority", "Ctrl+E"
        )
        self.why_action = self.add_row_action(
            "Why is it RUNNABLE?…", self.why_runnable, "What keeps the service job from starting"
        )
        self.why_action.setIcon(icon("help"))  # the action bar's words-to-icons table has no "why"
        # Only a waiting job has a why (add_row_action enables it for any selected row).
        self.table.selectionModel().selectionChanged.connect(self._enable_why)
        self.model.rows_changed.connect(self._enable_why)
        self._enable_why()
        self.add_tags_action()
        self.add_delete_action("Terminate the service job", "Terminate…")

    def _enable_why(self, *_: object) -> None:
        row = self.selected_row()
        self.why_action.setEnabled(row is not None and row.status == "RUNNABLE")

    def why_runnable(self) -> None:
        row = self.selected_row()
        if row is not None and row.status == "RUNNABLE" and self.on_why_runnable is not None:
            self.on_why_runnable(row.job_id)

    async def load(self) -> None:
        self.model.set_rows(await self.training.service_jobs())

    def detail_name(self, row: ServiceJob) -> tuple[str, str]:
        return "Name", f"{row.name} ({row.job_id})"

    def more_details(self, row: ServiceJob) -> list[tuple[str, str]]:
        details = [
            ("Status", f"{row.status}: {row.status_reason}" if row.status_reason else row.status),
            ("Job queue", row.queue_name),
            ("Quota share", row.quota_share or "(none)"),
            ("Instances in use", f"{row.instances:g}"),
            (
                "Created / started / stopped",
                " / ".join(
                    _time(t) or "-" for t in (row.created_at_ms, row.started_at_ms, row.stopped_at_ms)
                ),
            ),
            ("Training job", row.training_job_arn or "(not started)"),
        ]
        connection = self.connection
        if connection is not None and connection.is_local:
            details.append(("Note", SIMULATED_NOTE))
        return details

    def submit_new(self) -> None:
        self.spawn(self._submit(), "Submit service job")

    async def _submit(self) -> None:
        queues = await self.training.training_queues()
        shares: dict[str, list[str]] = {}
        for share in await self.training.quota_shares(queues):
            if share.state == "ENABLED":
                shares.setdefault(share.queue_name, []).append(share.name)
        dialog = SubmitServiceJobDialog(self.training.submit_service_job, queues, shares, self)
        await self.show_dialog("dialog", dialog)

    def change_priority(self) -> None:
        self.for_selected(self._priority, "Priority of")

    async def _priority(self, job: ServiceJob) -> None:
        dialog = ServiceJobPriorityDialog(self.training.set_service_job_priority, job, self)
        await self.show_dialog("dialog", dialog)

    def delete(self) -> None:
        self.for_selected(self._terminate, "Terminate")

    async def _terminate(self, job: ServiceJob) -> None:
        if job.finished:
            return
        await self.confirmed(
            "Terminate service job",
            f"Terminate service job {job.name} ({job.job_id})?\n\nIts training stops and the job FAILS.",
            f"Terminate {job.name}",
            lambda: self.training.terminate_service_job(job.job_id, "Terminated from batchgui"),
        )
