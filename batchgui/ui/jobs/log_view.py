"""A log view that scales to million-line streams.

The lines are a list model (log_model.py) in a one-column table with fixed row heights: only the rows on
screen are formatted and painted. The view opens on the stream's newest page; scrolling near the
top reads the page before (GetLogEvents' backward token), so the whole stream is reachable; follow
appends only the new events the follower read. Search runs on the server over the whole stream
(FilterLogEvents) and lists its matches; choosing one loads the page around it. Save writes the
whole stream to disk page by page, with progress and cancel.

Keys: Ctrl+F search, Ctrl+C copy the selected lines, End go to the end and follow, Home the first
line of the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QFontMetrics, QGuiApplication, QKeySequence, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from batchgui.domain.job_logs import LogMatch, LogPage, StampFormat
from batchgui.services.log_follower import LogPages, LogSave, error_text
from batchgui.ui.jobs.log_model import LogLinesModel
from batchgui.ui.widgets.forms import Spawn, push_button

# Read the page before the first line once the view's top is this many rows from it.
PREFETCH_ROWS = 200


def _spawn_plain(coro: Coroutine[Any, Any, Any], _what: str) -> asyncio.Task[Any]:
    return asyncio.ensure_future(coro)


class LogView(QWidget):
    """One job's log: lines, Follow, Times, server search with results, First/Last, Save."""

    follow_changed = Signal(bool)
    # The person went back to the stream's end (End, Last, Follow) from a search result's page: the
    # follower reads the newest page again and the view starts over from it.
    tail_requested = Signal()

    def __init__(self, parent: QWidget | None = None, spawn: Spawn | None = None) -> None:
        super().__init__(parent)
        self._spawn: Spawn = spawn or _spawn_plain
        self.pages: LogPages | None = None
        self.model = LogLinesModel(self)
        self._loading: asyncio.Task[Any] | None = None
        self._searching: asyncio.Task[Any] | None = None
        self.saving: LogSave | None = None
        self._save_task: asyncio.Task[Any] | None = None
        self._matches: list[LogMatch] = []
        self._showing: LogMatch | None = None  # the match whose page is being read
        self._searched = ""
        self._stamp = StampFormat()
        # A table of one column with fixed-height rows: inserting a page above a million rows costs
        # a header update, where QListView lays out every row again (O(rows) per page).
        self.view = QTableView()
        self.view.setObjectName("logLines")
        self.view.setModel(self.model)
        self.view.setShowGrid(False)
        self.view.horizontalHeader().hide()
        rows = self.view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.view.setWordWrap(False)
        font = self.view.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.view.setFont(font)
        metrics = QFontMetrics(font)
        self.model.char_width = max(1, metrics.horizontalAdvance("0"))
        self.model.row_height = metrics.height() + 2
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(self.model.row_height)
        self.model.modelReset.connect(self._fit_width)
        self.model.rowsInserted.connect(self._fit_width)
        self.model.dataChanged.connect(self._fit_width)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.viewport().installEventFilter(self)
        self.follow_box = QCheckBox("Follow")
        self.follow_box.setToolTip("Keep reading new events and scroll to the end (End)")
        self.follow_box.toggled.connect(self._follow_toggled)
        self.timestamps_box = QCheckBox("Times")
        self.timestamps_box.setChecked(True)
        self.timestamps_box.toggled.connect(self.model.set_show_times)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search the whole log on the server (Ctrl+F; Enter: next)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.search_or_next)
        self.first_button = push_button("First", "The stream's first line (Home)", self.jump_first)
        self.last_button = push_button("Last", "The stream's last line (End: and follow)", self.jump_last)
        self.save_button = push_button("Save…", "Write the whole stream to a file", self._ask_save)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = push_button("Cancel", "Stop saving (no file is left)", self.cancel_save)
        self.cancel_button.hide()
        self.state_label = QLabel()
        self.state_label.setObjectName("logState")
        self.state_label.setWordWrap(True)
        self.results_label = QLabel()
        self.results = QListWidget()
        self.results.setObjectName("logMatches")
        self.results.setFont(font)
        self.results.setUniformItemSizes(True)
        self.results.setMinimumHeight(2 * self.model.row_height + 8)
        # A click emits itemClicked, and itemActivated too where the style activates on one click (a
        # double click: both again): show_match reads a match's page once however often it is chosen.
        self.results.itemActivated.connect(self._match_chosen)
        self.results.itemClicked.connect(self._match_chosen)
        results_box = QWidget()
        results_layout = QVBoxLayout(results_box)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.results_label)
        results_layout.addWidget(self.results, 1)
        self.results_box = results_box
        results_box.hide()
        bar = QHBoxLayout()
        for widget in (
            self.follow_box,
            self.timestamps_box,
            self.search_edit,
            self.first_button,
            self.last_button,
            self.save_button,
            self.progress,
            self.cancel_button,
        ):
            widget.setMinimumWidth(16)  # squeeze in narrow windows rather than widen them
            bar.addWidget(widget, 1 if widget is self.search_edit else 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(results_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        self._splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.state_label)
        layout.addWidget(splitter, 1)
        self._keys()

    def _keys(self) -> None:
        def key(sequence: QKeySequence | str, slot: Callable[[], object], widget: QWidget) -> None:
            shortcut = QShortcut(QKeySequence(sequence), widget)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        key(QKeySequence(QKeySequence.StandardKey.Find), self.focus_search, self)
        key(QKeySequence(QKeySequence.StandardKey.Copy), self.copy_selection, self.view)
        key("End", self.end_and_follow, self.view)
        key("Ctrl+End", self.end_and_follow, self.view)
        key("Home", self.jump_first, self.view)
        key("Ctrl+Home", self.jump_first, self.view)

    def _fit_width(self, *_args: object) -> None:
        """The one column as wide as the longest line loaded (for horizontal scrolling)."""
        self.view.horizontalHeader().resizeSection(
            0, max(self.model.width_hint(), self.view.viewport().width())
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A wheel turned up at the top (the scroll bar cannot move): read the page before."""
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(event, QWheelEvent)
            and event.angleDelta().y() > 0
        ):
            self._scrolled()
        return super().eventFilter(watched, event)

    # --- state ----------------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self.follow_box.isChecked()

    def set_following(self, on: bool) -> None:
        self.follow_box.setChecked(on)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.setVisible(bool(text))

    def set_pages(self, pages: LogPages | None) -> None:
        """The stream the lines come from (for scrolling back, search and save)."""
        self.pages = pages

    def clear(self) -> None:
        for task in (self._loading, self._searching):
            if task is not None and not task.done():
                task.cancel()
        self.pages = None
        self.model.clear()
        self._matches = []
        self._searched = ""
        self.results.clear()
        self.results_box.hide()

    # --- lines ----------------------------------------------------------------------------------
    def add_page(self, page: LogPage) -> None:
        """A page the follower read: the newest page starts the view over; new lines are appended
        while the view shows the live end (not while it shows a search result's page)."""
        if page.tail:
            self.model.start(page, live=True)
            self.view.scrollToBottom()
            self._scrolled()
            return
        if not self.model.live:
            return  # read again when the person scrolls down or goes back to the end
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 1
        self.model.append(page)
        if self.following and at_end:
            self.view.scrollToBottom()

    def selected_text(self) -> str:
        return self.model.texts([index.row() for index in self.view.selectionModel().selectedRows()])

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    # --- paging ---------------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self._loading is not None and not self._loading.done()

    def _scrolled(self, _value: int = 0) -> None:
        if self.loading or self.pages is None:
            return
        bar = self.view.verticalScrollBar()
        if bar.value() <= PREFETCH_ROWS and self.model.can_fetch_older:
            self._load(self._fetch_older(), "Read older log lines")
        elif not self.model.live and bar.value() >= bar.maximum() - PREFETCH_ROWS:
            self._load(self._fetch_newer(), "Read newer log lines")

    def _load(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        self._loading = self._spawn(self._guarded(coro), what)

    async def _guarded(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.set_state(f"Could not read the log: {error_text(exc)}. The lines shown are kept.")

    async def _fetch_older(self) -> None:
        pages, token = self.pages, self.model.older_token
        if pages is None or token is None:
            return
        page = await pages.older(token)
        if pages is not self.pages or token != self.model.older_token:
            return
        top = self.view.indexAt(self.view.viewport().rect().topLeft()).row()
        if top < 0:  # not laid out (a hidden tab): the scroll bar counts rows
            top = self.view.verticalScrollBar().value()
        added = self.model.prepend(page)
        if added:  # the same line stays at the top: the older lines are above it
            self.view.scrollTo(self.model.index(top + added), QAbstractItemView.ScrollHint.PositionAtTop)
        self._loading = None
        self._scrolled()

    async def _fetch_newer(self) -> None:
        pages, token = self.pages, self.model.newer_token
        if pages is None or token is None:
            return
        page = await pages.newer(token)
        if pages is self.pages and token == self.model.newer_token:
            self.model.extend_newer(page)

    # --- navigation -----------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def jump_first(self) -> None:
        """The stream's first line: the head page when it is not loaded yet."""
        if self.model.head_reached or self.pages is None:
            self.view.scrollToTop()
            return
        pages = self.pages

        async def head() -> None:
            page = await pages.newer(None)
            if pages is self.pages:
                self.model.start(page, live=False)
                self.model.head_reached = True
                self.model.older_token = None
                self.view.scrollToTop()

        self._load(head(), "Read the log's first lines")

    def jump_last(self) -> None:
        """The stream's last line (the newest page again after a search result's page)."""
        if self.model.live:
            self.view.scrollToBottom()
        else:
            self.tail_requested.emit()

    def end_and_follow(self) -> None:
        self.jump_last()
        self.set_following(True)

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.jump_last()
        self.follow_changed.emit(on)

    # --- search ---------------------------------------------------------------------------------
    def search_or_next(self) -> None:
        """Enter: search the whole stream; Enter again with the same text: the next match."""
        pattern = self.search_edit.text().strip()
        if not pattern or self.pages is None:
            return
        if pattern == self._searched and self.results.count():
            row = (self.results.currentRow() + 1) % self.results.count()
            self.results.setCurrentRow(row)
            self._match_chosen(self.results.item(row))
            return
        if self._searching is not None and not self._searching.done():
            self._searching.cancel()
        self._searching = self._spawn(self._guarded(self._search(pattern)), "Search log")

    async def _search(self, pattern: str) -> None:
        pages = self.pages
        if pages is None:
            return
        if not self.results_box.isVisible():
            self.results_box.show()
            total = sum(self._splitter.sizes())  # the lines keep most of the height; the matches a strip
            strip = min(8 * self.model.row_height + 24, total // 4)
            self._splitter.setSizes([total - strip, strip])
        self.results_label.setText(f"Searching the whole log for {pattern!r}…")
        self.results.clear()
        found, more = await pages.search(pattern)
        if pages is not self.pages:
            return
        self._searched = pattern
        self._matches = found
        for match in found:
            first = match.message.rstrip("\n").split("\n", 1)[0]
            item = QListWidgetItem(f"{self._stamp(match.timestamp_ms)}  {first[:300]}")
            item.setData(Qt.ItemDataRole.UserRole, self.results.count())
            self.results.addItem(item)
        more_text = f" (the first {len(found):,})" if more else ""
        self.results_label.setText(
            f"{len(found):,} match{'es' if len(found) != 1 else ''} for {pattern!r}{more_text}"
            + (" — Enter or click one to show it" if found else "")
        )
        self.search_edit.setStyleSheet("" if found else "background: #fdd")
        if found:
            self.results.setCurrentRow(0)
            self._match_chosen(self.results.item(0))

    def _match_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        match = self._matches[int(item.data(Qt.ItemDataRole.UserRole))]
        self.show_match(match)

    def show_match(self, match: LogMatch) -> None:
        """Select a match's line: where it is loaded, else on the page that starts at its time."""
        row = self.model.find(match.timestamp_ms, match.message)
        if row >= 0:
            self._select(row)
            return
        pages = self.pages
        if pages is None or (match == self._showing and self.loading):
            return

        async def around() -> None:
            page = await pages.at_time(match.timestamp_ms)
            self._showing = None
            if pages is not self.pages:
                return
            self.set_following(False)
            self.model.start(page, live=page.at_edge)
            found = self.model.find(match.timestamp_ms, match.message)
            self._select(max(found, 0))
            self._loading = None
            self._scrolled()

        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self._showing = match
        self._load(around(), "Show search result")

    def _select(self, row: int) -> None:
        index = self.model.index(row)
        self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # --- saving ---------------------------------------------------------------------------------
    def _ask_save(self) -> None:
        if self.pages is None:
            self.set_state("Nothing to save: this job has no log stream yet.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save log", "job.log", "Log files (*.log *.txt)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> asyncio.Task[Any] | None:
        """Write the whole stream to `path`, page by page, showing progress (Cancel stops it)."""
        if self.pages is None or (self._save_task is not None and not self._save_task.done()):
            return None
        self.saving = self.pages.save(path, self.timestamps_box.isChecked())
        self._save_task = self._spawn(self._save(self.saving), "Save log")
        return self._save_task

    async def _save(self, save: LogSave) -> None:
        self.progress.setFormat("Saving… %v lines")
        self.progress.show()
        self.cancel_button.show()
        self.save_button.setEnabled(False)

        def progress(lines: int, _bytes: int) -> None:
            self.progress.setRange(0, max(lines, 1))
            self.progress.setValue(lines)
            self.progress.setFormat(f"Saving… {lines:,} lines")

        try:
            saved = await save.run(progress)
            if saved:
                self.set_state(f"Saved {save.lines:,} lines to {save.path}")
            else:
                self.set_state(f"Save cancelled: {save.path} was not written.")
        except Exception as exc:
            self.set_state(f"Could not save the log to {save.path}: {error_text(exc)}")
        finally:
            self.progress.hide()
            self.cancel_button.hide()
            self.save_button.setEnabled(True)

    def cancel_save(self) -> None:
        if self.saving is not None:
            self.saving.cancel()
