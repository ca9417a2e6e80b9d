"""The shared form pieces: RequestDialog's check-then-send, and error text that reads on both themes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from batchgui.ui.theme import dark_palette
from batchgui.ui.widgets.forms import PROBLEM_ON_DARK, PROBLEM_ON_LIGHT, RequestDialog, name_field


@dataclass(frozen=True)
class Named:
    name: str

    def problems(self) -> list[str]:
        return [] if self.name else ["name: is required"]


class NameDialog(RequestDialog[Named]):
    def __init__(self, send: Callable[[Named], Any], parent: QWidget | None = None) -> None:
        super().__init__("Name it", "Save", send, parent)
        self.name = name_field("", "testName", False)
        self.body.addWidget(self.name)

    def request(self) -> Named:
        return Named(self.name.text().strip())

    def form_problems(self) -> list[str | Any]:
        return ["name: no spaces inside"] if " " in self.name.text().strip() else []


def test_request_dialog_checks_the_form_and_the_request_then_sends_it(
    qtbot: Any, run_async: Callable[..., Any], wait_until: Any
) -> None:
    sent: list[Named] = []

    async def send(request: Named) -> None:
        sent.append(request)

    dialog = NameDialog(send)
    qtbot.addWidget(dialog)
    dialog.start_apply()
    assert dialog.problems.texts() == ["name: is required"]
    dialog.name.setText("a b")
    dialog.start_apply()
    assert dialog.problems.texts() == ["name: no spaces inside"]
    assert (dialog.sent, sent) == (0, [])
    dialog.name.setText(" ab ")
    dialog.start_apply()
    assert dialog.apply_task is not None
    run_async(dialog.apply_task)
    assert sent == [Named("ab")]
    assert dialog.result() == dialog.DialogCode.Accepted


def test_a_request_without_problems_says_which_method_to_write(qtbot: Any) -> None:
    class Untyped(RequestDialog[int]):
        def request(self) -> int:
            return 1

    async def send(_number: int) -> None:
        pass

    dialog = Untyped("t", "OK", send)
    qtbot.addWidget(dialog)
    with pytest.raises(TypeError, match="override request_problems"):
        dialog.validate()


@pytest.mark.parametrize("dark", [False, True])
def test_a_dialog_error_reads_on_either_theme(qtbot: Any, dark: bool) -> None:
    # The dialog status used the light theme's dark red on dark backgrounds too, where it hardly shows.
    dialog = NameDialog(lambda _r: None)
    qtbot.addWidget(dialog)
    if dark:
        dialog.setPalette(dark_palette())
    dialog.set_status("AWS said no", error=True)
    assert (PROBLEM_ON_DARK if dark else PROBLEM_ON_LIGHT) in dialog.status.styleSheet()
    dialog.set_status("Working…")
    assert dialog.status.styleSheet() == ""
