"""Compute environments (Fargate and EC2): list, filter, create through the advisor wizard, edit,
enable/disable, tags, and the dependency-aware delete."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from batchgui.domain.batch import ComputeEnvironment
from batchgui.services.connections import Backend
from batchgui.ui.forms.common import error_text
from batchgui.ui.forms.compute_env_wizard import (
    ComputeEnvironmentWizard,
    EditComputeEnvironmentDialog,
    NetworkChoices,
)
from batchgui.ui.forms.delete_progress import DeleteProgressDialog
from batchgui.ui.models.table import Column
from batchgui.ui.panels.admin import (
    action_bar,
    add_action,
    add_filter_combo,
    edit_tags,
    inventory_for,
    run_delete,
    toggle_enabled,
    toggle_label,
)
from batchgui.ui.panels.base import ListPanel, PanelServices


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
        self.table.selectionModel().selectionChanged.connect(self._name_toggle)
        self.model.rows_changed.connect(self._name_toggle)
        self.wizard: ComputeEnvironmentWizard | None = None
        self.edit_dialog: EditComputeEnvironmentDialog | None = None

    async def load(self, backend: Backend) -> None:
        rows = await self.services.runner.run(backend.batch.describe_compute_environments)
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

    def context_actions(self, menu: QMenu, rows: list[ComputeEnvironment]) -> None:
        menu.addSeparator()
        menu.addAction("Edit…", self.edit)
        menu.addAction("Enable/Disable", self.toggle_state)
        menu.addAction("Tags…", self.tags)
        menu.addAction("Delete…", self.delete)

    def _selected(self) -> ComputeEnvironment | None:
        rows = self.selected_rows()
        return rows[0] if rows else None

    # --- actions ------------------------------------------------------------------------------
    def create_new(self) -> None:
        self.spawn(self._create(), "Create compute environment")

    async def network_choices(self, backend: Backend) -> NetworkChoices:
        """Subnets, security groups and roles to pick from; what can't be read is typed by hand."""
        runner = self.services.runner
        notes: list[str] = []
        subnets: list[Any] = []
        groups: list[Any] = []
        roles: list[Any] = []
        try:
            subnets = await runner.run(backend.ec2.describe_subnets)
            groups = await runner.run(backend.ec2.describe_security_groups)
        except Exception as error:
            notes.append(
                f"Could not list subnets or groups ({error_text(error).splitlines()[0]}): type their IDs."
            )
        try:
            roles = await runner.run(backend.iam.list_roles)
        except Exception as error:
            notes.append(f"Could not list IAM roles ({error_text(error).splitlines()[0]}): type the ARNs.")
        return NetworkChoices(subnets, groups, roles, " ".join(notes))

    async def _create(self) -> None:
        backend = self.backend
        if backend is None:
            return
        choices = await self.network_choices(backend)

        async def send(request: dict[str, Any]) -> None:
            await self.services.runner.run(backend.batch_admin.create_compute_environment, request)

        self.wizard = ComputeEnvironmentWizard(choices, send, self)
        try:
            if await self.wizard.ask():
                self.refresh()
        finally:
            self.wizard.deleteLater()
            self.wizard = None

    def edit(self) -> None:
        env = self._selected()
        if env is not None:
            self.spawn(self._edit(env), f"Edit {env.name}")

    async def _edit(self, env: ComputeEnvironment) -> None:
        backend = self.backend
        if backend is None:
            return

        async def send(request: dict[str, Any]) -> None:
            await self.services.runner.run(backend.batch_admin.update_compute_environment, request)

        self.edit_dialog = EditComputeEnvironmentDialog(env, send, self)
        try:
            if await self.edit_dialog.ask():
                self.refresh()
        finally:
            self.edit_dialog.deleteLater()
            self.edit_dialog = None

    def _name_toggle(self, *_args: object) -> None:
        env = self._selected()
        self.toggle_button.setText(toggle_label(env.state if env else None))

    def toggle_state(self) -> None:
        env = self._selected()
        if env is not None:
            self.spawn(self._toggle(env), f"Enable/disable {env.name}")

    async def _toggle(self, env: ComputeEnvironment) -> None:
        backend = self.backend
        if backend is None:
            return
        await toggle_enabled(
            self,
            kind="compute environment",
            name=env.name,
            state=env.state,
            disable_effect="Batch stops placing new jobs on it; jobs already running finish. "
            "Queues that use only this environment stop dispatching until it is enabled again.",
            set_state=backend.batch_admin.set_compute_environment_state,
        )

    def tags(self) -> None:
        env = self._selected()
        if env is not None:
            self.spawn(edit_tags(self, env.arn), f"Tags of {env.name}")

    def delete(self) -> None:
        env = self._selected()
        if env is not None:
            self.spawn(self._delete(env), f"Delete {env.name}")

    async def _delete(self, env: ComputeEnvironment) -> bool | None:
        backend = self.backend
        if backend is None:
            return None
        inventory = inventory_for(self, backend)
        plan = await inventory.plan_delete_compute_environment(env.name)
        return await run_delete(self, inventory, plan)
