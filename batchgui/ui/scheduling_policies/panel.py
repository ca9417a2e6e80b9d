"""Fair-share scheduling policies: list, create, edit, delete, tags."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.ui.dialogs import confirm
from batchgui.ui.scheduling_policies.dialog import SchedulingPolicyDialog
from batchgui.ui.widgets.actions import add_action, admin_gateway, edit_tags
from batchgui.ui.widgets.panel import ListPanel, PanelServices
from batchgui.ui.widgets.table_model import Column


def _shares(policy: SchedulingPolicy) -> str:
    return ", ".join(f"{s.identifier}={s.weight:g}" for s in policy.shares)


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


COLUMNS: list[Column[SchedulingPolicy]] = [
    Column("Name", lambda p: p.name, width=200),
    Column(
        "Share decay (s)",
        lambda p: _opt(p.share_decay_s),
        lambda p: p.share_decay_s,
        align_right=True,
        width=110,
    ),
    Column(
        "Compute reservation",
        lambda p: _opt(p.compute_reservation),
        lambda p: p.compute_reservation,
        align_right=True,
        width=130,
    ),
    Column("Shares", lambda p: str(len(p.shares)), lambda p: len(p.shares), align_right=True, width=60),
    Column("Share weights", _shares, tooltip=_shares, width=260),
    Column("Tags", lambda p: ", ".join(f"{k}={v}" for k, v in sorted(p.tags.items())), width=160),
]


class SchedulingPoliciesPanel(ListPanel[SchedulingPolicy]):
    panel_id = "scheduling-policies"
    title = "Scheduling policies"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(services, COLUMNS, lambda p: p.arn, parent)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        add_action(
            self,
            "Create…",
            self.create_new,
            shortcut="Ctrl+Shift+N",
            tooltip="Create a fair-share policy",
            needs_selection=False,
        )
        edit = add_action(
            self, "Edit…", self.edit, shortcut="Ctrl+E", tooltip="Share decay, reservation, weights"
        )
        tags = add_action(self, "Tags…", self.tags, shortcut="Ctrl+T", tooltip="View and edit tags")
        delete = add_action(
            self,
            "Delete…",
            self.delete,
            shortcut=QKeySequence.StandardKey.Delete,
            tooltip="Delete the policy",
        )
        # The same actions in the right-click menu, with their shortcuts and enabled state.
        self.row_actions = [edit, tags, delete]
        self.dialog: SchedulingPolicyDialog | None = None

    async def load(self) -> None:
        backend = self.backend
        assert backend is not None  # refresh() loads only while connected
        admin = await admin_gateway(self, backend)
        rows = await self.services.runner.run(admin.list_scheduling_policies)
        self.model.set_rows(rows)
        if not rows:
            self.details.setHtml(
                "<p>No scheduling policies yet.</p>"
                "<p>Without one, a job queue runs jobs first in, first out. "
                "A fair-share policy splits the queue's capacity between <i>share identifiers</i> (set when "
                "a job is submitted) by weight. Create one with <b>Create</b> (Ctrl+Shift+N), then choose it "
                "when you create a job queue.</p>"
            )

    def row_details(self, row: SchedulingPolicy) -> list[tuple[str, str]]:
        return [
            ("Name", row.name),
            ("ARN", row.arn),
            ("Share decay", f"{row.share_decay_s} s" if row.share_decay_s is not None else "(none)"),
            ("Compute reservation", _opt(row.compute_reservation) or "(none)"),
            ("Share weights", "\n".join(f"{s.identifier}: {s.weight:g}" for s in row.shares)),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(row.tags.items()))),
        ]

    def create_new(self) -> None:
        self.spawn(self._open(None), "Create scheduling policy")

    def edit(self) -> None:
        policy = self.selected_row()
        if policy is not None:
            self.spawn(self._open(policy), f"Edit {policy.name}")

    async def _open(self, policy: SchedulingPolicy | None) -> None:
        backend = self.backend
        if backend is None:
            return
        runner = self.services.runner
        admin = await admin_gateway(self, backend)

        async def send(name_or_arn: str, fair: dict[str, Any]) -> None:
            if policy is None:
                await runner.run(admin.create_scheduling_policy, name_or_arn, fair, None)
            else:
                await runner.run(admin.update_scheduling_policy, name_or_arn, fair)

        self.dialog = SchedulingPolicyDialog(send, policy, self)
        try:
            if await self.dialog.ask():
                self.refresh()
        finally:
            self.dialog.deleteLater()
            self.dialog = None

    def tags(self) -> None:
        policy = self.selected_row()
        if policy is not None:
            self.spawn(edit_tags(self, policy.arn), f"Tags of {policy.name}")

    def delete(self) -> None:
        policy = self.selected_row()
        if policy is not None:
            self.spawn(self._delete(policy), f"Delete {policy.name}")

    async def _delete(self, policy: SchedulingPolicy) -> None:
        backend = self.backend
        if backend is None:
            return
        text = (
            f"Delete scheduling policy {policy.name}?\n\nAWS refuses while a job queue uses it; "
            "queues can't drop a policy, so delete or recreate those queues first."
        )
        if not await confirm(self, "Delete scheduling policy", text, f"Delete {policy.name}"):
            return
        admin = await admin_gateway(self, backend)
        await self.services.runner.run(admin.delete_scheduling_policy, policy.arn)
        self.refresh()
