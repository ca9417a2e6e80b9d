"""Submit a service job: a SageMaker CreateTrainingJob request as its payload, to a SAGEMAKER_TRAINING
job queue, optionally in a quota share; and change a service job's scheduling priority."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from batchgui.domain.training import MAX_PRIORITY, ServiceJob, ServiceJobRequest
from batchgui.ui.quota_shares.dialog import NO_TRAINING_QUEUE
from batchgui.ui.widgets.forms import ApplyDialog, RequestDialog, Send, data_combo, spin_box
from batchgui.ui.widgets.json_editor import JsonEditor

PriorityFn = Callable[[str, int], Awaitable[object]]
PAYLOAD_TEMPLATE = {
    "AlgorithmSpecification": {"TrainingImage": "IMAGE_URI", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::ACCOUNT:role/SageMakerRole",
    "OutputDataConfig": {"S3OutputPath": "s3://BUCKET/output/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


class SubmitServiceJobDialog(RequestDialog[ServiceJobRequest]):
    def __init__(
        self,
        send: Send[ServiceJobRequest],
        queues: list[tuple[str, str]],
        shares: dict[str, list[str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Submit service job", "Submit", send, parent)
        self.setObjectName("submitServiceJobDialog")
        self.resize(640, 600)
        self._shares = shares
        self.name = QLineEdit()
        self.name.setObjectName("serviceJobName")
        self.queue = data_combo(queues, "serviceJobQueue")
        self.share = QComboBox()
        self.share.setObjectName("serviceJobShare")
        self.share.setToolTip("The quota share whose capacity the job uses (optional)")
        self.priority = spin_box(-1, MAX_PRIORITY, -1, special="queue's default")
        self.payload = JsonEditor()
        self.payload.setObjectName("serviceJobPayload")
        self.payload.setPlainText(json.dumps(PAYLOAD_TEMPLATE, indent=2))
        self.queue.currentIndexChanged.connect(self._queue_changed)
        self._queue_changed()
        form = QFormLayout()
        form.addRow("Job name:", self.name)
        form.addRow("Job queue:", self.queue)
        form.addRow("Quota share:", self.share)
        form.addRow("Scheduling priority:", self.priority)
        self.body.addLayout(form)
        self.body.addWidget(QLabel("CreateTrainingJob request (the service request payload):"))
        self.body.addWidget(self.payload, 1)
        if not queues:
            self.set_status(NO_TRAINING_QUEUE, error=True)

    def _queue_changed(self, *_args: object) -> None:
        self.share.clear()
        self.share.addItem("(none)", "")
        for name in self._shares.get(self.queue.currentText(), []):
            self.share.addItem(name, name)

    def request(self) -> ServiceJobRequest:
        priority = self.priority.value()
        return ServiceJobRequest(
            self.name.text().strip(),
            str(self.queue.currentData() or ""),
            self.payload.toPlainText(),
            quota_share=str(self.share.currentData() or ""),
            priority=None if priority < 0 else priority,
        )


class ServiceJobPriorityDialog(ApplyDialog):
    def __init__(self, send: PriorityFn, job: ServiceJob, parent: QWidget | None = None) -> None:
        super().__init__(f"Priority of {job.name}", "Update", parent)
        self.setObjectName("serviceJobPriorityDialog")
        self._send = send
        self.job = job
        self.priority = spin_box(0, MAX_PRIORITY, job.priority or 0, tooltip="Higher runs first in its share")
        self.priority.setObjectName("serviceJobPriority")
        form = QFormLayout()
        form.addRow("Scheduling priority:", self.priority)
        self.body.addLayout(form)

    async def apply(self) -> None:
        await self._send(self.job.job_id, self.priority.value())
