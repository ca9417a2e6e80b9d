"""Status chips: a status shown as colour + icon + text, never by colour alone (so it reads for people
who do not see the colour, in light and dark themes, and in grey-scale screenshots).

One vocabulary for every table: job statuses, compute environment / queue states and statuses, job
definition status, scheduling policies and submissions. `StatusChipDelegate` paints the chip in a table
cell; `StatusChip` is the same chip as a widget; `use_status_chips(view)` puts the delegate on the
columns titled Status or State.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from batchgui.ui.widgets.icons import icon

ModelIndex = QModelIndex | QPersistentModelIndex


class Tone(Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    RUNNING = "running"
    WAITING = "waiting"
    BUSY = "busy"  # being created, updated or deleted
    OFF = "off"  # disabled, inactive, cancelled
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ToneStyle:
    colour: str  # the chip's fill (with white icon and text on it); all pass 4.5:1 against white
    icon: str
    meaning: str  # said to screen readers and in tooltips


TONE_STYLES = {
    Tone.SUCCESS: ToneStyle("#1e7b34", "status-success", "done / healthy"),
    Tone.FAILURE: ToneStyle("#b3261e", "status-failed", "failed / broken"),
    Tone.RUNNING: ToneStyle("#1b62b8", "status-running", "running"),
    Tone.WAITING: ToneStyle("#8a5a00", "status-waiting", "waiting"),
    Tone.BUSY: ToneStyle("#6b4fa0", "status-busy", "changing"),
    Tone.OFF: ToneStyle("#5c6670", "status-off", "off"),
    Tone.UNKNOWN: ToneStyle("#5c6670", "status-off", "unknown"),
}

_TONES: dict[str, Tone] = {}
for _tone, _words in (
    (Tone.SUCCESS, "SUCCEEDED VALID ENABLED ACTIVE SUBMITTED DONE COMPLETE COMPLETED OK"),
    (Tone.FAILURE, "FAILED INVALID ERROR INTERRUPTED"),
    (Tone.RUNNING, "RUNNING STARTING SENDING SUBMITTING"),
    (Tone.WAITING, "PENDING RUNNABLE READY QUEUED"),
    (Tone.BUSY, "CREATING UPDATING DELETING"),
    (Tone.OFF, "DISABLED INACTIVE DELETED CANCELLED CANCELED DRY_RUN UNKNOWN"),
):
    for _word in _words.split():
        _TONES[_word] = _tone
# A job in SUBMITTED is waiting; a CSV row or submission marked "submitted" has been sent. Job
# statuses are upper case, the journal's states lower case: the case tells them apart.
_JOB_WAITING = {"SUBMITTED"}


def tone_of(status: str) -> Tone:
    """The tone of a status word (any case; "dry run" = DRY_RUN)."""
    text = status.strip()
    if not text:
        return Tone.UNKNOWN
    if text in _JOB_WAITING:
        return Tone.WAITING
    return _TONES.get(text.upper().replace(" ", "_"), Tone.UNKNOWN)


def chip_label(status: str) -> str:
    """What the chip says: the status in its own words, "RUNNABLE" -> "Runnable"."""
    text = status.strip().replace("_", " ")
    return text[:1].upper() + text[1:].lower()


PADDING_X = 6
ICON_GAP = 4
RADIUS = 8


def _chip_size(metrics: QFontMetrics, text: str) -> QSize:
    height = metrics.height() + 4
    icon_size = metrics.height() - 2
    return QSize(PADDING_X * 2 + icon_size + ICON_GAP + metrics.horizontalAdvance(text), height)


def paint_chip(painter: QPainter, rect: QRect, status: str, metrics: QFontMetrics) -> QRect:
    """Paint the chip for `status` at the left of `rect` (vertically centred); returns its rect."""
    style = TONE_STYLES[tone_of(status)]
    text = chip_label(status)
    size = _chip_size(metrics, text)
    width = min(size.width(), rect.width())
    chip = QRect(rect.left(), rect.top() + (rect.height() - size.height()) // 2, width, size.height())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(style.colour))
    painter.drawRoundedRect(QRectF(chip), RADIUS, RADIUS)
    icon_size = metrics.height() - 2
    icon_rect = QRect(
        chip.left() + PADDING_X, chip.top() + (chip.height() - icon_size) // 2, icon_size, icon_size
    )
    icon(style.icon, "#ffffff").paint(painter, icon_rect)
    painter.setPen(QColor("#ffffff"))
    text_rect = QRect(
        icon_rect.right() + 1 + ICON_GAP,
        chip.top(),
        chip.right() - icon_rect.right() - ICON_GAP,
        chip.height(),
    )
    elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, text_rect.width() - PADDING_X + 2))
    painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), elided)
    painter.restore()
    return chip


class StatusChipDelegate(QStyledItemDelegate):
    """Paints a cell's text as a status chip (selection background kept, so the row still reads as
    selected); the model's text, tooltip and sorting are untouched."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        paint_chip(painter, opt.rect.adjusted(3, 1, -3, -1), str(text), QFontMetrics(opt.font))

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        base = super().sizeHint(option, index)
        if not text:
            return base
        chip = _chip_size(QFontMetrics(option.font), chip_label(str(text)))
        return QSize(chip.width() + 6, max(base.height(), chip.height() + 2))


STATUS_TITLES = ("Status", "State")
# The longest words a status column usually holds: it is made wide enough for their chips.
WIDE_LABELS = ("Succeeded", "Submitted", "Disabled", "Inactive")


def use_status_chips(view: QAbstractItemView, titles: tuple[str, ...] = STATUS_TITLES) -> StatusChipDelegate:
    """Show the columns of `view` titled like `titles` as status chips (one shared delegate)."""
    delegate = view.findChild(StatusChipDelegate)
    if not isinstance(delegate, StatusChipDelegate):
        delegate = StatusChipDelegate(view)
    model = view.model()
    wide = chip_column_width(view)
    header = view.horizontalHeader() if isinstance(view, QTableView) else None
    for column in range(model.columnCount()):
        if model.headerData(column, Qt.Orientation.Horizontal) in titles:
            view.setItemDelegateForColumn(column, delegate)
            if header is not None and header.sectionSize(column) < wide:
                header.resizeSection(column, wide)
    if isinstance(view, QTableView):
        from batchgui.ui.widgets.columns import fitter_of

        fitter = fitter_of(view)
        if fitter is not None:
            fitter.fit()
    return delegate


def chip_column_width(view: QAbstractItemView) -> int:
    """How wide a status column must be for its widest usual chip (the delegate's margins included)."""
    metrics = QFontMetrics(view.font())
    return max(_chip_size(metrics, label).width() for label in WIDE_LABELS) + 8


class StatusChip(QWidget):
    """The chip as a widget (for tiles and forms); its accessible name says the status in words."""

    def __init__(self, status: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status = ""
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_status(status)

    @property
    def status(self) -> str:
        return self._status

    @property
    def text(self) -> str:
        return chip_label(self._status)

    def set_status(self, status: str) -> None:
        self._status = status
        style = TONE_STYLES[tone_of(status)]
        self.setAccessibleName(f"Status: {chip_label(status)} ({style.meaning})")
        self.setToolTip(f"{chip_label(status)} — {style.meaning}")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return _chip_size(self.fontMetrics(), chip_label(self._status))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_chip(painter, self.rect(), self._status, self.fontMetrics())
        painter.end()
