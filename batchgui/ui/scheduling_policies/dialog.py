"""Create or edit a fair-share scheduling policy: share decay, compute reservation, share weights."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QWidget

from batchgui.domain.fargate import Problem
from batchgui.domain.inventory_requests import (
    FairsharePolicy,
    SchedulingPolicyRequest,
    SchedulingPolicyUpdate,
    parse_shares,
)
from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.ui.widgets.forms import RequestDialog, Send, name_field, spin_box
from batchgui.ui.widgets.pairs import PairsEditor

PolicyRequest = SchedulingPolicyRequest | SchedulingPolicyUpdate
# CreateSchedulingPolicy for a new policy, UpdateSchedulingPolicy for an existing one.


class SchedulingPolicyDialog(RequestDialog[PolicyRequest]):
    def __init__(
        self, send: Send[PolicyRequest], policy: SchedulingPolicy | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Edit scheduling policy" if policy else "Create scheduling policy",
            "Update" if policy else "Create",
            send,
            parent,
        )
        self.setObjectName("schedulingPolicyDialog")
        self.resize(560, 520)
        self.policy = policy
        self.name = name_field(policy.name if policy else "", "policyName", policy is not None)
        self.decay_set = QCheckBox("Decay past usage")
        self.decay = spin_box(
            0, 604_800, suffix=" s", tooltip="How long past usage counts against a share (0-604,800 s)"
        )
        self.decay_set.toggled.connect(self.decay.setEnabled)
        self.reservation_set = QCheckBox("Reserve capacity for share identifiers not yet active")
        self.reservation = spin_box(0, 99, tooltip="Reserved fraction = (reservation/100)^active shares")
        self.reservation_set.toggled.connect(self.reservation.setEnabled)
        if policy is not None and policy.share_decay_s is not None:
            self.decay_set.setChecked(True)
            self.decay.setValue(policy.share_decay_s)
        if policy is not None and policy.compute_reservation is not None:
            self.reservation_set.setChecked(True)
            self.reservation.setValue(policy.compute_reservation)
        self.decay.setEnabled(self.decay_set.isChecked())
        self.reservation.setEnabled(self.reservation_set.isChecked())
        rows = [(s.identifier, f"{s.weight:g}") for s in policy.shares] if policy else []
        self.shares = PairsEditor(("Share identifier (prefix ends with *)", "Weight (lower gets more)"), rows)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow(self.decay_set, self.decay)
        form.addRow(self.reservation_set, self.reservation)
        self.body.addLayout(form)
        self.body.addWidget(QLabel("Share distribution:"))
        self.body.addWidget(self.shares, 1)

    def form_problems(self) -> list[Problem | str]:
        """The weights that are not numbers."""
        return list(parse_shares(self.shares.model.pairs())[1])

    def request(self) -> PolicyRequest:
        shares, _problems = parse_shares(self.shares.model.pairs())
        fairshare = FairsharePolicy(
            self.decay.value() if self.decay_set.isChecked() else None,
            self.reservation.value() if self.reservation_set.isChecked() else None,
            shares,
        )
        if self.policy is not None:
            return SchedulingPolicyUpdate(self.policy.arn, fairshare)
        return SchedulingPolicyRequest(self.name.text().strip(), fairshare)
