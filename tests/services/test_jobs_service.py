from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from batchgui.aws.batch import BatchGateway
from batchgui.domain.batch import JobStatus, JobSummary
from batchgui.domain.job_requests import JobFilters
from batchgui.services.jobs import JobsService
from batchgui.services.runner import Runner
from tests.services.jobs_fakes import FakeBackend, connections_for
from tests.support import MotoEndpoint, seed_batch

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=4)
    yield made
    made.close()


def service_for(runner: Runner, backend: Any) -> JobsService:
    return JobsService(runner, connections_for(backend))


def test_load_streams_pages_and_filters(moto: MotoEndpoint, runner: Runner, run_async: Any) -> None:
    seed_batch(moto)
    client = moto.client("batch")
    for n in range(5):
        client.submit_job(jobName=f"nightly-{n}", jobQueue="demo-queue", jobDefinition="demo-definition")
    client.submit_job(jobName="daily", jobQueue="demo-queue", jobDefinition="demo-definition")
    backend: Any = FakeBackend(BatchGateway(client))
    service = service_for(runner, backend)
    pages: list[list[JobSummary]] = []
    result = run_async(service.load(["demo-queue"], pages.append, statuses=[JobStatus.SUCCEEDED]))
    assert result.jobs == sum(len(p) for p in pages)
    pages.clear()
    run_async(service.load(["demo-queue"], pages.append, JobFilters(name_prefix="nightly")))
    assert sorted(j.name for p in pages for j in p) == [f"nightly-{n}" for n in range(5)]


def test_bulk_terminate_reports_access_denied_per_job(runner: Runner, run_async: Any) -> None:
    client = boto3.client("batch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    backend: Any = FakeBackend(BatchGateway(client))
    service = service_for(runner, backend)
    ids = [f"job-{n}" for n in range(60)]
    progress: list[tuple[int, int]] = []
    with Stubber(client) as stub:
        stub.add_response(
            "terminate_jobs",
            {
                "successful": ids[:48],
                "errors": [
                    {"job": i, "code": "AccessDeniedException", "message": "denied"} for i in ids[48:50]
                ],
            },
            {"jobs": ids[:50], "reason": "r"},
        )
        stub.add_client_error("terminate_jobs", "AccessDeniedException", "not allowed", 403)
        results = run_async(service.stop(ids, "r", True, lambda d, t: progress.append((d, t))))
    assert [r.job_id for r in results] == ids
    assert [r.job_id for r in results if not r.ok] == ids[48:]
    assert "Access denied" in results[-1].message
    assert progress == [(50, 60), (60, 60)]
