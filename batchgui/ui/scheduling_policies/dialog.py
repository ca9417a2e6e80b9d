"""Create or edit a fair-share scheduling policy: share decay, compute reservation, share weights."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from batchgui.domain.fargate import Problem
from batchgui.domain.scheduling import SchedulingPolicy, ShareAttribute, fairshare_policy, fairshare_problems
from batchgui.ui.widgets.forms import ApplyDialog
from batchgui.ui.widgets.pairs import PairsEditor

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")

# send(name, fairsharePolicy) for create; send(arn, fairsharePolicy) for update.
SendFn = Callable[[str, dict[str, Any]], Awaitable[object]]


class SchedulingPolicyDialog(ApplyDialog):
    def __init__(
        self, send: SendFn, policy: SchedulingPolicy | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Edit scheduling policy" if policy else "Create scheduling policy",
            "Update" if policy else "Create",
            parent,
        )
        self.setObjectName("schedulingPolicyDialog")
        self.resize(560, 520)
        self.policy = policy
        self._send = send
        self.name = QLineEdit(policy.name if policy else "")
        self.name.setObjectName("policyName")
        self.name.setReadOnly(policy is not None)
        self.decay_set = QCheckBox("Decay past usage")
        self.decay = QSpinBox()
        self.decay.setRange(0, 604_800)
        self.decay.setSuffix(" s")
        self.decay.setToolTip("How long past usage counts against a share (0-604,800 s)")
        self.decay_set.toggled.connect(self.decay.setEnabled)
        self.reservation_set = QCheckBox("Reserve capacity for share identifiers not yet active")
        self.reservation = QSpinBox()
        self.reservation.setRange(0, 99)
        self.reservation.setToolTip("Reserved fraction = (reservation/100)^active shares")
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

    def share_attributes(self, problems: list[Problem | str]) -> list[ShareAttribute]:
        shares: list[ShareAttribute] = []
        for identifier, weight in self.shares.model.pairs():
            try:
                value = float(weight) if weight else 1.0
            except ValueError:
                problems.append(f"Weight of {identifier!r} must be a number ({weight!r} given).")
                continue
            shares.append(ShareAttribute(identifier, value))
        return shares

    def fairshare(self, problems: list[Problem | str]) -> dict[str, Any]:
        shares = self.share_attributes(problems)
        decay = self.decay.value() if self.decay_set.isChecked() else None
        reservation = self.reservation.value() if self.reservation_set.isChecked() else None
        problems.extend(fairshare_problems(decay, reservation, shares))
        return fairshare_policy(decay, reservation, shares)

    def validate(self) -> list[Problem | str]:
        problems: list[Problem | str] = []
        if self.policy is None and not NAME.match(self.name.text().strip()):
            problems.append(
                Problem("name", "1-128 letters, digits, - and _, starting with a letter or digit")
            )
        self.fairshare(problems)
        return problems

    async def apply(self) -> None:
        fair = self.fairshare([])
        await self._send(self.policy.arn if self.policy else self.name.text().strip(), fair)
