"""Errors a person can act on: throttling, expired credentials, denied access, no endpoint.

Throttling, expiry and access denial are answers moto's server does not give, so botocore's Stubber
plays them; an unreachable endpoint is real (a closed port on loopback).
"""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.stub import Stubber

from batchgui.aws.errors import translate
from batchgui.domain.errors import (
    AccessDenied,
    EndpointUnreachable,
    ExpiredCredentials,
    InvalidInput,
    MissingCredentials,
    NotFound,
    Throttled,
)
from tests.support import TEST_KEY_ID, TEST_SECRET


def _batch() -> object:
    return boto3.client(
        "batch", region_name="us-east-1", aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 429, Throttled),
        ("ExpiredTokenException", 400, ExpiredCredentials),
        ("AccessDeniedException", 403, AccessDenied),
        ("ClientException", 400, InvalidInput),
        ("ResourceNotFoundException", 404, NotFound),
    ],
)
def test_client_errors_become_app_errors(code: str, status: int, expected: type[Exception]) -> None:
    client = _batch()
    with Stubber(client) as stubber:  # type: ignore[arg-type]
        stubber.add_client_error("describe_job_queues", code, "the service said no", status)
        with pytest.raises(ClientError) as raised:
            client.describe_job_queues()  # type: ignore[attr-defined]
    error = translate(raised.value, profile="work")
    assert isinstance(error, expected)
    assert "the service said no" in str(error)


def test_expired_credentials_say_how_to_log_in_again() -> None:
    client = _batch()
    with Stubber(client) as stubber:  # type: ignore[arg-type]
        stubber.add_client_error("describe_job_queues", "ExpiredTokenException", "expired", 400)
        with pytest.raises(ClientError) as raised:
            client.describe_job_queues()  # type: ignore[attr-defined]
    error = translate(raised.value, profile="work")
    assert isinstance(error, ExpiredCredentials)
    assert "aws sso login --profile work" in error.message()


def test_unreachable_endpoint_is_explained() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client(
        "batch",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=TEST_KEY_ID,
        aws_secret_access_key=TEST_SECRET,
        config=Config(connect_timeout=1, retries={"max_attempts": 1}),
    )
    with pytest.raises(BotoCoreError) as raised:
        client.describe_job_queues()
    error = translate(raised.value)
    assert isinstance(error, EndpointUnreachable)
    assert "F5" in error.what_to_do


def test_missing_credentials_point_to_the_connection_bar() -> None:
    client = boto3.session.Session(region_name="us-east-1").client("batch")
    with pytest.raises(BotoCoreError) as raised:
        client.describe_job_queues()
    error = translate(raised.value)
    assert isinstance(error, MissingCredentials)
    assert "aws configure" in error.what_to_do


def test_unknown_exceptions_pass_through() -> None:
    original = ValueError("mine")
    assert translate(original) is original
