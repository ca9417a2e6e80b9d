from __future__ import annotations

import pytest

from tests.sandbox.conftest import Clients


@pytest.mark.timeout(60)
def test_seeded_demo_runs_end_to_end(clients: Clients) -> None:
    batch = clients.batch
    queues = {q["jobQueueName"]: q for q in batch.describe_job_queues()["jobQueues"]}
    assert {"fargate-queue", "ec2-queue"} <= set(queues)
    job = batch.submit_job(
        jobName="smoke",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        arrayProperties={"size": 2},
        parameters={"rows_per_child": "5", "delay_ms": "0", "submission_id": "smoke"},
    )
    done = clients.wait_job(job["jobId"], timeout=30)
    assert done["status"] == "SUCCEEDED", done
    assert done["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 2
    items = clients.dynamodb.query(
        TableName="batchgui-demo-results",
        KeyConditionExpression="submission_id = :s",
        ExpressionAttributeValues={":s": {"S": "smoke"}},
    )["Items"]
    assert sorted(int(i["row_number"]["N"]) for i in items) == list(range(10))


@pytest.mark.timeout(60)
def test_seeded_ec2_processor_handles_whole_file(clients: Clients) -> None:
    job = clients.batch.submit_job(
        jobName="whole-file",
        jobQueue="ec2-queue",
        jobDefinition="csv-row-processor-ec2",
        parameters={"rows_per_child": "0", "delay_ms": "0", "submission_id": "whole"},
    )
    done = clients.wait_job(job["jobId"], timeout=40)
    assert done["status"] == "SUCCEEDED", done
    count = clients.dynamodb.query(
        TableName="batchgui-demo-results",
        KeyConditionExpression="submission_id = :s",
        ExpressionAttributeValues={":s": {"S": "whole"}},
        Select="COUNT",
    )["Count"]
    assert count == 400
    events = clients.logs.get_log_events(
        logGroupName="/aws/batch/job", logStreamName=done["container"]["logStreamName"], startFromHead=True
    )["events"]
    assert events[-1]["message"].startswith("done: 400 rows written")


def test_seeded_history_is_there(clients: Clients) -> None:
    batch = clients.batch
    succeeded = batch.list_jobs(jobQueue="fargate-queue", jobStatus="SUCCEEDED")["jobSummaryList"]
    failed = batch.list_jobs(jobQueue="fargate-queue", jobStatus="FAILED")["jobSummaryList"]
    assert {"demo-orders-0001", "demo-orders-0002"} <= {j["jobName"] for j in succeeded}
    assert "demo-bad-input" in {j["jobName"] for j in failed}
    ces = {
        c["computeEnvironmentName"]: c for c in batch.describe_compute_environments()["computeEnvironments"]
    }
    assert ces["fargate-ce"]["computeResources"]["type"] == "FARGATE"
    assert ces["ec2-ce"]["computeResources"]["type"] == "EC2"
