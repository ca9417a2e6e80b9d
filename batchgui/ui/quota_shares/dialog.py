"""Create a quota share of a SAGEMAKER_TRAINING job queue, or change one: capacity limits per instance
type, how idle capacity is shared (reserve, lend, lend and borrow up to a limit), in-share preemption."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QWidget

from batchgui.domain.fargate import Problem
from batchgui.domain.training import (
    STRATEGIES,
    QuotaShare,
    QuotaShareRequest,
    QuotaShareUpdate,
    ShareSettings,
    parse_limits,
)
from batchgui.ui.widgets.forms import RequestDialog, Send, data_combo, name_field, spin_box
from batchgui.ui.widgets.pairs import PairsEditor

ShareRequest = QuotaShareRequest | QuotaShareUpdate
NO_TRAINING_QUEUE = "No SAGEMAKER_TRAINING job queue yet: create one first."
STRATEGY_HELP = {
    "RESERVE": "its idle capacity is kept for its own jobs",
    "LEND": "other shares may use its idle capacity",
    "LEND_AND_BORROW": "it lends its idle capacity and borrows others', up to the borrow limit",
}


class QuotaShareDialog(RequestDialog[ShareRequest]):
    def __init__(
        self,
        send: Send[ShareRequest],
        queues: list[tuple[str, str]],
        share: QuotaShare | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Change quota share {share.name}" if share else "Create quota share",
            "Update" if share else "Create",
            send,
            parent,
        )
        self.setObjectName("quotaShareDialog")
        self.resize(560, 480)
        self.share = share
        self.name = name_field(share.name if share else "", "quotaShareName", share is not None)
        self.queue = data_combo(queues, "quotaShareQueue")
        if share is not None:
            self.queue.addItem(share.queue_name, share.queue_arn)
            self.queue.setCurrentIndex(self.queue.count() - 1)
            self.queue.setEnabled(False)
        self.strategy = data_combo(
            ((f"{k}: {STRATEGY_HELP[k]}", k) for k in STRATEGIES), "quotaShareStrategy"
        )
        self.borrow = spin_box(
            -1,
            10_000,
            100,
            " %",
            "How much beyond its limits it may borrow, in percent",
            special="any amount",
        )
        self.borrow.setObjectName("quotaShareBorrow")
        self.preemption = QCheckBox("Preempt lower-priority jobs of this share for higher-priority ones")
        if share is not None:
            self.strategy.setCurrentIndex(max(0, self.strategy.findData(share.strategy)))
            if share.borrow_limit is not None:
                self.borrow.setValue(share.borrow_limit)
            self.preemption.setChecked(share.in_share_preemption)
        self.strategy.currentIndexChanged.connect(self._strategy_changed)
        self._strategy_changed()
        rows = [(x.unit, str(x.max_capacity)) for x in share.limits] if share else [("ml.m5.xlarge", "2")]
        self.limits = PairsEditor(("Instance type (e.g. ml.m5.xlarge)", "Max instances"), rows)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Job queue:", self.queue)
        form.addRow("Sharing:", self.strategy)
        form.addRow("Borrow limit:", self.borrow)
        form.addRow("", self.preemption)
        self.body.addLayout(form)
        self.body.addWidget(QLabel("Capacity limits (1 to 5):"))
        self.body.addWidget(self.limits, 1)
        if not queues and share is None:
            self.set_status(NO_TRAINING_QUEUE, error=True)

    def _strategy_changed(self, *_args: object) -> None:
        self.borrow.setEnabled(self.strategy.currentData() == "LEND_AND_BORROW")

    def form_problems(self) -> list[Problem | str]:
        return list(parse_limits(self.limits.model.pairs())[1])

    def request(self) -> ShareRequest:
        limits, _problems = parse_limits(self.limits.model.pairs())
        strategy = str(self.strategy.currentData())
        settings = ShareSettings(
            limits,
            strategy,
            self.borrow.value() if strategy == "LEND_AND_BORROW" else None,
            self.preemption.isChecked(),
        )
        if self.share is not None:
            return QuotaShareUpdate(self.share.arn, settings)
        return QuotaShareRequest(self.name.text().strip(), str(self.queue.currentData() or ""), settings)
