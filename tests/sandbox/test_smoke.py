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
