"""DescribeJobs of finished jobs: their JSON is encoded once per distinct row (cached), and a change
to the row (a tag) is seen at once."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import Clients
from tests.sandbox.test_batch_scenarios import make_fargate, register

pytestmark = pytest.mark.timeout(90)


def test_a_finished_job_reads_the_same_twice_and_shows_a_new_tag_at_once(clients: Clients) -> None:
    batch = clients.batch
    _ce, queue = make_fargate(clients)
    jd = register(clients, ["sh", "-c", "exit 3"])
    failed = batch.submit_job(
        jobName="ends-3", jobQueue=queue, jobDefinition=jd, retryStrategy={"attempts": 2}
    )
    ok = batch.submit_job(
        jobName="ends-0", jobQueue=queue, jobDefinition=jd, containerOverrides={"command": ["true"]}
    )
    done = clients.wait_job(failed["jobId"])
    clients.wait_job(ok["jobId"])
    assert done["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in done["attempts"]] == [3, 3]
    first = batch.describe_jobs(jobs=[failed["jobId"], ok["jobId"], failed["jobId"]])["jobs"]
    again = batch.describe_jobs(jobs=[failed["jobId"], ok["jobId"], failed["jobId"]])["jobs"]
    assert first == again
    assert [j["jobId"] for j in first] == [failed["jobId"], ok["jobId"], failed["jobId"]]
    assert (first[1]["status"], first[1]["container"]["exitCode"]) == ("SUCCEEDED", 0)
    batch.tag_resource(resourceArn=done["jobArn"], tags={"team": "data"})
    tagged = batch.describe_jobs(jobs=[failed["jobId"]])["jobs"][0]
    assert tagged["tags"] == {"team": "data"}
    assert batch.describe_jobs(jobs=["no-such-job"])["jobs"] == []
