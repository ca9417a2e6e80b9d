"""Filtered ListJobs as AWS answers it: pages of at most 100, newest first, case-insensitive names,
read from the queue's created-at and name indexes (never a scan of the queue)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest

from batchgui.sandbox import RunningSandbox, sql
from batchgui.sandbox.api.job_listing import filter_sql
from tests.sandbox.conftest import Clients, wait_for
from tests.sandbox.test_aws_cli import AWS, aws
from tests.sandbox.test_batch_scenarios import make_fargate, register

pytestmark = pytest.mark.timeout(120)
JOBS = 130


@pytest.fixture(scope="module")
def listed(clients: Clients) -> dict[str, Any]:
    """A queue whose CE is disabled (jobs stay RUNNABLE) with 130 jobs `cap-000`.. and 5 others."""
    batch = clients.batch
    ce, queue = make_fargate(clients)
    batch.update_compute_environment(computeEnvironment=ce, state="DISABLED")
    jd = register(clients, ["true"])
    ids = []
    for number in range(JOBS):
        ids.append(batch.submit_job(jobName=f"cap-{number:03d}", jobQueue=queue, jobDefinition=jd)["jobId"])
    others = [
        batch.submit_job(jobName=f"other-{n}", jobQueue=queue, jobDefinition=jd)["jobId"] for n in range(5)
    ]
    wait_for(
        lambda: len(batch.list_jobs(jobQueue=queue, jobStatus="RUNNABLE")["jobSummaryList"]) == JOBS + 5, 20
    )
    return {"queue": queue, "ids": ids, "others": others}


def test_a_filtered_page_holds_at_most_100_jobs_whatever_maxresults_asks(
    clients: Clients, listed: dict[str, Any]
) -> None:
    batch = clients.batch
    by_name = [{"name": "JOB_NAME", "values": ["cap-*"]}]
    first = batch.list_jobs(jobQueue=listed["queue"], filters=by_name, maxResults=1000)
    assert len(first["jobSummaryList"]) == 100
    assert "nextToken" in first
    rest = batch.list_jobs(
        jobQueue=listed["queue"], filters=by_name, maxResults=1000, nextToken=first["nextToken"]
    )
    assert len(rest["jobSummaryList"]) == JOBS - 100
    assert "nextToken" not in rest
    unasked = batch.list_jobs(jobQueue=listed["queue"], filters=by_name)
    assert len(unasked["jobSummaryList"]) == 100
    # Newest first (AWS sorts filtered lists by createdAt), each job once.
    seen = [j["jobId"] for j in first["jobSummaryList"] + rest["jobSummaryList"]]
    assert seen == listed["ids"][::-1]
    created = [j["createdAt"] for j in first["jobSummaryList"] + rest["jobSummaryList"]]
    assert created == sorted(created, reverse=True)
    # A status page is not cut to 100.
    runnable = batch.list_jobs(jobQueue=listed["queue"], jobStatus="RUNNABLE", maxResults=1000)
    assert len(runnable["jobSummaryList"]) == JOBS + 5


def test_job_name_filters_match_case_insensitively_as_aws(clients: Clients, listed: dict[str, Any]) -> None:
    batch = clients.batch
    pages = batch.get_paginator("list_jobs").paginate(
        jobQueue=listed["queue"], filters=[{"name": "JOB_NAME", "values": ["CAP-1*"]}]
    )
    names = [j["jobName"] for page in pages for j in page["jobSummaryList"]]
    assert names == [f"cap-{n:03d}" for n in range(JOBS - 1, 99, -1)]
    exact = batch.list_jobs(jobQueue=listed["queue"], filters=[{"name": "JOB_NAME", "values": ["CAP-007"]}])
    assert [j["jobId"] for j in exact["jobSummaryList"]] == [listed["ids"][7]]
    none = batch.list_jobs(jobQueue=listed["queue"], filters=[{"name": "JOB_NAME", "values": ["cap-9*"]}])
    assert none["jobSummaryList"] == []
    # '%' and '_' are plain characters in a prefix, not patterns.
    pattern = batch.list_jobs(jobQueue=listed["queue"], filters=[{"name": "JOB_NAME", "values": ["ca_*"]}])
    assert pattern["jobSummaryList"] == []


def test_created_at_filters_page_through_a_range_newest_first(
    clients: Clients, listed: dict[str, Any]
) -> None:
    batch = clients.batch
    everything = batch.get_paginator("list_jobs").paginate(
        jobQueue=listed["queue"],
        filters=[{"name": "BEFORE_CREATED_AT", "values": [str(int(time.time() * 1000) + 60_000)]}],
        PaginationConfig={"PageSize": 7},
    )
    jobs = [j for page in everything for j in page["jobSummaryList"]]
    assert [j["jobId"] for j in jobs] == (listed["ids"] + listed["others"])[::-1]
    middle = jobs[60]["createdAt"]
    after = batch.get_paginator("list_jobs").paginate(
        jobQueue=listed["queue"], filters=[{"name": "AFTER_CREATED_AT", "values": [str(middle)]}]
    )
    newer = [j["jobId"] for page in after for j in page["jobSummaryList"]]
    assert newer == [j["jobId"] for j in jobs if j["createdAt"] > middle]
    before = batch.list_jobs(
        jobQueue=listed["queue"], filters=[{"name": "BEFORE_CREATED_AT", "values": [str(middle)]}]
    )["jobSummaryList"]
    assert [j["jobId"] for j in before] == [j["jobId"] for j in jobs if j["createdAt"] < middle][:100]


def test_a_filtered_page_reads_an_index_not_the_queue(sandbox: RunningSandbox) -> None:
    conn = sqlite3.connect(f"file:{sandbox.data_dir / 'sandbox.sqlite3'}?mode=ro", uri=True)
    try:
        for name, value in (
            ("JOB_NAME", "cap-*"),
            ("JOB_NAME", "cap-001"),
            ("AFTER_CREATED_AT", "1"),
            ("BEFORE_CREATED_AT", "1"),
        ):
            term, args = filter_sql({"name": name, "values": [value]})
            where = [sql.LIST_IN_QUEUE, term, sql.LIST_BEFORE_CREATED_SEQ]
            text = sql.list_filtered_jobs(where, by_name=name == "JOB_NAME")
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + text, ["q", *args, 1, 1, 101])]
            assert not [step for step in plan if step.startswith("SCAN")], (name, plan)
            index = "jobs_queue_name" if name == "JOB_NAME" else "jobs_queue_created"
            assert any(f"COVERING INDEX {index}" in step for step in plan), plan
    finally:
        conn.close()


def test_a_bad_filtered_token_is_refused(clients: Clients, listed: dict[str, Any]) -> None:
    from botocore.exceptions import ClientError

    from batchgui.sandbox.api.common import token

    for bad in (token(5), token(["x", 1]), token([1, 2, 3])):
        with pytest.raises(ClientError, match="Invalid nextToken"):
            clients.batch.list_jobs(
                jobQueue=listed["queue"],
                filters=[{"name": "JOB_NAME", "values": ["cap-*"]}],
                nextToken=bad,
            )


@pytest.mark.skipif(not __import__("pathlib").Path(AWS).exists(), reason="AWS CLI not installed")
def test_the_aws_cli_pages_a_filtered_listing(
    sandbox: RunningSandbox, listed: dict[str, Any], tmp_path: Any
) -> None:
    answer = aws(
        sandbox,
        tmp_path,
        "batch",
        "list-jobs",
        "--job-queue",
        listed["queue"],
        "--filters",
        "name=JOB_NAME,values=Cap-*",
    )
    assert [j["jobId"] for j in answer["jobSummaryList"]] == listed["ids"][::-1]
