"""Create a consumable resource, or change the total of one (set it, add to it, take from it)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from batchgui.domain.consumables import (
    RESOURCE_TYPES,
    ConsumableResource,
    ConsumableResourceRequest,
    ConsumableResourceUpdate,
)
from batchgui.domain.fargate import Problem
from batchgui.ui.widgets.forms import RequestDialog, Send, data_combo, name_field, spin_box

ResourceRequest = ConsumableResourceRequest | ConsumableResourceUpdate
# QSpinBox is 32-bit; larger totals are rare (licences, tokens), and the API takes up to 10^12.
SPIN_MAX = 2_000_000_000
OPERATION_LABELS = {"SET": "Set the total to", "ADD": "Add to the total", "REMOVE": "Take from the total"}


class ConsumableResourceDialog(RequestDialog[ResourceRequest]):
    def __init__(
        self,
        send: Send[ResourceRequest],
        resource: ConsumableResource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Change {resource.name}" if resource else "Create consumable resource",
            "Change" if resource else "Create",
            send,
            parent,
        )
        self.setObjectName("consumableResourceDialog")
        self.resize(480, 240)
        self.resource = resource
        self.name = name_field(resource.name if resource else "", "consumableName", resource is not None)
        self.kind = QComboBox()
        self.kind.addItems(RESOURCE_TYPES)
        self.kind.setToolTip(
            "REPLENISHABLE: a job gives its quantity back when it ends (licences). "
            "NON_REPLENISHABLE: what a job used is gone (a budget of runs)."
        )
        self.operation = data_combo((label, key) for key, label in OPERATION_LABELS.items())
        self.quantity = spin_box(0, SPIN_MAX, resource.total if resource else 10, group_digits=True)
        self.quantity.setObjectName("consumableQuantity")
        form = QFormLayout()
        form.addRow("Name:", self.name)
        if resource is None:
            form.addRow("Type:", self.kind)
            form.addRow("Total quantity:", self.quantity)
        else:
            self.kind.setCurrentText(resource.resource_type)
            self.kind.setEnabled(False)
            form.addRow("Type:", self.kind)
            form.addRow(
                "Now:",
                QLabel(f"{resource.in_use:,} in use of {resource.total:,} ({resource.free:,} available)"),
            )
            form.addRow(self.operation, self.quantity)
        self.body.addLayout(form)
        self.body.addStretch(1)

    def request(self) -> ResourceRequest:
        if self.resource is not None:
            return ConsumableResourceUpdate(
                self.resource.arn, str(self.operation.currentData()), self.quantity.value()
            )
        return ConsumableResourceRequest(
            self.name.text().strip(), self.quantity.value(), self.kind.currentText()
        )

    def request_problems(self, request: ResourceRequest) -> list[Problem | str]:
        problems = request.problems()
        if (
            isinstance(request, ConsumableResourceUpdate)
            and self.resource is not None
            and request.operation == "REMOVE"
            and request.quantity > self.resource.total
        ):
            problems.append(f"Can't take {request.quantity:,} from a total of {self.resource.total:,}")
        return problems
