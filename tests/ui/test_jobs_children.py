"""Array children on the real sandbox: retry only the failed ones (each new child finds its original
index), terminate two selected children (the others keep running), open a child from Details and keep
it shown across refreshes, and its log one click away."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.app import Application
from batchgui.domain.array_retry import ORIGINAL_INDICES_VAR, RETRIED_BY_TAG, RETRY_OF_TAG
from batchgui.domain.batch import JobStatus
from batchgui.domain.job_requests import ContainerOverrides, SubmitJobRequest
from batchgui.services import job_retry
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.jobs.submit_dialog import SubmitJobDialog
from tests.ui.log_support import log_text as shown_log_text
from tests.ui.test_jobs_panel import SandboxEndpoint, click_message_button, open_panel

pytestmark = pytest.mark.timeout(180)
Wait = Callable[..., None]

# The README's recipe: the original index is entry AWS_BATCH_JOB_ARRAY_INDEX (0 for a single job) of
# the comma list with ranges in BATCHGUI_ORIGINAL_ARRAY_INDICES.
ORIGINAL_INDEX_SH = (
    'echo "$BATCHGUI_ORIGINAL_ARRAY_INDICES" | awk -v i="${AWS_BATCH_JOB_ARRAY_INDEX:-0}" -F, '
    '\'{for(f=1;f<=NF;f++){n=split($f,r,"-"); a=r[1]; b=(n>1?r[2]:r[1]); '
    'if(i<=b-a){print "original " a+i; exit} i-=b-a+1}}\''
)


def client_of(panel: JobsPanel) -> Any:
    backend = panel.jobs.connections.backend
    assert backend is not None
    return backend.batch.client


def describe(panel: JobsPanel, job_id: str) -> dict[str, Any]:
    return dict(client_of(panel).describe_jobs(jobs=[job_id])["jobs"][0])


def wait_status(panel: JobsPanel, wait_until: Wait, job_id: str, *statuses: str, timeout: float = 60) -> None:
    def done() -> bool:
        return str(describe(panel, job_id)["status"]) in statuses

    def slow() -> bool:
        time.sleep(0.2)
        return done()

    wait_until(slow, timeout, f"{job_id} {statuses}")


def submit_array(panel: JobsPanel, size: int, script: str) -> str:
    return str(
        client_of(panel).submit_job(
            jobName="arr",
            jobQueue="fargate-queue",
            jobDefinition="csv-row-processor",
            arrayProperties={"size": size},
            containerOverrides={"command": ["sh", "-c", script]},
        )["jobId"]
    )


def open_dialog(panel: JobsPanel, wait_until: Wait) -> SubmitJobDialog:
    found: list[SubmitJobDialog] = []

    def dialog_open() -> bool:
        found[:] = [d for d in panel.findChildren(SubmitJobDialog) if d.isVisible()]
        return bool(found)

    wait_until(dialog_open, what="dialog")
    return found[0]


def log_text(panel: JobsPanel, job_id: str) -> str:
    backend = panel.jobs.connections.backend
    assert backend is not None
    stream = describe(panel, job_id)["container"]["logStreamName"]
    events = backend.logs.get_log_events("/aws/batch/job", stream)
    return "\n".join(e.message for e in events.events)


def test_retry_failed_children_runs_exactly_the_failed_indices(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    # Children 1 and 4 of 6 fail; the others succeed.
    parent_id = submit_array(panel, 6, "exit $(( AWS_BATCH_JOB_ARRAY_INDEX % 3 == 1 ))")
    wait_status(panel, wait_until, parent_id, "FAILED", "SUCCEEDED")
    source = run_async(job_retry.prepare(panel.jobs, parent_id))
    assert source.ok
    assert source.failed == (1, 4)

    # Through the Jobs panel: Resubmit on the failed array parent is the retry of its failed children.
    panel.show_job(parent_id)
    wait_until(lambda: panel.inspector.shown_id == parent_id, what="parent shown")
    task = panel.spawn(panel.retry_failed_children(parent_id), "retry")
    dialog = open_dialog(panel, wait_until)
    assert dialog.windowTitle() == "Retry failed children"
    assert "1,4" in dialog.findChild(type(dialog.error_label), "submitNote").text()  # type: ignore[union-attr]
    assert ORIGINAL_INDICES_VAR not in dialog.environment_edit.toPlainText()
    dialog.command_edit.setText(
        f"sh -c '{ORIGINAL_INDEX_SH.replace(chr(39), chr(39) + chr(92) + chr(39) + chr(39))}'"
    )
    dialog.buttons.accepted.emit()
    wait_until(task.done, 30, "retry submitted")
    results = task.result()
    assert len(results) == 1
    assert not results[0].error, results[0].error
    retry_id = results[0].job_id

    retry = describe(panel, retry_id)
    assert retry["arrayProperties"]["size"] == 2
    assert retry["tags"][RETRY_OF_TAG] == parent_id
    assert describe(panel, parent_id)["tags"][RETRIED_BY_TAG] == retry_id
    wait_status(panel, wait_until, retry_id, "SUCCEEDED", "FAILED")
    assert describe(panel, retry_id)["status"] == "SUCCEEDED"
    assert log_text(panel, f"{retry_id}:0").strip() == "original 1"
    assert log_text(panel, f"{retry_id}:1").strip() == "original 4"
    # Details shows the link both ways.
    panel.show_job(retry_id)
    wait_until(lambda: "Retry of" in panel.details.text(), 10, "retry-of link")
    panel.show_job(parent_id)
    wait_until(lambda: "Retried by" in panel.details.text(), 10, "retried-by link")
    assert retry_id in panel.details.text()


def test_one_failed_child_is_retried_as_a_single_job_that_knows_its_index(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    parent_id = submit_array(panel, 3, "exit $(( AWS_BATCH_JOB_ARRAY_INDEX == 2 ))")
    wait_status(panel, wait_until, parent_id, "FAILED")
    source = run_async(job_retry.prepare(panel.jobs, parent_id))
    assert source.failed == (2,)
    # Resubmit on the failed array parent no longer re-runs every child: it is this retry.
    panel.refresh()
    wait_until(lambda: panel.model.job(parent_id) is not None, 30, "parent listed")
    panel.show_job(parent_id)
    task = panel.spawn(panel.resubmit_selected(), "resubmit")
    dialog = open_dialog(panel, wait_until)
    assert dialog.windowTitle() == "Retry failed children"
    assert "a single job for the failed indices 2" in dialog.retry_note
    dialog.reject()
    wait_until(task.done, 10, "dialog closed")
    assert task.result() == []

    edited = SubmitJobRequest(overrides=ContainerOverrides(command=("sh", "-c", ORIGINAL_INDEX_SH)))
    batch = run_async(job_retry.submit(panel.jobs, source, source.plan(edited)))
    new_id = batch.accepted[0].job_id
    assert "arrayProperties" not in describe(panel, new_id) or not describe(panel, new_id)["arrayProperties"]
    wait_status(panel, wait_until, new_id, "SUCCEEDED", "FAILED")
    assert log_text(panel, new_id).strip() == "original 2"


def test_terminate_two_children_leaves_the_others_running(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    parent_id = submit_array(panel, 4, "sleep 60")

    def all_running() -> bool:
        time.sleep(0.2)
        listed = client_of(panel).list_jobs(arrayJobId=parent_id, jobStatus="RUNNING")["jobSummaryList"]
        return len(listed) == 4

    wait_until(all_running, 60, "4 children running")
    children = run_async(panel.jobs.children(parent_id))
    chosen = [c for c in children if c.array_index in (1, 2)]
    task = panel.spawn(panel.stop_jobs(chosen, terminate=True), "terminate children")
    click_message_button(panel, wait_until, "Terminate")
    wait_until(task.done, 30, "terminated")
    results = task.result()
    assert sorted(r.job_id for r in results) == [f"{parent_id}:1", f"{parent_id}:2"]
    assert all(r.ok for r in results)
    wait_status(panel, wait_until, f"{parent_id}:1", "FAILED")
    wait_status(panel, wait_until, f"{parent_id}:2", "FAILED")
    after = {c.array_index: c.status for c in run_async(panel.jobs.children(parent_id))}
    assert after[0] is JobStatus.RUNNING
    assert after[3] is JobStatus.RUNNING
    run_async(panel.jobs.stop([f"{parent_id}:0", f"{parent_id}:3"], "test over", True))


def test_a_child_opened_from_details_stays_and_its_log_is_one_click_away(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    parent_id = submit_array(panel, 3, "echo child $AWS_BATCH_JOB_ARRAY_INDEX; sleep 30")
    panel.refresh()
    wait_until(lambda: panel.model.job(parent_id) is not None, 30, "parent listed")
    panel.show_job(parent_id)
    wait_until(lambda: "#2" in panel.details.text(), 30, "children listed")
    assert "no log of its own" in panel.log_view.state_label.text()
    child_id = f"{parent_id}:1"
    panel.details.job_clicked.emit(child_id)
    wait_until(lambda: panel.details.detail is not None and panel.details.detail.job_id == child_id, 10)
    run_async(panel.poll_now())
    run_async(panel.poll_now())
    panel.inspector.show_known(parent_id)  # what the table does when a refresh moves the parent's row
    assert panel.inspector.shown_id == child_id
    assert panel.details.detail is not None
    assert panel.details.detail.job_id == child_id  # a refresh did not jump back to the parent
    assert "Array job" in panel.details.text()  # and the child links back to its parent
    assert [j.job_id for j in panel.action_targets()] == [child_id]  # Terminate would act on the child
    panel.details.log_clicked.emit(f"{parent_id}:2")
    assert panel.inspector.currentWidget() is panel.log_view
    wait_until(lambda: "child 2" in shown_log_text(panel.log_view), 30, "the child's log")
    assert panel.log_view.following  # a running job's log follows by default
    run_async(panel.jobs.stop([f"{parent_id}:{i}" for i in range(3)], "test over", True))
