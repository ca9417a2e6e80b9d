"""The Submissions panel's cost line: what the selected submission's jobs cost, and each array's
part, estimated on request (a link: it reads every array's children, not done for every row shown).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from batchgui.domain.pricing import format_usd
from batchgui.services.journal import Unit
from batchgui.services.pricing import JobsCost, PricingService
from batchgui.ui.widgets.forms import Spawn

ASK = "<b>Cost</b>: <a href='cost'>Estimate what this submission's jobs cost…</a>"


def cost_text(found: JobsCost) -> str:
    if found.cost is None:
        return "<b>Cost</b>: not known yet (no job has run, or no price for this region)."
    text = f"<b>Cost</b>: about {escape(found.cost.text)} — an estimate ({escape(found.cost.basis)}"
    text += f"; {found.priced} job{'s' if found.priced != 1 else ''} priced"
    if found.not_priced:
        text += f", {found.not_priced} not (not started, gone, or no price)"
    text += ")"
    if found.arrays:
        parts = [f"{job_id} {format_usd(c.high)}" for job_id, c in sorted(found.arrays.items())]
        text += "; per array: " + escape(" · ".join(parts[:5])) + (" …" if len(parts) > 5 else "")
    return text + "."


class SubmissionCostLine(QLabel):
    """Shown over a submission's rows; `pricing` and `spawn` are set by the composition root."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(ASK, parent)
        self.setObjectName("submissionCost")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.pricing: PricingService | None = None
        self.spawn: Spawn | None = None
        self.submission_id = ""
        self.job_ids: list[str] = []
        self.linkActivated.connect(lambda _href: self.ask())
        self.setVisible(False)

    def set_units(self, submission_id: str, units: list[Unit]) -> None:
        if submission_id != self.submission_id:
            self.setText(ASK)
        self.submission_id = submission_id
        self.job_ids = [u.job_id for u in units if u.job_id]
        self.setVisible(bool(self.job_ids) and self.pricing is not None)

    def ask(self) -> None:
        if self.pricing is not None and self.spawn is not None and self.job_ids:
            self.spawn(self.estimate(), f"Estimate the cost of submission {self.submission_id}")

    async def estimate(self) -> str:
        assert self.pricing is not None
        asked = self.submission_id
        self.setText("<b>Cost</b>: estimating…")
        found = await self.pricing.jobs_cost(self.job_ids, asked)
        if asked == self.submission_id:
            self.setText(cost_text(found))
        return cost_text(found)
