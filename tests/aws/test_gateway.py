"""What every gateway shares: paginated listings read whole, and the error codes of AWS's answers."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from batchgui.aws.errors import error_code, http_status
from batchgui.aws.gateway import Gateway, plain_answer
from batchgui.aws.iam import IamGateway
from tests.support import TEST_KEY_ID, TEST_SECRET, MotoEndpoint

ROLE_POLICY = '{"Version": "2012-10-17", "Statement": []}'


def test_paged_reads_every_page_of_a_listing(moto: MotoEndpoint) -> None:
    client = moto.client("iam")
    names = [f"paged-role-{n}" for n in range(5)]
    for name in names:
        client.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)
    calls: list[str] = []
    client.meta.events.register("before-call.iam.ListRoles", lambda **_: calls.append("ListRoles"))
    gateway = IamGateway(client)
    listed = [r["RoleName"] for r in gateway._paged("list_roles", "Roles", PaginationConfig={"PageSize": 2})]
    assert set(names) <= set(listed)
    assert len(calls) >= 3  # five roles, two a page
    assert {r.name for r in gateway.list_roles()} >= set(names)


def test_paged_takes_a_page_without_the_key_as_listing_nothing() -> None:
    client = boto3.client(
        "batch", region_name="us-east-1", aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET
    )
    with Stubber(client) as stubber:
        stubber.add_response("describe_job_queues", {"nextToken": "more"})
        stubber.add_response("describe_job_queues", {"jobQueues": []}, {"nextToken": "more"})
        assert list(Gateway(client)._paged("describe_job_queues", "jobQueues")) == []
        stubber.assert_no_pending_responses()


def test_plain_answer_drops_the_response_metadata() -> None:
    answer = {"jobId": "1", "ResponseMetadata": {"HTTPStatusCode": 200}}
    assert plain_answer(answer) == {"jobId": "1"}
    assert "ResponseMetadata" in answer  # the answer itself is left as it was


def test_error_code_and_status_of_a_real_answer_and_of_anything_else(moto: MotoEndpoint) -> None:
    client = moto.client("s3")
    client.create_bucket(Bucket="codes")
    with pytest.raises(ClientError) as raised:
        client.get_object(Bucket="codes", Key="absent")
    assert error_code(raised.value) == "NoSuchKey"
    assert http_status(raised.value) == 404
    assert error_code(ValueError("no answer")) == ""
    assert http_status(ValueError("no answer")) is None
