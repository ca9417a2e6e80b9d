"""Compute environments (Fargate and EC2): list, filter, create through the advisor wizard, edit,
enable/disable, tags, and the dependency-aware delete."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from batchgui.domain.batch import ComputeEnvironment
from batchgui.services.connections import Backend
from batchgui.ui.compute_envs.wizard import (
    ChoicesTarget,
    ComputeEnvironmentWizard,
    EditComputeEnvironmentDialog,
    NetworkChoices,
)
from batchgui.ui.widgets.actions import (
    action_bar,
    add_action,
    add_filter_combo,
    admin_gateway,
    edit_tags,
    inventory_for,
    run_delete,
    toggle_enabled,
    toggle_label,
)
from batchgui.ui.widgets.delete_progress import DeleteProgressDialog
from batchgui.ui.widgets.forms import error_text
from batchgui.ui.widgets.panel import ListPanel, PanelServices
from batchgui.ui.widgets.table_model import Column


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


COLUMNS: list[Column[ComputeEnvironment]] = [
    Column("Name", lambda c: c.name, width=180),
    Column("Type", lambda c: c.type, width=90),
    Column("Platform", lambda c: c.platform.value if c.platform else "", width=100),
    Column("State", lambda c: c.state, width=80),
    Column("Status", lambda c: c.status, width=80),
    Column("Min vCPU", lambda c: _num(c.min_vcpus), lambda c: c.min_vcpus, align_right=True, width=70),
    Column(
        "Desired vCPU", lambda c: _num(c.desired_vcpus), lambda c: c.desired_vcpus, align_right=True, width=90
    ),
    Column("Max vCPU", lambda c: _num(c.max_vcpus), lambda c: c.max_vcpus, align_right=True, width=70),
    Column("Instance types", lambda c: ", ".join(c.instance_types), width=140),
    Column("Subnets", lambda c: str(len(c.subnets)), lambda c: len(c.subnets), align_right=True, width=60),
    Column(
        "ECS cluster", lambda c: c.ecs_cluster_arn.rsplit("/", 1)[-1], tooltip=lambda c: c.ecs_cluster_arn
    ),
    Column("Tags", lambda c: _tags(c.tags), tooltip=lambda c: _tags(c.tags), width=140),
    Column("Status reason", lambda c: c.status_reason, tooltip=lambda c: c.status_reason, width=200),
]
ALL = "All"
PLATFORM_CHOICES = [f"{ALL} platforms", "FARGATE", "FARGATE_SPOT", "EC2", "SPOT", "UNMANAGED"]
STATE_CHOICES = [f"{ALL} states", "ENABLED", "DISABLED"]


class ComputeEnvironmentsPanel(ListPanel[ComputeEnvironment]):
    panel_id = "compute-environments"
    title = "Compute environments"
    # The progress dialog of the last dependency-aware delete (set by run_delete).
    last_delete_dialog: DeleteProgressDialog | None = None

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda c: c.arn, parent)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.platform_filter = add_filter_combo(self, "Platform", PLATFORM_CHOICES)
        self.state_filter = add_filter_combo(self, "State", STATE_CHOICES)
        self.platform_filter.currentTextChanged.connect(self._apply_filters)
        self.state_filter.currentTextChanged.connect(self._apply_filters)
        action_bar(self).addSeparator()
        self.create_button = add_action(
            self,
            "Create…",
            self.create_new,
            shortcut="Ctrl+Shift+N",
            tooltip="Create a compute environment",
            needs_selection=False,
        )
        self.edit_button = add_action(
            self, "Edit…", self.edit, shortcut="Ctrl+E", tooltip="Change state and vCPUs"
        )
        self.toggle_button = add_action(
            self, "Enable/Disable", self.toggle_state, tooltip="Enable or disable"
        )
        self.tags_button = add_action(
            self, "Tags…", self.tags, shortcut="Ctrl+T", tooltip="View and edit tags"
        )
        self.delete_button = add_action(
            self,
            "Delete…",
            self.delete,
            shortcut=QKeySequence.StandardKey.Delete,
            tooltip="Delete (shows what blocks it first)",
        )
        self.row_actions = [self.edit_button, self.toggle_button, self.tags_button, self.delete_button]
        self.table.selectionModel().selectionChanged.connect(self._name_toggle)
        self.model.rows_changed.connect(self._name_toggle)
        self.wizard: ComputeEnvironmentWizard | None = None
        self.edit_dialog: EditComputeEnvironmentDialog | None = None

    async def load(self) -> None:
        backend = self.backend
        assert backend is not None  # refresh() loads only while connected
        batch = await self.services.runner.run(lambda: backend.batch)
        rows = await self.services.runner.run(batch.describe_compute_environments)
        self.model.set_rows(rows)

    def _apply_filters(self, *_args: object) -> None:
        platform = self.platform_filter.currentText()
        state = self.state_filter.currentText()

        def keep(env: ComputeEnvironment) -> bool:
            if not platform.startswith(ALL):
                shown = env.platform.value if env.platform else "UNMANAGED"
                if shown != platform:
                    return False
            return state.startswith(ALL) or env.state == state

        self.model.set_row_filter(None if platform.startswith(ALL) and state.startswith(ALL) else keep)

    def row_details(self, row: ComputeEnvironment) -> list[tuple[str, str]]:
        return [
            ("Name", row.name),
            ("ARN", row.arn),
            ("Type", row.type),
            ("Platform", row.platform.value if row.platform else "(unmanaged)"),
            ("State / status", f"{row.state} / {row.status}"),
            ("Status reason", row.status_reason),
            (
                "vCPUs min / desired / max",
                f"{_num(row.min_vcpus) or '-'} / {_num(row.desired_vcpus) or '-'} / {_num(row.max_vcpus)}",
            ),
            ("Instance types", ", ".join(row.instance_types)),
            ("Allocation strategy", row.allocation_strategy),
            ("Subnets", "\n".join(row.subnets)),
            ("Security groups", "\n".join(row.security_groups)),
            ("ECS cluster", row.ecs_cluster_arn),
            ("Service role", row.service_role),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(row.tags.items()))),
        ]

    # --- actions ------------------------------------------------------------------------------
    def create_new(self) -> None:
        self.spawn(self._create(), "Create compute environment")

    async def network_choices(self, backend: Backend) -> NetworkChoices:
        """Subnets, security groups and roles to pick from, read in parallel on workers (the gateways,
        and so their boto3 clients, are created there too); what can't be read is typed by hand."""
        runner = self.services.runner
        ec2, iam = await runner.run(lambda: (backend.ec2, backend.iam))
        results = await asyncio.gather(
            runner.run(ec2.describe_subnets),
            runner.run(ec2.describe_security_groups),
            runner.run(iam.list_roles),
            return_exceptions=True,
        )
        subnets = [] if isinstance(results[0], BaseException) else results[0]
        groups = [] if isinstance(results[1], BaseException) else results[1]
        roles = [] if isinstance(results[2], BaseException) else results[2]
        notes: list[str] = []
        network_error = next((r for r in results[:2] if isinstance(r, BaseException)), None)
        if network_error is not None:
            if not isinstance(network_error, Exception):
                raise network_error  # cancelled: nothing to show
            reason = error_text(network_error).splitlines()[0]
            notes.append(f"Could not list subnets or groups ({reason}): type their IDs.")
        if isinstance(results[2], BaseException):
            if not isinstance(results[2], Exception):
                raise results[2]
            reason = error_text(results[2]).splitlines()[0]
            notes.append(f"Could not list IAM roles ({reason}): type the ARNs.")
        return NetworkChoices(subnets, groups, roles, " ".join(notes))

    async def _fill_choices(self, backend: Backend, target: ChoicesTarget) -> None:
        target.set_choices(await self.network_choices(backend))

    async def _create(self) -> None:
        backend = self.backend
        if backend is None:
            return

        async def send(request: dict[str, Any]) -> None:
            admin = await admin_gateway(self, backend)
            await self.services.runner.run(admin.create_compute_environment, request)

        # Open at once; the subnet, security-group and role lists say "Loading…" until they arrive.
        self.wizard = ComputeEnvironmentWizard(NetworkChoices(loading=True), send, self)
        filling = self.spawn(self._fill_choices(backend, self.wizard), "List subnets, groups and roles")
        try:
            if await self.wizard.ask():
                self.refresh()
        finally:
            filling.cancel()
            self.wizard.deleteLater()
            self.wizard = None

    def edit(self) -> None:
        env = self.selected_row()
        if env is not None:
            self.spawn(self._edit(env), f"Edit {env.name}")

    async def _edit(self, env: ComputeEnvironment) -> None:
        backend = self.backend
        if backend is None:
            return

        async def send(request: dict[str, Any]) -> None:
            admin = await admin_gateway(self, backend)
            await self.services.runner.run(admin.update_compute_environment, request)

        self.edit_dialog = EditComputeEnvironmentDialog(env, send, self)
        filling = self.spawn(self._fill_choices(backend, self.edit_dialog), "List subnets and groups")
        try:
            if await self.edit_dialog.ask():
                self.refresh()
        finally:
            filling.cancel()
            self.edit_dialog.deleteLater()
            self.edit_dialog = None

    def _name_toggle(self, *_args: object) -> None:
        env = self.selected_row()
        self.toggle_button.setText(toggle_label(env.state if env else None))

    def toggle_state(self) -> None:
        env = self.selected_row()
        if env is not None:
            self.spawn(self._toggle(env), f"Enable/disable {env.name}")

    async def _toggle(self, env: ComputeEnvironment) -> None:
        backend = self.backend
        if backend is None:
            return
        admin = await admin_gateway(self, backend)
        await toggle_enabled(
            self,
            kind="compute environment",
            name=env.name,
            state=env.state,
            disable_effect="Batch stops placing new jobs on it; jobs already running finish. "
            "Queues that use only this environment stop dispatching until it is enabled again.",
            set_state=admin.set_compute_environment_state,
        )

    def tags(self) -> None:
        env = self.selected_row()
        if env is not None:
            self.spawn(edit_tags(self, env.arn), f"Tags of {env.name}")

    def delete(self) -> None:
        env = self.selected_row()
        if env is not None:
            self.spawn(self._delete(env), f"Delete {env.name}")

    async def _delete(self, env: ComputeEnvironment) -> bool | None:
        backend = self.backend
        if backend is None:
            return None
        inventory = await inventory_for(self, backend)
        plan = await inventory.plan_delete_compute_environment(env.name)
        return await run_delete(self, inventory, plan)
