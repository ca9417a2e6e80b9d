from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from batchgui.app import Application
from batchgui.domain.inventory_requests import ComputeEnvironmentRequest
from batchgui.ui.compute_envs.wizard import ComputeEnvironmentWizard, compute_environment_problems
from batchgui.ui.widgets.forms import ProblemList
from tests.support import MotoEndpoint, seed_batch
from tests.ui.admin_support import SandboxEndpoint, answer, open_panel, select_row
from tests.ui.inventory_stubs import inventory_connected_to

pytestmark = pytest.mark.timeout(120)


def check_items(widget: Any, values: list[str]) -> None:
    for i in range(widget.count()):
        item = widget.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in values:
            item.setCheckState(Qt.CheckState.Checked)


def open_wizard(panel: Any, wait_until: Callable[..., None]) -> ComputeEnvironmentWizard:
    panel.create_new()
    wait_until(lambda: panel.wizard is not None and panel.wizard.isVisible(), what="the wizard")
    wizard: ComputeEnvironmentWizard = panel.wizard
    wait_until(lambda: wizard.choices_loaded, timeout=30, what="subnets, groups and roles listed")
    return wizard


def finish(wizard: ComputeEnvironmentWizard, panel: Any, wait_until: Callable[..., None]) -> None:
    while wizard.currentId() != wizard.review_id:
        page = wizard.currentId()
        wizard.next()
        if wizard.currentId() == page:
            problems = wizard.currentPage().findChild(ProblemList)
            raise AssertionError(problems.texts() if problems is not None else "Next refused")
    wizard.accept()
    wait_until(
        lambda: panel.wizard is None, timeout=30, what=f"the wizard to close ({wizard.review.status.text()})"
    )


def test_wizard_creates_fargate_and_ec2_environments_on_moto(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    qtmodeltester: Any,
) -> None:
    ids = seed_batch(moto)
    moto.client("iam").create_instance_profile(InstanceProfileName="ecsInstanceRole")
    group = moto.client("batch").describe_compute_environments()["computeEnvironments"][0][
        "computeResources"
    ]["securityGroupIds"][0]
    _app, panel = open_panel(make_app, moto, "compute-environments", wait_until)
    qtmodeltester.check(panel.model)

    # Fargate: the advisor proposes it for small jobs; the EC2 page is skipped.
    wizard = open_wizard(panel, wait_until)
    wizard.advisor.vcpus.setValue(2)
    wizard.advisor.memory.setValue(4)
    assert "Recommended: FARGATE" in wizard.advisor.advice_label.text()
    wizard.next()
    assert wizard.settings.platform.currentText() == "FARGATE"
    wizard.settings.name.setText("wizard-fargate")
    wizard.settings.service_role.setCurrentText(ids["role"])
    check_items(wizard.settings.subnets, [ids["subnet"]])
    check_items(wizard.settings.security_groups, [group])
    wizard.next()
    assert wizard.currentId() == wizard.review_id
    assert '"type": "FARGATE"' in wizard.review.request_view.toPlainText()
    finish(wizard, panel, wait_until)

    # EC2: GPUs need EC2, and the wizard says why.
    wizard = open_wizard(panel, wait_until)
    wizard.advisor.gpu.setChecked(True)
    assert "GPUs" in wizard.advisor.advice_label.text()
    wizard.next()
    assert wizard.settings.platform.currentText() == "EC2"
    wizard.settings.name.setText("wizard-ec2")
    wizard.settings.service_role.setCurrentText(ids["role"])
    check_items(wizard.settings.subnets, [ids["subnet"]])
    check_items(wizard.settings.security_groups, [group])
    wizard.next()
    assert wizard.currentId() == wizard.ec2_id
    wizard.ec2.instance_types.setText("optimal")
    finish(wizard, panel, wait_until)

    panel.refresh()
    wait_until(lambda: panel.model.rowCount() == 3, what="three environments")
    names = {panel.model.index(r, 0).data(): panel.model.index(r, 2).data() for r in range(3)}
    assert names == {"demo-fargate": "FARGATE", "wizard-fargate": "FARGATE", "wizard-ec2": "EC2"}
    panel.platform_filter.setCurrentText("EC2")
    assert panel.model.rowCount() == 1
    panel.platform_filter.setCurrentIndex(0)
    qtmodeltester.check(panel.model)


def test_wizard_refuses_bad_input_without_sending_and_shows_aws_errors(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "compute-environments", wait_until)
    wizard = open_wizard(panel, wait_until)
    wizard.next()
    # Nothing is called wrong before the first Next.
    assert not wizard.settings.problems.isVisible()
    wizard.settings.name.setText("bad name!")
    wizard.next()
    # Next checks the page: it stays, and says what to fix.
    assert wizard.currentId() == wizard.settings_id
    problems = " ".join(wizard.settings.problems.texts())
    assert "computeEnvironmentName" in problems
    assert "subnet" in problems
    # Once shown, the problems follow the edits.
    wizard.settings.name.setText("good-name")
    assert "computeEnvironmentName" not in " ".join(wizard.settings.problems.texts())
    # The Create step checks the whole request again (nothing is sent while there are problems).
    wizard.accept()
    assert "subnet" in " ".join(wizard.review.problems.texts())
    assert wizard.sent == 0
    # Valid in form, refused by moto (no service role): the refusal is shown and the wizard stays.
    wizard.back()
    wizard.settings.name.setText("no-role")
    wizard.settings.extra_subnets.setText("subnet-12345678")
    wizard.settings.extra_groups.setText("sg-12345678")
    wizard.next()
    wizard.accept()
    wait_until(
        lambda: (
            "Rejected by AWS" in wizard.review.status.text() or "error" in wizard.review.status.text().lower()
        ),
        what="the refusal",
    )
    assert wizard.isVisible()
    wizard.reject()
    wait_until(lambda: panel.wizard is None, what="wizard closed")


def test_problems_for_ec2_requests() -> None:
    request = ComputeEnvironmentRequest(
        name="x",
        platform="EC2",
        max_vcpus=4,
        min_vcpus=8,
        subnets=("s",),
        instance_types=("m5.large", "NOT A TYPE"),
        allocation_strategy="SPOT_CAPACITY_OPTIMIZED",
        bid_percentage=150,
    )
    paths = {p.path for p in compute_environment_problems(request)}
    assert paths >= {
        "computeResources.minvCpus",
        "computeResources.instanceTypes[1]",
        "computeResources.instanceRole",
        "computeResources.allocationStrategy",
        "computeResources.bidPercentage",
    }


def test_edit_and_dependency_aware_delete_on_moto(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "compute-environments", wait_until)
    select_row(panel, "demo-fargate")
    panel.edit()
    wait_until(lambda: panel.edit_dialog is not None and panel.edit_dialog.isVisible(), what="edit dialog")
    dialog = panel.edit_dialog
    dialog.start_apply()
    assert "Nothing changed." in dialog.problems.texts()
    dialog.max_vcpus.setValue(32)
    dialog.start_apply()
    wait_until(lambda: panel.edit_dialog is None, what="edit applied")

    select_row(panel, "demo-fargate")
    panel.delete()
    text = answer(wait_until)
    assert "Job queue demo-queue uses only this environment" in text
    assert "Disable compute environment demo-fargate" in text
    wait_until(lambda: getattr(panel, "last_delete_dialog", None) is not None, what="progress dialog")
    dialog = panel.last_delete_dialog
    wait_until(lambda: dialog.succeeded is not None, timeout=30, what="the delete to finish")
    assert dialog.succeeded, dialog.result_label.text()
    assert dialog.bar.value() == len(dialog.plan.steps)
    dialog.accept()
    batch = moto.client("batch")
    assert batch.describe_compute_environments()["computeEnvironments"] == []
    assert batch.describe_job_queues()["jobQueues"] == []
    wait_until(lambda: panel.model.rowCount() == 0, what="the table to empty")


def test_cancelled_confirmation_sends_nothing(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "compute-environments", wait_until)
    select_row(panel, "demo-fargate")
    assert panel.toggle_button.text() == "Disable"
    panel.toggle_state()
    assert "Disable demo-fargate?" in answer(wait_until, accept=False)
    batch = moto.client("batch")
    assert batch.describe_compute_environments()["computeEnvironments"][0]["state"] == "ENABLED"
    panel.toggle_state()
    answer(wait_until)
    wait_until(lambda: panel.model.all_rows()[0].state == "DISABLED", what="disabled")
    select_row(panel, "demo-fargate")
    assert panel.toggle_button.text() == "Enable"
    panel.toggle_state()  # enabling needs no confirmation
    wait_until(lambda: panel.model.all_rows()[0].state == "ENABLED", what="enabled again")


def test_sandbox_wizard_and_delete(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    endpoint = SandboxEndpoint(sandbox)
    _app, panel = open_panel(make_app, endpoint, "compute-environments", wait_until)
    for platform, name in (("FARGATE", "sb-fargate"), ("EC2", "sb-ec2")):
        wizard = open_wizard(panel, wait_until)
        wizard.advisor.gpu.setChecked(platform == "EC2")
        wizard.next()
        assert wizard.settings.platform.currentText() == platform
        wizard.settings.name.setText(name)
        wizard.settings.extra_subnets.setText("subnet-0sandbox")
        wizard.settings.extra_groups.setText("sg-0sandbox")
        finish(wizard, panel, wait_until)
    panel.refresh()
    wait_until(lambda: panel.model.rowCount() == 4, what="two new rows")
    # The sandbox moves through CREATING -> VALID like AWS; the delete waits for each step.
    select_row(panel, "sb-ec2")
    panel.delete()
    text = answer(wait_until)
    assert "It is ENABLED" in text
    wait_until(lambda: getattr(panel, "last_delete_dialog", None) is not None, what="progress dialog")
    dialog = panel.last_delete_dialog
    wait_until(lambda: dialog.succeeded is not None, timeout=30, what="the delete to finish")
    assert dialog.succeeded, dialog.result_label.text()
    assert "✔" in dialog.steps.item(0).text()
    dialog.accept()
    wait_until(lambda: panel.model.rowCount() == 3, what="the row to go")


def test_wizard_offers_typing_when_ec2_and_iam_are_denied(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None], run_async: Any
) -> None:
    from types import SimpleNamespace

    from batchgui.domain.errors import AccessDenied

    def denied() -> list[Any]:
        raise AccessDenied("not allowed", "Ask an administrator.")

    app, _panel = open_panel(make_app, moto, "compute-environments", wait_until)
    backend = SimpleNamespace(
        ec2=SimpleNamespace(describe_subnets=denied, describe_security_groups=denied),
        iam=SimpleNamespace(list_roles=denied),
    )
    choices = run_async(inventory_connected_to(app.runner, backend).network_choices())
    assert choices.subnets == []
    assert "type their IDs" in choices.note
    assert "type the ARNs" in choices.note


def test_keyboard_shortcuts_open_the_wizard(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    run_async: Callable[..., Any],
) -> None:
    from PySide6.QtTest import QTest

    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "compute-environments", wait_until)
    panel.window().activateWindow()
    panel.table.setFocus()
    wait_until(panel.table.hasFocus, what="focus in the table")

    async def press() -> None:
        # Inside the running loop: Qt delivers the shortcut while asyncio can take the task it starts.
        # Ctrl+N is the main window's New CSV submission; creating here is Ctrl+Shift+N.
        QTest.keyClick(
            panel.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )

    run_async(press())
    wait_until(
        lambda: panel.wizard is not None and panel.wizard.isVisible(), what="the wizard from Ctrl+Shift+N"
    )
    panel.wizard.reject()
    wait_until(lambda: panel.wizard is None, what="closed")
    # Leave no modifier "held" for later tests (selection clicks read the modifiers).
    from PySide6.QtGui import QGuiApplication

    for key in (Qt.Key.Key_Control, Qt.Key.Key_Shift):
        QTest.keyRelease(panel.window(), key)
    assert QGuiApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier


def test_edit_on_the_sandbox_applies_resources(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    _app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "compute-environments", wait_until)
    select_row(panel, "ec2-ce")
    panel.edit()
    wait_until(lambda: panel.edit_dialog is not None and panel.edit_dialog.isVisible(), what="edit dialog")
    dialog = panel.edit_dialog
    wait_until(lambda: dialog.choices_loaded, what="subnets listed")
    # The environment's subnets are ticked in the same checklist the wizard uses.
    assert dialog.subnets.checked_ids() == ["subnet-0sandbox"]
    assert dialog.request().to_api() == {"computeEnvironment": "ec2-ce"}
    dialog.subnets.set_checked([])
    dialog.instance_types.setText("m5, NOT OK")
    dialog.start_apply()
    texts = " ".join(dialog.problems.texts())
    assert "keep at least one subnet" in texts
    assert "'NOT OK' is not an instance type" in texts
    assert dialog.sent == 0
    dialog.subnets.set_checked(["subnet-0sandbox"])
    dialog.instance_types.setText("m5, c5, r5")
    dialog.max_vcpus.setValue(32)
    assert dialog.request().to_api()["computeResources"] == {
        "maxvCpus": 32,
        "instanceTypes": ["m5", "c5", "r5"],
    }
    dialog.start_apply()
    wait_until(lambda: panel.edit_dialog is None, what="applied")
    wait_until(
        lambda: any(e.name == "ec2-ce" and e.max_vcpus == 32 for e in panel.model.all_rows()),
        what="new max shown",
    )
    env = next(e for e in panel.model.all_rows() if e.name == "ec2-ce")
    assert env.instance_types == ("m5", "c5", "r5")


def test_wizard_and_edit_dialog_say_loading_then_fill_the_checklists(qtbot: Any) -> None:
    from batchgui.aws.ec2 import SecurityGroup, Subnet
    from batchgui.aws.iam import Role
    from batchgui.domain.batch import ComputeEnvironment
    from batchgui.ui.compute_envs.wizard import LOADING, EditComputeEnvironmentDialog, NetworkChoices

    async def refuse(_request: object) -> None:
        raise AssertionError("nothing may be sent")

    choices = NetworkChoices(
        subnets=[
            Subnet("subnet-a", "vpc-1", "us-east-1a", "10.0.0.0/24"),
            Subnet("subnet-b", "vpc-1", "b", "c"),
        ],
        security_groups=[SecurityGroup("sg-1", "vpc-1", "default")],
        roles=[Role("batch-service", "arn:aws:iam::1:role/batch-service")],
    )
    wizard = ComputeEnvironmentWizard(NetworkChoices(loading=True), refuse)
    qtbot.addWidget(wizard)
    assert [wizard.settings.subnets.item(i).text() for i in range(wizard.settings.subnets.count())] == [
        LOADING
    ]
    assert wizard.settings.subnet_ids() == []
    loaded_at_first = wizard.choices_loaded
    check_items(wizard.settings.subnets, ["subnet-b"])  # nothing to tick yet
    wizard.set_choices(choices)
    assert (loaded_at_first, wizard.choices_loaded) == (False, True)
    assert wizard.settings.subnets.count() == 2
    assert wizard.settings.service_role.findText("arn:aws:iam::1:role/batch-service") >= 0
    check_items(wizard.settings.subnets, ["subnet-b"])
    assert wizard.settings.subnet_ids() == ["subnet-b"]

    env = ComputeEnvironment.from_api(
        {
            "computeEnvironmentName": "fg",
            "computeEnvironmentArn": "arn:aws:batch:us-east-1:1:compute-environment/fg",
            "type": "MANAGED",
            "state": "ENABLED",
            "status": "VALID",
            "computeResources": {
                "type": "FARGATE",
                "maxvCpus": 4,
                "subnets": ["subnet-b", "subnet-gone"],
                "securityGroupIds": ["sg-1"],
            },
        }
    )
    dialog = EditComputeEnvironmentDialog(env, refuse)
    qtbot.addWidget(dialog)
    # Before the lists arrive: the current IDs (ticked) and "Loading…".
    assert dialog.subnets.checked_ids() == ["subnet-b", "subnet-gone"]
    assert dialog.subnets.item(dialog.subnets.count() - 1).text() == LOADING
    dialog.set_choices(choices)
    # Listed ones get their labels; one the account no longer lists stays ticked.
    assert sorted(dialog.subnets.checked_ids()) == ["subnet-b", "subnet-gone"]
    assert dialog.subnets.count() == 3
    assert dialog.request().to_api() == {"computeEnvironment": "fg"}
    dialog.subnets.set_checked(["subnet-a"])
    assert dialog.request().to_api()["computeResources"] == {"subnets": ["subnet-a"]}
    dialog.security_groups.set_checked([])
    dialog.start_apply()
    assert "Fargate needs a security group" in " ".join(dialog.problems.texts())
    assert dialog.sent == 0
