from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from batchgui.app import Application
from batchgui.domain.scheduling import ShareAttribute, fairshare_problems
from batchgui.ui.scheduling_policies.dialog import SchedulingPolicyDialog
from tests.support import MotoEndpoint
from tests.ui.admin_support import SandboxEndpoint, answer, open_panel, select_row

pytestmark = pytest.mark.timeout(120)


def open_dialog(panel: Any, wait_until: Callable[..., None], edit: bool = False) -> SchedulingPolicyDialog:
    (panel.edit if edit else panel.create_new)()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the policy dialog")
    dialog: SchedulingPolicyDialog = panel.dialog
    return dialog


def policy_flow(panel: Any, wait_until: Callable[..., None], qtmodeltester: Any) -> None:
    qtmodeltester.check(panel.model)
    dialog = open_dialog(panel, wait_until)
    qtmodeltester.check(dialog.shares.model)
    dialog.name.setText("fair")
    dialog.decay_set.setChecked(True)
    dialog.decay.setValue(3600)
    dialog.reservation_set.setChecked(True)
    dialog.reservation.setValue(25)
    dialog.shares.model.add_row("team-a*", "0.5")
    dialog.shares.model.add_row("team-b", "heavy")
    dialog.start_apply()
    assert any("must be a number" in t for t in dialog.problems.texts())
    assert dialog.sent == 0
    dialog.shares.model.setData(dialog.shares.model.index(1, 1), "2")
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="created")
    wait_until(lambda: panel.model.rowCount() == 1, what="the policy row")
    policy = panel.model.all_rows()[0]
    assert (policy.share_decay_s, policy.compute_reservation) == (3600, 25)
    assert [(s.identifier, s.weight) for s in policy.shares] == [("team-a*", 0.5), ("team-b", 2.0)]
    qtmodeltester.check(panel.model)

    select_row(panel, "fair")
    dialog = open_dialog(panel, wait_until, edit=True)
    assert dialog.name.isReadOnly()
    dialog.decay.setValue(60)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="updated")
    wait_until(lambda: panel.model.all_rows()[0].share_decay_s == 60, what="new decay shown")

    select_row(panel, "fair")
    panel.delete()
    assert "Delete scheduling policy fair?" in answer(wait_until)
    wait_until(lambda: panel.model.rowCount() == 0, what="deleted")


def test_policy_create_edit_delete_on_moto(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    qtmodeltester: Any,
) -> None:
    _app, panel = open_panel(make_app, moto, "scheduling-policies", wait_until)
    policy_flow(panel, wait_until, qtmodeltester)


def test_policy_create_edit_delete_on_the_sandbox(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None], qtmodeltester: Any
) -> None:
    _app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "scheduling-policies", wait_until)
    policy_flow(panel, wait_until, qtmodeltester)


def test_fairshare_limits() -> None:
    problems = fairshare_problems(
        700_000, 100, [ShareAttribute("a*b", 1), ShareAttribute("x", 0), ShareAttribute("x", 1)]
    )
    text = " ".join(problems)
    for words in ("604,800", "between 0 and 99", "may only end", "0.0001", "twice"):
        assert words in text
    assert fairshare_problems(None, None, [ShareAttribute("ok*", 1.5)]) == []


def test_enter_on_a_row_opens_its_details_and_alt_keys_switch_tabs(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None], qtbot: Any
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    _app, panel = open_panel(make_app, moto, "scheduling-policies", wait_until)
    panel.window().activateWindow()
    qtbot.waitUntil(panel.window().isActiveWindow)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is panel.details
    qtbot.keyClick(panel.details, Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)
    assert panel.details_tabs.currentWidget() is panel.raw_json
    qtbot.keyClick(panel.raw_json, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert panel.details_tabs.currentWidget() is panel.details
