"""BatchApi called in process (the demo seed does): answers are plain dicts, fast paths or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batchgui.sandbox.batch_api import BatchApi
from batchgui.sandbox.demo.seed import seed_batch
from batchgui.sandbox.engine import Engine
from batchgui.sandbox.settings import REGION, Endpoint, SandboxSettings
from batchgui.sandbox.store import Store

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[BatchApi]:
    store = Store(tmp_path / "sandbox.sqlite3")
    settings = SandboxSettings()
    engine = Engine(store, settings, tmp_path, Endpoint("http://127.0.0.1:9", REGION))  # never started
    api = BatchApi(store, engine, settings)
    seed_batch(api, store, engine)
    yield api
    store.close()


def test_an_in_process_describe_jobs_gets_the_jobs(batch: BatchApi) -> None:
    queues = batch.call("DescribeJobQueues", {})["jobQueues"]
    listed = [
        s["jobId"]
        for q in queues
        for status in ("SUCCEEDED", "FAILED")
        for s in batch.call("ListJobs", {"jobQueue": q["jobQueueName"], "jobStatus": status})[
            "jobSummaryList"
        ]
    ]
    assert listed, "the demo seed made no finished jobs"
    ids = listed[:100]
    described = batch.call("DescribeJobs", {"jobs": ids})
    assert isinstance(described, dict)
    assert type(described) is dict
    assert [j["jobId"] for j in described["jobs"]] == ids
    assert all(j["status"] in ("SUCCEEDED", "FAILED") for j in described["jobs"])
