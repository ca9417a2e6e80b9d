"""Create a service environment, or change its instance limit."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from batchgui.domain.training import ServiceEnvironment, ServiceEnvironmentRequest, ServiceEnvironmentUpdate
from batchgui.ui.widgets.forms import RequestDialog, Send, name_field, spin_box

EnvironmentRequest = ServiceEnvironmentRequest | ServiceEnvironmentUpdate
MAX_INSTANCES = 100_000


class ServiceEnvironmentDialog(RequestDialog[EnvironmentRequest]):
    def __init__(
        self,
        send: Send[EnvironmentRequest],
        environment: ServiceEnvironment | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Change {environment.name}" if environment else "Create service environment",
            "Update" if environment else "Create",
            send,
            parent,
        )
        self.setObjectName("serviceEnvironmentDialog")
        self.resize(480, 220)
        self.environment = environment
        self.name = name_field(
            environment.name if environment else "", "serviceEnvironmentName", environment is not None
        )
        self.max_instances = spin_box(
            1,
            MAX_INSTANCES,
            environment.max_instances if environment and environment.max_instances else 4,
            " instances",
            "The most SageMaker training instances this environment's jobs use at once",
        )
        self.max_instances.setObjectName("serviceEnvironmentInstances")
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Type:", QLabel("SageMaker Training (SAGEMAKER_TRAINING)"))
        form.addRow("Capacity:", self.max_instances)
        self.body.addLayout(form)
        note = QLabel(
            "Job queues of type SAGEMAKER_TRAINING use service environments; "
            "jobs waiting for capacity stay RUNNABLE."
        )
        note.setWordWrap(True)
        self.body.addWidget(note)
        self.body.addStretch(1)

    def request(self) -> EnvironmentRequest:
        if self.environment is not None:
            return ServiceEnvironmentUpdate(self.environment.arn, self.max_instances.value())
        return ServiceEnvironmentRequest(self.name.text().strip(), self.max_instances.value())
