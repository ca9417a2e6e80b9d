"""Quota shares of the SAGEMAKER_TRAINING job queues: list, create, change, enable/disable, delete, tags."""

from __future__ import annotations

from batchgui.domain.training import QuotaShare, limits_text
from batchgui.ui.quota_shares.dialog import QuotaShareDialog
from batchgui.ui.training_panel import TrainingPanel
from batchgui.ui.widgets.actions import tags_text
from batchgui.ui.widgets.table_model import Column

COLUMNS: list[Column[QuotaShare]] = [
    Column("Name", lambda s: s.name, width=160),
    Column("Job queue", lambda s: s.queue_name, width=160),
    Column("State", lambda s: s.state, width=80),
    Column("Status", lambda s: s.status, width=90),
    Column("Capacity limits", lambda s: limits_text(s.limits), width=200),
    Column("In use", lambda s: s.in_use_text, width=200),
    Column("Sharing", lambda s: s.sharing_text, width=200),
    Column("In-share preemption", lambda s: "on" if s.in_share_preemption else "off", width=130),
    Column("Tags", lambda s: tags_text(s.tags, ", "), width=160),
]


class QuotaSharesPanel(TrainingPanel[QuotaShare]):
    panel_id = "quota-shares"
    title = "Quota shares"
    empty_text = (
        "A quota share gives a team or project its own capacity inside a SAGEMAKER_TRAINING job queue; "
        "service jobs name their share when submitted, and wait RUNNABLE while it is full."
    )

    kind = "quota share"
    dialog: QuotaShareDialog | None = None

    def make_columns(self) -> list[Column[QuotaShare]]:
        return COLUMNS

    def add_actions(self) -> None:
        self.add_create_action("Create…", self.create_new, "Create a quota share")
        self.add_row_action("Edit…", self.edit, "Limits, sharing, preemption", "Ctrl+E")
        self.add_toggle_action(
            "quota share",
            "Service jobs can no longer be submitted to it; those submitted keep their place.",
        )
        self.add_tags_action()
        self.add_delete_action("Delete the quota share (disable it first)")

    async def load(self) -> None:
        self.model.set_rows(await self.training.quota_shares(with_use=True))

    def more_details(self, row: QuotaShare) -> list[tuple[str, str]]:
        return [
            ("Job queue", row.queue_arn),
            ("State / status", f"{row.state} / {row.status}"),
            ("Capacity limits", limits_text(row.limits)),
            ("Sharing", row.sharing_text),
            ("In-share preemption", "enabled" if row.in_share_preemption else "disabled"),
        ]

    async def set_row_state(self, row: QuotaShare, state: str) -> None:
        await self.training.set_quota_share_state(row, state)

    async def make_dialog(self, share: QuotaShare | None) -> QuotaShareDialog:
        queues = await self.training.training_queues() if share is None else []
        return QuotaShareDialog(self.training.save_quota_share, queues, share, self)

    async def delete_row(self, share: QuotaShare) -> None:
        await self.delete_disabling_first(
            "quota share",
            f"{share.name} of job queue {share.queue_name}",
            share.state == "ENABLED",
            lambda: self.training.set_quota_share_state(share, "DISABLED"),
            lambda: self.training.delete_quota_share(share.arn),
        )
