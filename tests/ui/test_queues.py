from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from batchgui.app import Application
from batchgui.domain.batch import JobStatus
from batchgui.ui.compute_envs.panel import ComputeEnvironmentsPanel
from batchgui.ui.queues.dialog import JobQueueDialog, QueueRequest
from tests.support import MotoEndpoint, seed_batch
from tests.ui.admin_support import SandboxEndpoint, answer, open_panel, select_row

pytestmark = pytest.mark.timeout(120)


def add_ec2_environment(moto: MotoEndpoint, ids: dict[str, str]) -> str:
    moto.client("iam").create_instance_profile(InstanceProfileName="ecsInstanceRole")
    batch = moto.client("batch")
    group = batch.describe_compute_environments()["computeEnvironments"][0]["computeResources"][
        "securityGroupIds"
    ]
    return str(
        batch.create_compute_environment(
            computeEnvironmentName="demo-ec2",
            type="MANAGED",
            computeResources={
                "type": "EC2",
                "minvCpus": 0,
                "maxvCpus": 8,
                "instanceTypes": ["optimal"],
                "instanceRole": "ecsInstanceRole",
                "subnets": [ids["subnet"]],
                "securityGroupIds": group,
            },
            serviceRole=ids["role"],
        )["computeEnvironmentArn"]
    )


def open_dialog(panel: Any, wait_until: Callable[..., None], edit: bool = False) -> JobQueueDialog:
    (panel.edit if edit else panel.create_new)()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the queue dialog")
    dialog: JobQueueDialog = panel.dialog
    return dialog


def test_queue_table_counts_jobs_by_status(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    qtmodeltester: Any,
) -> None:
    ids = seed_batch(moto)
    for n in range(2):
        moto.client("batch").submit_job(
            jobName=f"j{n}", jobQueue=ids["queue"], jobDefinition=ids["definition"]
        )
    app, panel = open_panel(make_app, moto, "job-queues", wait_until)
    qtmodeltester.check(panel.model)
    row = panel.model.all_rows()[0]
    assert row.count_text(JobStatus.SUCCEEDED) == "2"
    succeeded = [c.title for c in panel.model.columns].index("Succeeded")
    assert panel.model.index(0, succeeded).data() == "2"
    panel.model.sort(succeeded)
    qtmodeltester.check(panel.model)

    # A refresh within a minute recounts only the active statuses and keeps the finished counts.
    backend = app.connections.backend
    assert backend is not None
    calls: list[str] = []
    backend.connection.client("batch").meta.events.register(
        "before-send.batch.ListJobs", lambda request, **_: calls.append(request.body)
    )
    panel.refresh()
    wait_until(lambda: panel.load_count >= 2, what="second load")
    assert len(calls) == len(JobStatus.active())
    assert panel.model.all_rows()[0].count_text(JobStatus.SUCCEEDED) == "2"


def test_create_refuses_mixing_then_creates_and_edits(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    ids = seed_batch(moto)
    ec2 = add_ec2_environment(moto, ids)
    _app, panel = open_panel(make_app, moto, "job-queues", wait_until)
    dialog = open_dialog(panel, wait_until)
    dialog.name.setText("mixed")
    dialog.add_environment(ids["ce"])
    dialog.add_environment(ec2)
    assert "does not allow mixing Fargate (demo-fargate) and EC2 (demo-ec2)" in dialog.order_note.text()
    dialog.start_apply()
    assert any("mixing" in t for t in dialog.problems.texts())
    assert dialog.sent == 0
    # One queue per platform: keep only the EC2 environment.
    dialog.order.setCurrentRow(0)
    dialog.remove_selected_environment()
    dialog.name.setText("ec2-queue")
    dialog.priority.setValue(7)
    dialog.stuck_rows[0].enabled.setChecked(True)
    dialog.stuck_rows[0].seconds.setValue(1800)
    request = dialog.request().to_api()
    assert request["computeEnvironmentOrder"] == [{"order": 1, "computeEnvironment": ec2}]
    assert request["jobStateTimeLimitActions"][0]["maxTimeSeconds"] == 1800
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the queue to be created")
    wait_until(lambda: panel.model.rowCount() == 2, what="two queues")
    created = moto.client("batch").describe_job_queues(jobQueues=["ec2-queue"])["jobQueues"][0]
    assert created["priority"] == 7

    select_row(panel, "demo-queue")
    dialog = open_dialog(panel, wait_until, edit=True)
    assert dialog.name.isReadOnly()
    dialog.priority.setValue(42)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the queue to be updated")
    assert (
        moto.client("batch").describe_job_queues(jobQueues=["demo-queue"])["jobQueues"][0]["priority"] == 42
    )


def test_reorder_environments(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    ids = seed_batch(moto)
    batch = moto.client("batch")
    group = batch.describe_compute_environments()["computeEnvironments"][0]["computeResources"][
        "securityGroupIds"
    ]
    second = batch.create_compute_environment(
        computeEnvironmentName="second",
        type="MANAGED",
        computeResources={
            "type": "FARGATE_SPOT",
            "maxvCpus": 4,
            "subnets": [ids["subnet"]],
            "securityGroupIds": group,
        },
        serviceRole=ids["role"],
    )["computeEnvironmentArn"]
    _app, panel = open_panel(make_app, moto, "job-queues", wait_until)
    select_row(panel, "demo-queue")
    dialog = open_dialog(panel, wait_until, edit=True)
    dialog.add_environment(second)
    # A drag inside the list is a row move in its model; the order and the note follow it.
    from PySide6.QtCore import QModelIndex

    assert dialog.order.model().moveRow(QModelIndex(), 1, QModelIndex(), 0)
    assert dialog.ordered_arns() == [second, ids["ce"]]
    dialog.order.setCurrentRow(1)
    dialog.move_selected(-1)
    assert dialog.ordered_arns() == [ids["ce"], second]
    dialog.move_selected(1)
    assert dialog.ordered_arns() == [second, ids["ce"]]
    dialog.add_environment(second)
    assert "already in the list" in dialog.status.text()
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the update")
    order = batch.describe_job_queues(jobQueues=["demo-queue"])["jobQueues"][0]["computeEnvironmentOrder"]
    assert sorted(order, key=lambda o: o["order"])[0]["computeEnvironment"] == second


def test_front_of_queue_says_plainly_when_moto_lacks_it(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "job-queues", wait_until)
    select_row(panel, "demo-queue")
    panel.front_of_queue()
    text = answer(wait_until)
    assert "Not offered by this endpoint" in text
    assert "GetJobQueueSnapshot" in text


def test_sandbox_queue_create_snapshot_and_delete(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    _app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "job-queues", wait_until)
    dialog = open_dialog(panel, wait_until)
    dialog.name.setText("sb-queue")
    fargate = next(a for a, e in dialog.environments.items() if e.name == "fargate-ce")
    ec2 = next(a for a, e in dialog.environments.items() if e.name == "ec2-ce")
    dialog.add_environment(ec2)
    dialog.add_environment(fargate)
    dialog.start_apply()
    assert dialog.sent == 0
    dialog.order.setCurrentRow(0)
    dialog.remove_selected_environment()
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="created")
    wait_until(lambda: panel.model.rowCount() == 3, what="three queues")

    select_row(panel, "fargate-queue")
    panel.front_of_queue()
    assert "fargate-queue" in answer(wait_until)

    select_row(panel, "sb-queue")
    panel.delete()
    text = answer(wait_until)
    assert "Disable job queue sb-queue" in text
    wait_until(lambda: getattr(panel, "last_delete_dialog", None) is not None, what="progress dialog")
    progress = panel.last_delete_dialog
    wait_until(lambda: progress.succeeded is not None, timeout=30, what="the delete")
    assert progress.succeeded, progress.result_label.text()
    progress.accept()
    wait_until(lambda: panel.model.rowCount() == 2, what="the queue to go")


def _batch_client(endpoint: Any) -> Any:
    import boto3

    local = endpoint.local()
    return boto3.client(
        "batch",
        endpoint_url=local.endpoint_url,
        region_name=local.region,
        aws_access_key_id=local.access_key_id,
        aws_secret_access_key=local.secret_access_key,
    )


@pytest.mark.parametrize("backend", ["moto", "sandbox"])
def test_end_to_end_wizard_queues_and_dependency_aware_delete(
    backend: str,
    request: pytest.FixtureRequest,
    moto_server: MotoEndpoint,
    make_app: Callable[..., Application],
    wait_until: Callable[..., None],
) -> None:
    """Fargate and EC2 environments through the wizard, a queue per platform (mixing refused), then the
    queue and an environment deleted through the dependency-aware delete."""
    from tests.ui.test_compute_envs import check_items, finish, open_wizard

    subnet, group, role = "subnet-0sandbox", "sg-0sandbox", ""
    if backend == "moto":
        endpoint: Any = request.getfixturevalue("moto")
        ids = seed_batch(endpoint)
        endpoint.client("iam").create_instance_profile(InstanceProfileName="ecsInstanceRole")
        found = endpoint.client("batch").describe_compute_environments()["computeEnvironments"][0]
        subnet, group, role = ids["subnet"], found["computeResources"]["securityGroupIds"][0], ids["role"]
    else:
        endpoint = SandboxEndpoint(request.getfixturevalue("sandbox"))
    app, environments = open_panel(make_app, endpoint, "compute-environments", wait_until)
    for gpu, name in ((False, "e2e-fargate"), (True, "e2e-ec2")):
        wizard = open_wizard(environments, wait_until)
        wizard.advisor.gpu.setChecked(gpu)
        wizard.next()
        wizard.settings.name.setText(name)
        wizard.settings.service_role.setCurrentText(role)
        check_items(wizard.settings.subnets, [subnet])
        check_items(wizard.settings.security_groups, [group])
        if not wizard.settings.subnet_ids():
            wizard.settings.extra_subnets.setText(subnet)
            wizard.settings.extra_groups.setText(group)
        finish(wizard, environments, wait_until)

    queues: Any = app.window.show_panel("job-queues")
    wait_until(lambda: queues.load_count >= 1, what="queues loaded")
    dialog = open_dialog(queues, wait_until)
    arns = {e.name: a for a, e in dialog.environments.items()}
    dialog.name.setText("e2e-mixed")
    dialog.add_environment(arns["e2e-fargate"])
    dialog.add_environment(arns["e2e-ec2"])
    dialog.start_apply()
    assert any("does not allow mixing" in t for t in dialog.problems.texts())
    assert dialog.sent == 0
    dialog.reject()
    wait_until(lambda: queues.dialog is None, what="closed")
    for platform in ("fargate", "ec2"):
        dialog = open_dialog(queues, wait_until)
        dialog.name.setText(f"e2e-{platform}-q")
        dialog.add_environment(arns[f"e2e-{platform}"])
        dialog.start_apply()
        wait_until(lambda: queues.dialog is None, what=f"queue over e2e-{platform}")

    batch = _batch_client(endpoint)
    names = {q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]}
    assert {"e2e-fargate-q", "e2e-ec2-q"} <= names

    queues.refresh()
    wait_until(
        lambda: (
            queues.model.row_of_key(f"{arns['e2e-fargate'].split(':compute')[0]}:job-queue/e2e-fargate-q")
            >= 0
        ),
        what="new queues shown",
    )
    select_row(queues, "e2e-fargate-q")
    queues.delete()
    assert "Disable job queue e2e-fargate-q" in answer(wait_until)
    wait_until(lambda: getattr(queues, "last_delete_dialog", None) is not None, what="progress")
    progress = queues.last_delete_dialog
    wait_until(lambda: progress.succeeded is not None, timeout=30, what="queue delete")
    assert progress.succeeded, progress.result_label.text()
    progress.accept()

    environments = app.window.show_panel("compute-environments")
    assert isinstance(environments, ComputeEnvironmentsPanel)
    wait_until(lambda: environments.load_count >= 2, what="environments reloaded")
    wait_until(lambda: any(e.name == "e2e-ec2" for e in environments.model.all_rows()), what="environments")
    select_row(environments, "e2e-ec2")
    environments.delete()
    text = answer(wait_until)
    assert "Job queue e2e-ec2-q uses only this environment" in text
    wait_until(lambda: getattr(environments, "last_delete_dialog", None) is not None, what="progress")
    progress = environments.last_delete_dialog
    assert progress is not None
    wait_until(lambda: progress.succeeded is not None, timeout=40, what="environment delete")
    assert progress.succeeded, progress.result_label.text()
    progress.accept()
    names = {q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]}
    assert not names & {"e2e-fargate-q", "e2e-ec2-q"}
    left = {e["computeEnvironmentName"] for e in batch.describe_compute_environments()["computeEnvironments"]}
    assert "e2e-ec2" not in left
    assert "e2e-fargate" in left
    batch.close()


def test_new_queue_dialog_is_neutral_until_create_is_pressed(qtbot: Any) -> None:
    async def send(_request: QueueRequest) -> None:
        raise AssertionError("nothing may be sent")

    dialog = JobQueueDialog([], [], send)
    qtbot.addWidget(dialog)
    # Untouched: a hint, not an error.
    assert dialog.order_note.styleSheet() == ""
    assert "Add 1 to 3 compute environments" in dialog.order_note.text()
    assert not dialog.problems.isVisibleTo(dialog)
    dialog.start_apply()
    assert dialog.sent == 0
    assert "add at least one compute environment" in dialog.order_note.text()
    assert "b00020" in dialog.order_note.styleSheet()
    assert dialog.problems.isVisibleTo(dialog)


def test_context_menu_holds_the_panel_actions(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    from PySide6.QtWidgets import QMenu

    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "job-queues", wait_until)
    menu = QMenu()
    panel.context_actions(menu, panel.selected_rows())
    actions = [a for a in menu.actions() if not a.isSeparator()]
    # The very actions of the action bar: same shortcuts, same enabled state.
    assert actions == panel.row_actions
    assert all(a in panel.actions() for a in actions)
    assert any(a.shortcut().toString() == "Ctrl+E" for a in actions)
