from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QPlainTextEdit

from batchgui.ui.jobs.log_view import LogView

pytestmark = pytest.mark.timeout(30)


def test_lines_are_batched_until_flush(qapp: Any) -> None:
    view = LogView()
    view.timestamps_box.setChecked(False)
    view.append_events([(1, "one"), (2, "two\nthree")])
    assert view.text.toPlainText() == ""
    view.flush()
    assert view.text.toPlainText() == "one\ntwo\nthree"
    view.append_lines(["four"])
    view.flush()
    assert view.line_count() == 4
    assert view.text.document().blockCount() == 4


def test_cap_drops_the_oldest_lines(qapp: Any) -> None:
    view = LogView(max_lines=100)
    for start in range(0, 1000, 250):
        view.append_lines(f"line {n}" for n in range(start, start + 250))
        view.flush()
    assert view.line_count() == 100
    assert view.lines()[0] == "line 900"
    assert view.text.document().blockCount() == 100


def test_search_wraps_and_reports_misses(qapp: Any) -> None:
    view = LogView()
    view.append_lines(["alpha", "needle one", "beta", "needle two"])
    view.search_edit.setText("needle")
    assert view.find_next()
    assert view.text.textCursor().blockNumber() == 1
    assert view.find_next()
    assert view.text.textCursor().blockNumber() == 3
    assert view.find_next()  # wraps to the first match
    assert view.text.textCursor().blockNumber() == 1
    assert view.find_previous()
    assert view.text.textCursor().blockNumber() == 3
    view.search_edit.setText("absent")
    assert not view.find_next()


def test_follow_scrolls_to_the_end_and_jumps_work(qapp: Any) -> None:
    view = LogView()
    view.resize(400, 200)
    view.show()
    view.set_following(True)
    view.append_lines(f"line {n}" for n in range(500))
    view.flush()
    bar = view.text.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    view.jump_first()
    assert bar.value() == 0
    view.jump_last()
    assert bar.value() == bar.maximum()
    view.set_wrap(True)
    assert view.text.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    view.hide()


def test_save_sends_every_retained_line(qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    view = LogView()
    view.append_lines(["a", "b"])
    view.flush()
    target = tmp_path / "job.log"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    saved: list[tuple[Path, str]] = []
    view.save_requested.connect(lambda path, text: saved.append((path, text)))
    view.save_button.click()
    assert saved == [(target, "a\nb\n")]
