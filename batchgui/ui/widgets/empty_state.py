"""Empty states that say what to do next, with the button that does it:
"No submissions yet — New CSV submission… (Ctrl+N)".

`EmptyState` is the widget (icon, title, hint, one button). `EmptyStateOverlay` lays it over a table's
viewport and shows it while the table has no rows, or, when a filter hides every row, says so and
offers to clear the filter.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLabel, QPushButton, QVBoxLayout, QWidget

from batchgui.ui.widgets.icons import icon

Trigger = QAction | QAbstractButton | Callable[[], object]

# What an empty inventory panel says under "No <things> yet", before its Create button.
EMPTY_HINTS = {
    "compute-environments": "A compute environment is the Fargate or EC2 capacity jobs run on: create one "
    "first, then a queue that uses it.",
    "job-queues": "Jobs are submitted to a queue, which places them on its compute environments.",
    "job-definitions": "A job definition says what a job runs: image, command, vCPUs and memory.",
    "scheduling-policies": "A fair-share policy divides a queue's capacity between share identifiers "
    "(optional: queues work without one).",
}


def _shortcut_of(trigger: Trigger | None) -> str:
    keys = QKeySequence()
    if isinstance(trigger, QAction | QAbstractButton):
        keys = trigger.shortcut()
    return keys.toString(QKeySequence.SequenceFormat.NativeText)


def _text_of(trigger: Trigger | None) -> str:
    if isinstance(trigger, QAction | QAbstractButton):
        return trigger.text().replace("&", "")
    return ""


EMPTY_JOBS_HINT = (
    "None in the chosen queues and status tab. Choose other queues or the All tab, or submit a job."
)


class EmptyState(QWidget):
    """A centred icon, a title, a line on what to do, and the button that does it."""

    def __init__(
        self,
        title: str,
        hint: str = "",
        trigger: Trigger | None = None,
        *,
        button_text: str = "",
        icon_name: str = "info",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAutoFillBackground(False)
        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel()
        self.title_label.setObjectName("emptyStateTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title_label.setFont(font)
        self.hint_label = QLabel()
        self.hint_label.setObjectName("emptyStateHint")
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        self.button = QPushButton()
        self.button.setObjectName("emptyStateButton")
        self.button.clicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.title_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._trigger: Trigger | None = None
        self.set_content(title, hint, trigger, button_text=button_text, icon_name=icon_name)

    def set_content(
        self,
        title: str,
        hint: str = "",
        trigger: Trigger | None = None,
        *,
        button_text: str = "",
        icon_name: str = "info",
    ) -> None:
        self._trigger = trigger
        self.icon_label.setPixmap(icon(icon_name).pixmap(40, 40))
        self.title_label.setText(title)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        text = button_text or _text_of(trigger)
        shortcut = _shortcut_of(trigger)
        self.button.setText(f"{text} ({shortcut})" if text and shortcut else text)
        self.button.setVisible(trigger is not None and bool(text))
        self.setAccessibleName(f"{title}. {hint}".strip())

    @property
    def title(self) -> str:
        return self.title_label.text()

    def _clicked(self) -> None:
        trigger = self._trigger
        if isinstance(trigger, QAction):
            trigger.trigger()
        elif isinstance(trigger, QAbstractButton):
            trigger.click()
        elif trigger is not None:
            trigger()


class EmptyStateOverlay(QObject):
    """Shows `state` over `view`'s viewport while the model has no rows and `ready()` says the
    first load is done; when `filtered()` says a filter is hiding rows, offers to clear it instead."""

    def __init__(
        self,
        view: QAbstractItemView,
        state: EmptyState,
        *,
        ready: Callable[[], bool] = lambda: True,
        filtered: Callable[[], bool] = lambda: False,
        clear_filter: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.state = state
        self._ready = ready
        self._filtered = filtered
        self._clear_filter = clear_filter
        self.filter_state = EmptyState(
            "No rows match the filter",
            "Change the filter, or clear it to see every row.",
            clear_filter,
            button_text="Clear filter",
            icon_name="filter",
            parent=view.viewport(),
        )
        state.setParent(view.viewport())
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.update)
        self.update()

    def shown(self) -> EmptyState | None:
        """The empty state on display, or None."""
        for candidate in (self.state, self.filter_state):
            if candidate.isVisibleTo(self.view.viewport()):
                return candidate
        return None

    def update(self, *_args: object) -> None:
        empty = self.view.model().rowCount() == 0 and self._ready()
        filtered = empty and self._filtered()
        self.state.setVisible(empty and not filtered)
        self.filter_state.setVisible(filtered)
        self._place()

    def _place(self) -> None:
        rect = self.view.viewport().rect()
        for candidate in (self.state, self.filter_state):
            candidate.setGeometry(rect)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False


def attach_empty_state(
    view: QAbstractItemView,
    title: str,
    hint: str,
    trigger: Trigger | None = None,
    *,
    ready: Callable[[], bool] = lambda: True,
    icon_name: str = "info",
) -> EmptyStateOverlay:
    """An empty state over `view` in one call (for panels that are not ListPanels)."""
    return EmptyStateOverlay(view, EmptyState(title, hint, trigger, icon_name=icon_name), ready=ready)
