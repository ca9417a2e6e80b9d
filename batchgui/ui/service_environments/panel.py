"""Service environments: list, create, change the instance limit, enable/disable, delete, tags."""

from __future__ import annotations

from batchgui.domain.training import ServiceEnvironment, limits_text
from batchgui.ui.service_environments.dialog import ServiceEnvironmentDialog
from batchgui.ui.training_panel import TrainingPanel
from batchgui.ui.widgets.actions import tags_text
from batchgui.ui.widgets.table_model import Column

SIMULATED_NOTE = "On the local sandbox the training is simulated: no SageMaker training job runs."

COLUMNS: list[Column[ServiceEnvironment]] = [
    Column("Name", lambda e: e.name, width=200),
    Column("State", lambda e: e.state, width=80),
    Column("Status", lambda e: e.status, width=90),
    Column(
        "Max instances",
        lambda e: str(e.max_instances),
        lambda e: e.max_instances,
        align_right=True,
        width=100,
    ),
    Column("Type", lambda e: e.environment_type, width=160),
    Column("Tags", lambda e: tags_text(e.tags, ", "), width=160),
]


class ServiceEnvironmentsPanel(TrainingPanel[ServiceEnvironment]):
    panel_id = "service-environments"
    title = "Service environments"
    empty_text = (
        "A service environment is SageMaker Training capacity, in instances, for SAGEMAKER_TRAINING "
        "job queues: create one, then a queue that uses it, then submit service jobs."
    )

    kind = "service environment"
    dialog: ServiceEnvironmentDialog | None = None

    def make_columns(self) -> list[Column[ServiceEnvironment]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.add_create_action("Create…", self.create_new, "Create a service environment")
        self.add_row_action("Edit…", self.edit, "Change the instance limit", "Ctrl+E")
        self.add_toggle_action(
            "service environment",
            "Its queues' service jobs that have not started wait until it is enabled again.",
            self.training.set_service_environment_state,
        )
        self.add_tags_action()
        self.add_delete_action("Delete the service environment (disable it first)")

    async def load(self) -> None:
        self.model.set_rows(await self.training.service_environments())

    def more_details(self, row: ServiceEnvironment) -> list[tuple[str, str]]:
        details = [
            ("State / status", f"{row.state} / {row.status}"),
            ("Capacity limits", limits_text(row.limits)),
        ]
        connection = self.connection
        if connection is not None and connection.is_local:
            details.append(("Note", SIMULATED_NOTE))
        return details

    async def make_dialog(self, environment: ServiceEnvironment | None) -> ServiceEnvironmentDialog:
        return ServiceEnvironmentDialog(self.training.save_service_environment, environment, self)

    async def delete_row(self, environment: ServiceEnvironment) -> None:
        name = environment.name
        await self.delete_disabling_first(
            "service environment",
            f"{name} (AWS refuses while a job queue uses it)",
            environment.state == "ENABLED",
            lambda: self.training.set_service_environment_state(name, "DISABLED"),
            lambda: self.training.delete_service_environment(name),
        )
