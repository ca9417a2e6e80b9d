"""What the forms share: a dialog that applies its change asynchronously and shows the error inline
(ApplyDialog), one that sends a typed request (RequestDialog), a list of problems with their JSON paths,
form fields (name, whole numbers, push buttons), and awaiting a dialog without a nested event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.definition_request import JSON_LINE
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.fargate import Problem
from batchgui.domain.job_platforms import FAMILY_LABEL
from batchgui.ui.theme import is_dark

__all__ = [
    "FORM_MAX_WIDTH",
    "JSON_LINE",
    "ApplyDialog",
    "ProblemList",
    "RequestDialog",
    "Send",
    "Spawn",
    "add_rows",
    "cap_form_width",
    "data_combo",
    "emitted",
    "error_style",
    "error_text",
    "labelled_row",
    "mark_mismatches",
    "name_field",
    "problem_text",
    "push_button",
    "spin_box",
    "wait_and_delete",
    "wait_finished",
]

# Runs a coroutine in the background under a name the user reads if it fails (the panels' `spawn`).
Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


def problem_text(problem: Problem | str) -> str:
    """How a problem reads in a list: "path: message", or just the message for a place in JSON text
    (its message says the line)."""
    if isinstance(problem, Problem) and problem.path.startswith(JSON_LINE):
        return problem.message
    return str(problem)


def error_text(error: BaseException) -> str:
    if isinstance(error, BatchGuiError):
        return error.message()
    return f"{type(error).__name__}: {error}"


def emitted(signal: SignalInstance) -> asyncio.Future[Any]:
    """A future set to the first value `signal` emits from now on (None for a signal without one)."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def settle(*values: Any) -> None:
        if not future.done():
            future.set_result(values[0] if values else None)

    signal.connect(settle)
    return future


async def wait_finished(dialog: QDialog) -> int:
    """Open `dialog` window-modally (open(), not exec()) and wait for its result."""
    finished = emitted(dialog.finished)
    dialog.open()
    return int(await finished)


async def wait_and_delete(dialog: QDialog) -> int:
    """`wait_finished`, then delete the dialog later (read its values before the next await)."""
    try:
        return await wait_finished(dialog)
    finally:
        dialog.deleteLater()


def add_rows(form: QFormLayout, rows: Iterable[tuple[str, QWidget | QLayout]]) -> None:
    """Add labelled rows to `form` ("" for a row under the previous label)."""
    for label, field in rows:
        if isinstance(field, QLayout):
            form.addRow(label, field)
        else:
            form.addRow(label, field)


def spin_box(
    low: int,
    high: int,
    value: int = 0,
    suffix: str = "",
    tooltip: str = "",
    *,
    special: str = "",
    group_digits: bool = False,
) -> QSpinBox:
    """A whole-number field from `low` to `high`; `special` is what its lowest value reads as
    ("definition's", "none": the field left to its default); `group_digits` shows 2,000,000."""
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tooltip)
    spin.setSpecialValueText(special)
    spin.setGroupSeparatorShown(group_digits)
    return spin


def data_combo(items: Iterable[tuple[str, object]], object_name: str = "") -> QComboBox:
    """A combo box of (text, data) items: currentData() is what the form sends."""
    combo = QComboBox()
    if object_name:
        combo.setObjectName(object_name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


def name_field(name: str, object_name: str, existing: bool) -> QLineEdit:
    """A form's name field: read-only once the object exists (Batch can't rename it)."""
    field = QLineEdit(name)
    field.setObjectName(object_name)
    field.setReadOnly(existing)
    return field


def push_button(text: str, tip: str, slot: Callable[[], object], name: str = "") -> QPushButton:
    """A push button with its tooltip and what a click does."""
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    if name:
        button.setObjectName(name)
    return button


def labelled_row(fields: Iterable[tuple[str, QWidget]], stretch: int = 0) -> QHBoxLayout:
    """Several small fields on one form row, each after its label ("vCPU [ ]  Memory [ ]")."""
    row = QHBoxLayout()
    for label, field in fields:
        row.addWidget(QLabel(label))
        row.addWidget(field, stretch)
    return row


MISMATCH_COLOR = QColor("#9e9e9e")


def mark_mismatches(combo: QComboBox, family: str, family_of: Mapping[int, str], what: str) -> None:
    """Grey the combo's items whose platform is not `family`, with a tooltip saying why."""
    text = combo.currentText()
    for index in range(combo.count()):
        own = family_of.get(index, "")
        mismatch = bool(family and own and own != family)
        tip = FAMILY_LABEL.get(own, "")
        if mismatch:
            tip = f"{tip}: does not run the chosen {FAMILY_LABEL[family]} {what}"
        # Only real changes: a change to the current item resets an editable combo's typed text.
        if bool(combo.itemData(index, Qt.ItemDataRole.ForegroundRole)) != mismatch:
            combo.setItemData(
                index, QBrush(MISMATCH_COLOR) if mismatch else None, Qt.ItemDataRole.ForegroundRole
            )
        if (combo.itemData(index, Qt.ItemDataRole.ToolTipRole) or "") != tip:
            combo.setItemData(index, tip or None, Qt.ItemDataRole.ToolTipRole)
    if combo.isEditable() and combo.currentText() != text:
        combo.blockSignals(True)
        combo.setEditText(text)
        combo.blockSignals(False)


PROBLEM_ON_LIGHT, PROBLEM_ON_DARK = "#b00020", "#ff8a80"


class Tone(Enum):
    """What a message says, as its (light theme, dark theme) text colours: a shade that reads on
    one theme's background vanishes on the other's (dark red or green on dark grey)."""

    PLAIN = ("", "")
    PROBLEM = (PROBLEM_ON_LIGHT, PROBLEM_ON_DARK)
    WARNING = ("#8a5a00", "#ffcc80")
    OK = ("#1b5e20", "#a5d6a7")


def tone_colour(widget: QWidget, tone: Tone) -> str:
    light, dark = tone.value
    return dark if is_dark(widget.palette()) else light


def tone_style(widget: QWidget, tone: Tone) -> str:
    """The style sheet of a label that says something in `tone` on the widget's current theme."""
    colour = tone_colour(widget, tone)
    return f"color: {colour};" if colour else ""


def problem_colour(widget: QWidget) -> str:
    """Red that reads on the widget's background in the current theme (dark red vanished on dark)."""
    return tone_colour(widget, Tone.PROBLEM)


def error_style(widget: QWidget, error: bool = True) -> str:
    """The style sheet of a label that says what went wrong ("" for one that does not)."""
    return tone_style(widget, Tone.PROBLEM if error else Tone.PLAIN)


class ProblemList(QListWidget):
    """Problems found before sending: 'path: message' per line; activating one emits its path."""

    path_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemList")
        self.setMaximumHeight(130)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemActivated.connect(lambda item: self.path_activated.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.itemClicked.connect(lambda item: self.path_activated.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.hide()

    def show_problems(self, problems: Sequence[Problem | str]) -> None:
        self.clear()
        for problem in problems:
            if isinstance(problem, Problem):
                item = QListWidgetItem(problem_text(problem))
                item.setData(Qt.ItemDataRole.UserRole, problem.path)
            else:
                item = QListWidgetItem(problem)
                item.setData(Qt.ItemDataRole.UserRole, "")
            item.setForeground(QBrush(QColor(problem_colour(self))))
            self.addItem(item)
        self.setVisible(bool(problems))

    def texts(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]


# How wide a form dialog may grow (maximised, or dragged on a 1920 px screen): a form whose fields
# stretch across a whole wide screen reads as a row of empty bars, its labels far from its values.
FORM_MAX_WIDTH = 960


def cap_form_width(dialog: QWidget, width: int = FORM_MAX_WIDTH) -> None:
    """Keep a form dialog (or wizard) no wider than `width`: taller is fine, it has lists to show."""
    dialog.setMaximumWidth(max(width, dialog.minimumWidth()))


class ApplyDialog(QDialog):
    """A dialog whose OK button validates, then runs `apply()` in the background.

    While the change is being applied the buttons are disabled; if AWS refuses it, the error is shown
    in the dialog (which stays open, with the user's input) instead of being lost.
    """

    applied = Signal()

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        cap_form_width(self)
        self.body = QVBoxLayout()
        self.problems = ProblemList()
        self.status = QLabel()
        self.status.setObjectName("dialogStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.start_apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.apply_task: asyncio.Task[Any] | None = None
        self.sent = 0
        # Set by the first Apply: until then hints stay neutral (nobody has been told "wrong" yet).
        self.tried = False

    # --- for subclasses -----------------------------------------------------------------------
    def validate(self) -> list[Problem | str]:
        """Problems with the input; nothing is sent while there are any."""
        return []

    async def apply(self) -> None:
        """Send the change (through the Runner)."""

    # --- behaviour ----------------------------------------------------------------------------
    def start_apply(self) -> None:
        if self.apply_task is not None and not self.apply_task.done():
            return
        self.tried = True
        problems = self.validate()
        self.problems.show_problems(problems)
        if problems:
            self.set_status(f"{len(problems)} problem(s) to fix; nothing was sent.", error=True)
            return
        self.set_status("Working…")
        self.buttons.setEnabled(False)
        self.apply_task = asyncio.ensure_future(self._apply())

    async def _apply(self) -> None:
        try:
            self.sent += 1
            await self.apply()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.set_status(error_text(error), error=True)
            return
        finally:
            self.buttons.setEnabled(True)
        self.set_status("")
        self.applied.emit()
        self.accept()

    def set_status(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(error_style(self.status, error))
        self.status.setText(text)

    def reject(self) -> None:
        if self.apply_task is not None and not self.apply_task.done():
            self.apply_task.cancel()
        super().reject()

    async def ask(self) -> bool:
        """Open the dialog and wait; True once the change was applied."""
        return bool(await wait_finished(self))


@runtime_checkable
class Checked(Protocol):
    """A typed request that says what is wrong with it before it is sent."""

    def problems(self) -> Sequence[Problem | str]: ...


R = TypeVar("R")
# What a RequestDialog sends its request with: a facade's coroutine (its result is not read).
Send = Callable[[R], Awaitable[object]]


class RequestDialog(ApplyDialog, Generic[R]):
    """An ApplyDialog over one typed request: the subclass reads it from the form (`request()`); OK checks
    it (what the form found reading its fields, `form_problems()`, then the request's own
    `problems()`) and sends it with `send`.

    A request whose check needs more than itself (the known compute environments) overrides
    `request_problems`.
    """

    def __init__(self, title: str, ok_text: str, send: Send[R], parent: QWidget | None = None) -> None:
        super().__init__(title, ok_text, parent)
        self.send = send

    def request(self) -> R:
        """The request the form describes."""
        raise NotImplementedError

    def form_problems(self) -> list[Problem | str]:
        """Problems found reading the form itself (a weight that is not a number)."""
        return []

    def request_problems(self, request: R) -> Sequence[Problem | str]:
        """The request's own problems."""
        if not isinstance(request, Checked):
            raise TypeError(f"{type(request).__name__} has no problems(): override request_problems")
        return request.problems()

    def validate(self) -> list[Problem | str]:
        return [*self.form_problems(), *self.request_problems(self.request())]

    async def apply(self) -> None:
        await self.send(self.request())
