"""Fair-share scheduling policies: list, create, edit, delete, tags."""

from __future__ import annotations

from collections.abc import Callable

from batchgui.domain.scheduling import SchedulingPolicy
from batchgui.ui.scheduling_policies.dialog import SchedulingPolicyDialog
from batchgui.ui.widgets.actions import InventoryPanel, tags_text
from batchgui.ui.widgets.table_model import Column


def _shares(policy: SchedulingPolicy) -> str:
    return ", ".join(f"{s.identifier}={s.weight:g}" for s in policy.shares)


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _number_column(
    title: str, value: Callable[[SchedulingPolicy], int | None], width: int
) -> Column[SchedulingPolicy]:
    return Column(title, lambda p: _opt(value(p)), value, align_right=True, width=width)


COLUMNS: list[Column[SchedulingPolicy]] = [
    Column("Name", lambda p: p.name, width=200),
    _number_column("Share decay (s)", lambda p: p.share_decay_s, 110),
    _number_column("Compute reservation", lambda p: p.compute_reservation, 130),
    _number_column("Shares", lambda p: len(p.shares), 60),
    Column("Share weights", _shares, tooltip=_shares, width=260),
    Column("Tags", lambda p: tags_text(p.tags, ", "), width=160),
]


class SchedulingPoliciesPanel(InventoryPanel[SchedulingPolicy]):
    panel_id = "scheduling-policies"
    title = "Scheduling policies"

    kind = "scheduling policy"
    dialog: SchedulingPolicyDialog | None = None

    def make_columns(self) -> list[Column[SchedulingPolicy]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.add_create_action("Create…", self.create_new, "Create a fair-share policy")
        self.add_row_action("Edit…", self.edit, "Share decay, reservation, weights", "Ctrl+E")
        self.add_tags_action()
        self.add_delete_action("Delete the policy")

    async def load(self) -> None:
        rows = await self.inventory.scheduling_policies()
        self.model.set_rows(rows)
        if not rows:
            self.details.setHtml(
                "<p>No scheduling policies yet.</p>"
                "<p>Without one, a job queue runs jobs first in, first out. "
                "A fair-share policy splits the queue's capacity between <i>share identifiers</i> (set when "
                "a job is submitted) by weight. Create one with <b>Create</b> (Ctrl+Shift+N), then choose it "
                "when you create a job queue.</p>"
            )

    def more_details(self, row: SchedulingPolicy) -> list[tuple[str, str]]:
        return [
            ("Share decay", f"{row.share_decay_s} s" if row.share_decay_s is not None else "(none)"),
            ("Compute reservation", _opt(row.compute_reservation) or "(none)"),
            ("Share weights", "\n".join(f"{s.identifier}: {s.weight:g}" for s in row.shares)),
        ]

    async def make_dialog(self, policy: SchedulingPolicy | None) -> SchedulingPolicyDialog:
        return SchedulingPolicyDialog(self.inventory.save_scheduling_policy, policy, self)

    async def delete_row(self, policy: SchedulingPolicy) -> None:
        text = (
            f"Delete scheduling policy {policy.name}?\n\nAWS refuses while a job queue uses it; "
            "queues can't drop a policy, so delete or recreate those queues first."
        )
        await self.confirmed(
            "Delete scheduling policy",
            text,
            f"Delete {policy.name}",
            lambda: self.inventory.delete_scheduling_policy(policy.arn),
        )
