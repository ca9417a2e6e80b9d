"""Compute environments (Fargate and EC2): list, filter, create through the advisor wizard, edit,
enable/disable, tags, and the dependency-aware delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchgui.domain.batch import ComputeEnvironment
from batchgui.ui.widgets.actions import Asking, InventoryPanel, action_bar, add_filter_combo, tags_text
from batchgui.ui.widgets.table_model import Column

if TYPE_CHECKING:
    # The advisor wizard is a big module a first paint does not need: imported when first opened.
    from batchgui.ui.compute_envs.wizard import (
        ChoicesTarget,
        ComputeEnvironmentWizard,
        EditComputeEnvironmentDialog,
    )


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _tags(env: ComputeEnvironment) -> str:
    return tags_text(env.tags, ", ")


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
    Column("Tags", _tags, tooltip=_tags, width=140),
    Column("Status reason", lambda c: c.status_reason, tooltip=lambda c: c.status_reason, width=200),
]
ALL = "All"
PLATFORM_CHOICES = [f"{ALL} platforms", "FARGATE", "FARGATE_SPOT", "EC2", "SPOT", "UNMANAGED"]
STATE_CHOICES = [f"{ALL} states", "ENABLED", "DISABLED"]


class ComputeEnvironmentsPanel(InventoryPanel[ComputeEnvironment]):
    panel_id = "compute-environments"
    title = "Compute environments"

    wizard: ComputeEnvironmentWizard | None = None
    edit_dialog: EditComputeEnvironmentDialog | None = None

    def make_columns(self) -> list[Column[ComputeEnvironment]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.platform_filter = add_filter_combo(self, "Platform", PLATFORM_CHOICES)
        self.state_filter = add_filter_combo(self, "State", STATE_CHOICES)
        self.platform_filter.currentTextChanged.connect(self._apply_filters)
        self.state_filter.currentTextChanged.connect(self._apply_filters)
        action_bar(self).addSeparator()
        self.create_button = self.add_create_action(
            "Create…", self.create_new, "Create a compute environment"
        )
        self.edit_button = self.add_row_action("Edit…", self.edit, "Change state and vCPUs", "Ctrl+E")
        self.add_toggle_action(
            "compute environment",
            "Batch stops placing new jobs on it; jobs already running finish. "
            "Queues that use only this environment stop dispatching until it is enabled again.",
            self.inventory.set_compute_environment_state,
        )
        self.tags_button = self.add_tags_action()
        self.delete_button = self.add_delete_action("Delete (shows what blocks it first)")

    async def load(self) -> None:
        self.model.set_rows(await self.inventory.compute_environments())

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

    def more_details(self, row: ComputeEnvironment) -> list[tuple[str, str]]:
        return [
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
        ]

    # --- actions ------------------------------------------------------------------------------
    def create_new(self) -> None:
        from batchgui.ui.compute_envs.wizard import ComputeEnvironmentWizard, NetworkChoices

        # Open at once; the subnet, security-group and role lists say "Loading…" until they arrive.
        wizard = ComputeEnvironmentWizard(
            NetworkChoices(loading=True), self.inventory.create_compute_environment, self
        )
        self.spawn(self._with_choices("wizard", wizard, wizard), "Create compute environment")

    def edit(self) -> None:
        env = self.selected_row()
        if env is not None:
            from batchgui.ui.compute_envs.wizard import EditComputeEnvironmentDialog

            dialog = EditComputeEnvironmentDialog(env, self.inventory.update_compute_environment, self)
            self.spawn(self._with_choices("edit_dialog", dialog, dialog), f"Edit {env.name}")

    async def _fill_choices(self, target: ChoicesTarget) -> None:
        target.set_choices(await self.inventory.network_choices())

    async def _with_choices(self, attribute: str, dialog: Asking, target: ChoicesTarget) -> None:
        """Show the form while its subnets, groups and roles are read in the background."""
        filling = self.spawn(self._fill_choices(target), "List subnets, groups and roles")
        try:
            await self.show_dialog(attribute, dialog)
        finally:
            filling.cancel()

    def delete(self) -> None:
        self.for_selected(self._delete, "Delete")

    async def _delete(self, env: ComputeEnvironment) -> bool | None:
        plan = await self.inventory.plan_delete_compute_environment(env.name)
        return await self.run_delete(plan)
