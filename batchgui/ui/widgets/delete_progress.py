"""Runs a DeletePlan and shows each step: what it does, where it is, and any error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from batchgui.services.inventory import DeletePlan, Progress, Step, StepState
from batchgui.ui.widgets.forms import error_style

# Runs a plan, reporting each step's progress: InventoryService.execute.
Execute = Callable[[DeletePlan, Progress], Awaitable[bool]]

MARK = {
    StepState.PENDING: "○",
    StepState.RUNNING: "◐",
    StepState.DONE: "✔",
    StepState.FAILED: "✖",
    StepState.SKIPPED: "·",
    StepState.CANCELLED: "■",
}


class DeleteProgressDialog(QDialog):
    """Shows the plan's steps, runs them, and offers Cancel while they run."""

    finished_plan = Signal(bool)

    def __init__(self, execute: Execute, plan: DeletePlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deleteProgressDialog")
        self.setWindowTitle(f"Deleting {plan.kind} {plan.name}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(620, 320)
        self._execute = execute
        self.plan = plan
        self.heading = QLabel(f"Deleting {plan.kind} <b>{plan.name}</b>")
        self.steps = QListWidget()
        self.steps.setObjectName("deleteSteps")
        self.steps.setWordWrap(True)
        for step in plan.steps:
            self.steps.addItem(QListWidgetItem(self._text(step)))
        self.bar = QProgressBar()
        self.bar.setRange(0, len(plan.steps))
        self.bar.setValue(0)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the call in progress; steps already done stay done")
        self.close_button = QPushButton("Close")
        self.close_button.setEnabled(False)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.task: asyncio.Task[Any] | None = None
        self.succeeded: bool | None = None

    @staticmethod
    def _text(step: Step) -> str:
        text = f"{MARK[step.state]}  {step.describe()}"
        if step.detail:
            text += f"\n      {step.detail}"
        return text

    def _progress(self, index: int, step: Step) -> None:
        item = self.steps.item(index)
        if item is not None:
            item.setText(self._text(step))
            if step.state is StepState.FAILED:
                item.setForeground(Qt.GlobalColor.red)
            if step.state is StepState.RUNNING:
                self.steps.setCurrentRow(index)
        self.bar.setValue(sum(1 for s in self.plan.steps if s.state is StepState.DONE))

    def start(self) -> asyncio.Task[Any]:
        """Open the dialog and start the deletes."""
        self.open()
        self.task = asyncio.ensure_future(self._run())
        return self.task

    async def _run(self) -> None:
        try:
            ok = await self._execute(self.plan, self._progress)
        except asyncio.CancelledError:
            self._done(False, "Cancelled. Steps marked ✔ were done; nothing after them was sent.")
            return
        if ok:
            self._done(True, f"The {self.plan.kind} {self.plan.name} was deleted.")
        else:
            failed = self.plan.failed_step
            where = failed.describe() if failed else "a step"
            self._done(False, f"Stopped: “{where}” failed. Fix the cause and run the delete again.")

    def _done(self, ok: bool, text: str) -> None:
        self.succeeded = ok
        self.result_label.setText(text)
        self.result_label.setStyleSheet(error_style(self.result_label, not ok))
        self.cancel_button.setEnabled(False)
        self.close_button.setEnabled(True)
        self.close_button.setDefault(True)
        self.finished_plan.emit(ok)

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        # Escape while running means Cancel; the dialog stays to show what was done.
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return
        super().reject()
