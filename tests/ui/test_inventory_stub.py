"""Each inventory panel built with a fake InventoryService and no server: rows shown, and an action
reaching the facade as a typed request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.domain.batch import JobStatus
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.domain.inventory_requests import (
    ComputeEnvironmentRequest,
    JobQueueRequest,
    SchedulingPolicyRequest,
)
from batchgui.ui.compute_envs.panel import ComputeEnvironmentsPanel
from batchgui.ui.job_definitions.panel import JobDefinitionsPanel
from batchgui.ui.queues.panel import JobQueuesPanel
from batchgui.ui.scheduling_policies.panel import SchedulingPoliciesPanel
from tests.ui.admin_support import answer, select_row
from tests.ui.inventory_stubs import (
    StubPanelServices,
    definition,
    environment,
    policy,
    queue,
    stub_panel_services,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stub(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[StubPanelServices]:
    yield from stub_panel_services(tmp_path)


def texts(panel: Any, column: int = 0) -> list[str]:
    return [panel.model.index(r, column).data() for r in range(panel.model.rowCount())]


def test_compute_environments_panel_on_a_fake_facade(
    stub: StubPanelServices,
    qtbot: Any,
    qtmodeltester: Any,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    stub.inventory.environments = [environment("fg-a"), environment("ec2-b", "EC2")]
    panel = ComputeEnvironmentsPanel(stub.services, stub.inventory)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["ec2-b", "fg-a"]

    panel.create_new()
    wait_until(lambda: panel.wizard is not None and panel.wizard.choices_loaded, what="the wizard")
    wizard = panel.wizard
    assert wizard is not None
    wizard.next()
    wizard.settings.name.setText("from-stub")
    wizard.settings.platform.setCurrentText("FARGATE")
    wizard.settings.subnets.set_checked(["subnet-1"])
    wizard.settings.security_groups.set_checked(["sg-1"])
    wizard.next()
    assert wizard.currentId() == wizard.review_id
    wizard.accept()
    wait_until(lambda: panel.wizard is None, what="the wizard to close")
    [(sent,)] = stub.inventory.recorded.of("create_compute_environment")
    assert sent == ComputeEnvironmentRequest(
        name="from-stub",
        platform="FARGATE",
        max_vcpus=16,
        subnets=("subnet-1",),
        security_group_ids=("sg-1",),
    )

    select_row(panel, "fg-a")
    panel.toggle_state()
    assert "Disable fg-a?" in answer(wait_until)
    wait_until(lambda: bool(stub.inventory.recorded.of("set_compute_environment_state")), what="disable")
    assert stub.inventory.recorded.of("set_compute_environment_state") == [("fg-a", "DISABLED")]
    assert stub.errors == []


def test_job_queues_panel_on_a_fake_facade(
    stub: StubPanelServices,
    qtbot: Any,
    qtmodeltester: Any,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    fargate = environment("fg-a")
    stub.inventory.environments = [fargate, environment("ec2-b", "EC2")]
    stub.inventory.queues = [queue("q-1", [fargate])]
    stub.inventory.counts = {("q-1", JobStatus.RUNNABLE): 7}
    panel = JobQueuesPanel(stub.services, stub.inventory)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["q-1"]
    runnable = [c.title for c in panel.model.columns].index("Runnable")
    assert panel.model.index(0, runnable).data() == "7"

    panel.create_new()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the queue dialog")
    dialog = panel.dialog
    assert dialog is not None
    dialog.name.setText("q-2")
    dialog.add_environment(fargate.arn)
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = stub.inventory.recorded.of("create_job_queue")
    assert isinstance(sent, JobQueueRequest)
    assert (sent.name, sent.settings.compute_environments) == ("q-2", (fargate.arn,))
    assert stub.errors == []


def test_job_definitions_panel_on_a_fake_facade(
    stub: StubPanelServices,
    qtbot: Any,
    qtmodeltester: Any,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    stub.inventory.definitions = [definition("def-a", 1), definition("def-a", 2), definition("def-b")]
    panel = JobDefinitionsPanel(stub.services, stub.inventory)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert sorted(texts(panel)) == ["def-a", "def-a", "def-b"]
    panel.latest_only.setChecked(True)
    assert panel.model.rowCount() == 2

    panel.register_new()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the definition dialog")
    dialog = panel.dialog
    assert dialog is not None
    body = JobDefinitionRequest.starter("arn:aws:iam::123456789012:role/exec").to_api()
    body["jobDefinitionName"] = "from-json"
    dialog.set_json(json.dumps(body))
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = stub.inventory.recorded.of("register_job_definition")
    assert isinstance(sent, JobDefinitionRequest)
    assert sent.to_api() == body
    assert stub.errors == []


def test_scheduling_policies_panel_on_a_fake_facade(
    stub: StubPanelServices,
    qtbot: Any,
    qtmodeltester: Any,
    run_async: Callable[..., Any],
    wait_until: Callable[..., None],
) -> None:
    stub.inventory.policies = [policy("fair")]
    panel = SchedulingPoliciesPanel(stub.services, stub.inventory)
    qtbot.addWidget(panel)
    run_async(panel.load())
    qtmodeltester.check(panel.model)
    assert texts(panel) == ["fair"]

    panel.create_new()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the policy dialog")
    dialog = panel.dialog
    assert dialog is not None
    dialog.name.setText("fairer")
    dialog.shares.model.add_row("team-a*", "2")
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="the dialog to close")
    [(sent,)] = stub.inventory.recorded.of("create_scheduling_policy")
    assert isinstance(sent, SchedulingPolicyRequest)
    assert sent.name == "fairer"
    assert [(s.identifier, s.weight) for s in sent.fairshare.shares] == [("team-a*", 2.0)]

    select_row(panel, "fair")
    panel.delete()
    assert "Delete scheduling policy fair?" in answer(wait_until)
    wait_until(lambda: bool(stub.inventory.recorded.of("delete_scheduling_policy")), what="delete")
    assert stub.inventory.recorded.of("delete_scheduling_policy") == [(policy("fair").arn,)]
    assert stub.errors == []
