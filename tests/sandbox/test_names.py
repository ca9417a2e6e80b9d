"""Names are matched in full (domain/names.py): a trailing newline is not a valid name."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.conftest import Clients

pytestmark = pytest.mark.timeout(60)


def test_a_job_name_ending_in_a_newline_is_refused(clients: Clients) -> None:
    with pytest.raises(ClientError) as info:
        clients.batch.submit_job(
            jobName="looks-fine\n", jobQueue="fargate-queue", jobDefinition="csv-row-processor"
        )
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ClientException"
    assert "jobName" in error["Error"]["Message"]
    listed = clients.batch.list_jobs(
        jobQueue="fargate-queue", filters=[{"name": "JOB_NAME", "values": ["looks-fine*"]}]
    )
    assert listed["jobSummaryList"] == []


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("create_scheduling_policy", {"name": "policy\n"}),
        (
            "register_job_definition",
            {
                "jobDefinitionName": "def\n",
                "type": "container",
                "containerProperties": {"image": "x", "vcpus": 1, "memory": 512},
            },
        ),
    ],
)
def test_resource_names_ending_in_a_newline_are_refused(
    clients: Clients, operation: str, params: dict[str, object]
) -> None:
    with pytest.raises(ClientError) as info:
        getattr(clients.batch, operation)(**params)
    assert info.value.response["Error"]["Code"] == "ClientException"
