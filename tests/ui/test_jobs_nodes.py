"""Multi-node parallel jobs in the Jobs table on the real sandbox: the job expands into its nodes like
an array into its children (rows `jobId#N`, the main node marked), each node's status follows the
polls, and a node's log is its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.app import Application
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_tracking import parent_of
from batchgui.ui.jobs.panel import JobsPanel
from tests.ui.test_jobs_children import client_of, log_text
from tests.ui.test_jobs_panel import SandboxEndpoint, open_panel

pytestmark = pytest.mark.timeout(180)
Wait = Callable[..., None]


def submit_multinode(panel: JobsPanel, main_seconds: int) -> str:
    client = client_of(panel)
    node = {
        "targetNodes": "0:",
        "container": {
            "image": "busybox",
            # The main node (1) outlasts the others, so every node ends on its own.
            "command": [
                "sh",
                "-c",
                'echo "node $AWS_BATCH_JOB_NODE_INDEX"; '
                f'[ "$AWS_BATCH_JOB_NODE_INDEX" = 1 ] && sleep {main_seconds} || sleep 2',
            ],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "256"}],
        },
    }
    client.register_job_definition(
        jobDefinitionName="mnp-table",
        type="multinode",
        nodeProperties={"numNodes": 3, "mainNode": 1, "nodeRangeProperties": [node]},
    )
    return str(client.submit_job(jobName="mnp", jobQueue="ec2-queue", jobDefinition="mnp-table")["jobId"])


def poll_until(panel: JobsPanel, run_async: Any, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll through the store (as F5 does) until `done()`."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        run_async(panel.poll_now())
        run_async(asyncio.sleep(0.3))


def node_rows(panel: JobsPanel) -> list[JobSummary]:
    rows = [panel.model.job_at(panel.model.index(r, 0)) for r in range(panel.model.rowCount())]
    return [j for j in rows if j is not None and "#" in j.job_id]


def test_a_multinode_job_expands_into_its_nodes_like_array_children(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Wait, run_async: Any
) -> None:
    assert parent_of("abc#2") == "abc"
    panel = open_panel(make_app, SandboxEndpoint(sandbox), wait_until)
    job_id = submit_multinode(panel, 8)

    def listed() -> bool:
        job = panel.model.job(job_id)
        return job is not None and job.num_nodes == 3

    poll_until(panel, run_async, listed, 60, "the multi-node job listed")
    assert panel.store.get(job_id) is not None
    assert node_rows(panel) == []  # collapsed: the nodes are not rows yet

    task = panel.toggle_children(job_id)
    assert task is not None
    wait_until(task.done, 30, "nodes listed")
    wait_until(lambda: len(node_rows(panel)) == 3, 10, "three node rows")
    nodes = node_rows(panel)
    assert [n.job_id for n in nodes] == [f"{job_id}#{i}" for i in range(3)]
    assert [n.array_index for n in nodes] == [0, 1, 2]
    assert [n.is_main_node for n in nodes] == [False, True, False]
    names = [panel.model.index(r, 0).data() for r in range(panel.model.rowCount())]
    assert any(name.endswith("(main node)") and "#1" in name for name in names)
    assert any(name.startswith("▾ ") for name in names)  # the job row shows it is expanded

    # The polls follow the nodes while the job is expanded: all of them end with the main node.
    def nodes_ended() -> bool:
        return all(n.status.is_terminal for n in node_rows(panel)) and len(node_rows(panel)) == 3

    poll_until(panel, run_async, nodes_ended, 90, "the nodes to end")
    assert {n.status for n in node_rows(panel)} == {JobStatus.SUCCEEDED}
    assert "node 2" in log_text(panel, f"{job_id}#2")
