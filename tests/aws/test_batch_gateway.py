from __future__ import annotations

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import JobStatus, Platform
from tests.support import MotoEndpoint, seed_batch


def test_inventory_comes_back_as_domain_objects(moto: MotoEndpoint) -> None:
    seed_batch(moto)
    gateway = BatchGateway(moto.client("batch"))
    (ce,) = gateway.describe_compute_environments()
    assert ce.name == "demo-fargate"
    assert ce.platform is Platform.FARGATE
    (queue,) = gateway.describe_job_queues()
    assert queue.compute_environments[0].arn == ce.arn
    (definition,) = gateway.describe_job_definitions()
    assert (definition.name, definition.revision, definition.vcpus) == ("demo-definition", 1, "1")


def test_describe_jobs_splits_ids_into_calls_of_100(moto: MotoEndpoint) -> None:
    ids = seed_batch(moto)
    client = moto.client("batch")
    job_ids = [
        client.submit_job(jobName=f"j{i}", jobQueue=ids["queue"], jobDefinition=ids["definition"])["jobId"]
        for i in range(105)
    ]
    calls: list[int] = []
    client.meta.events.register(
        "provide-client-params.batch.DescribeJobs", lambda params, **_: calls.append(len(params["jobs"]))
    )
    described = BatchGateway(client).describe_jobs(job_ids)
    assert sorted(j["jobId"] for j in described) == sorted(job_ids)
    assert calls == [100, 5]


def test_list_jobs_returns_summaries_with_queue(moto: MotoEndpoint) -> None:
    ids = seed_batch(moto)
    client = moto.client("batch")
    client.submit_job(jobName="one", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    gateway = BatchGateway(client)
    # moto finishes jobs at once without Docker; wherever the job is, it is listed exactly once.
    rows = [row for status in JobStatus for row in gateway.list_jobs("demo-queue", status)]
    assert [r.name for r in rows] == ["one"]
    assert rows[0].queue == "demo-queue"
