"""The front door: only requests signed with the sandbox's own secret get through."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from batchgui.sandbox import RunningSandbox
from tests.sandbox.conftest import Clients

pytestmark = pytest.mark.timeout(60)


def raw(
    sandbox: RunningSandbox,
    path: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        sandbox.endpoint_url + path, data=data, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def client_with(sandbox: RunningSandbox, service: str, key: str, secret: str) -> Any:
    session: Any = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1"
    )
    return session.client(
        service, endpoint_url=sandbox.endpoint_url, config=Config(retries={"max_attempts": 1})
    )


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/submitjob", {"Content-Type": "application/json"}),
        (
            "/",
            {"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"},
        ),
        ("/moto-api/reset", {}),
        ("/batchgui-demo/input/sample.csv", {}),
    ],
)
def test_unsigned_requests_get_403_with_aws_error(
    sandbox: RunningSandbox, path: str, headers: dict[str, str]
) -> None:
    status, response_headers, body = raw(sandbox, path, b"{}", headers)
    assert status == 403
    assert response_headers["x-amzn-ErrorType"] == "MissingAuthenticationToken"
    assert b"<html" not in body.lower()
    assert json.loads(body)["__type"] == "MissingAuthenticationToken"


def test_forged_authorization_header_is_refused(sandbox: RunningSandbox) -> None:
    forged = (
        f"AWS4-HMAC-SHA256 Credential={sandbox.access_key_id}/20260101/us-east-1/batch/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    status, headers, _ = raw(
        sandbox, "/v1/describejobqueues", b"{}", {"Authorization": forged, "X-Amz-Date": stamp}
    )
    assert status == 403
    assert headers["x-amzn-ErrorType"] in ("SignatureDoesNotMatch",)


@pytest.mark.parametrize("service", ["batch", "logs", "s3", "dynamodb", "sts"])
def test_wrong_secret_is_refused_for_every_service(sandbox: RunningSandbox, service: str) -> None:
    client = client_with(sandbox, service, sandbox.access_key_id, "not-the-secret")
    call = {
        "batch": "describe_job_queues",
        "logs": "describe_log_groups",
        "s3": "list_buckets",
        "dynamodb": "list_tables",
        "sts": "get_caller_identity",
    }[service]
    with pytest.raises(ClientError) as info:
        getattr(client, call)()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_wrong_access_key_is_refused(sandbox: RunningSandbox) -> None:
    client = client_with(sandbox, "batch", "AKIAOTHERKEY", sandbox.secret_access_key)
    with pytest.raises(ClientError) as info:
        client.describe_job_queues()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_signed_requests_reach_every_service(clients: Clients) -> None:
    assert "batchgui-demo" in [b["Name"] for b in clients.s3.list_buckets()["Buckets"]]
    assert "batchgui-demo-results" in clients.dynamodb.list_tables()["TableNames"]
    sts = clients.session.client("sts", endpoint_url=clients.sandbox.endpoint_url)
    assert sts.get_caller_identity()["Account"] == "123456789012"
    iam = clients.session.client("iam", endpoint_url=clients.sandbox.endpoint_url)
    assert "Roles" in iam.list_roles()
    ec2 = clients.session.client("ec2", endpoint_url=clients.sandbox.endpoint_url)
    assert "Vpcs" in ec2.describe_vpcs()


def test_presigned_s3_urls_work_and_tampering_is_refused(clients: Clients) -> None:
    url = clients.s3.generate_presigned_url(
        "get_object", Params={"Bucket": "batchgui-demo", "Key": "input/sample.csv"}, ExpiresIn=60
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read().startswith(b"order_id,")
    v4 = clients.session.client(
        "s3", endpoint_url=clients.sandbox.endpoint_url, config=Config(signature_version="s3v4")
    )
    url_v4 = v4.generate_presigned_url(
        "get_object", Params={"Bucket": "batchgui-demo", "Key": "input/sample.csv"}, ExpiresIn=60
    )
    assert "X-Amz-Signature=" in url_v4
    with urllib.request.urlopen(url_v4, timeout=10) as response:
        assert response.read().startswith(b"order_id,")
    with pytest.raises(urllib.error.HTTPError) as info_v4:
        urllib.request.urlopen(url_v4.replace("sample.csv", "other.csv"), timeout=10)
    assert info_v4.value.code == 403
    tampered = url.replace("sample.csv", "other.csv")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(tampered, timeout=10)
    assert info.value.code == 403


def test_streaming_s3_upload_and_multipart(clients: Clients, tmp_path: Any) -> None:
    from boto3.s3.transfer import TransferConfig

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (12 * 1024 * 1024 + 3))
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    clients.s3.upload_file(str(big), "batchgui-demo", "uploads/big.bin", Config=config)
    head = clients.s3.head_object(Bucket="batchgui-demo", Key="uploads/big.bin")
    assert head["ContentLength"] == 12 * 1024 * 1024 + 3
    clients.s3.put_object(Bucket="batchgui-demo", Key="uploads/small.txt", Body=b"hello")
    assert clients.s3.get_object(Bucket="batchgui-demo", Key="uploads/small.txt")["Body"].read() == b"hello"


def test_secret_never_logged(
    sandbox: RunningSandbox, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="batchgui")
    clients.batch.describe_job_queues()
    raw(sandbox, "/v1/describejobqueues", b"{}")
    assert sandbox.secret_access_key not in caplog.text
    assert sandbox.secret_access_key not in repr(sandbox)


def test_connection_file_is_private(sandbox: RunningSandbox) -> None:
    info = sandbox.data_dir / "connection.json"
    assert info.stat().st_mode & 0o777 == 0o600
    assert json.loads(info.read_text()) == sandbox.connection_info()


def test_chunked_request_body_and_expect_continue(sandbox: RunningSandbox, clients: Clients) -> None:
    import http.client

    import botocore.credentials
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest

    url = f"{sandbox.endpoint_url}/batchgui-demo/uploads/chunked.txt"
    # Signed over the body that is sent (over http botocore signs the payload's SHA-256).
    request = AWSRequest(method="PUT", url=url, data=b"hello chunked", headers={"Expect": "100-continue"})
    creds = botocore.credentials.Credentials(sandbox.access_key_id, sandbox.secret_access_key)
    S3SigV4Auth(creds, "s3", sandbox.region).add_auth(request)
    host = sandbox.endpoint_url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        headers = dict(request.headers)
        headers["Transfer-Encoding"] = "chunked"
        conn.request(
            "PUT",
            "/batchgui-demo/uploads/chunked.txt",
            body=iter([b"hello ", b"chunked"]),
            headers=headers,
            encode_chunked=True,
        )
        response = conn.getresponse()
        answer = response.read()
        assert response.status == 200, answer
    finally:
        conn.close()
    body = clients.s3.get_object(Bucket="batchgui-demo", Key="uploads/chunked.txt")["Body"].read()
    assert body == b"hello chunked"


def test_stale_signature_is_refused(sandbox: RunningSandbox) -> None:
    import datetime
    from unittest import mock

    client = client_with(sandbox, "batch", sandbox.access_key_id, sandbox.secret_access_key)
    old = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(hours=1)
    with (
        mock.patch("botocore.auth.get_current_datetime", return_value=old),
        pytest.raises(ClientError) as info,
    ):
        client.describe_job_queues()
    assert info.value.response["Error"]["Code"] == "RequestTimeTooSkewed"


def test_presigned_put_streams_through(clients: Clients) -> None:
    v4 = clients.session.client(
        "s3", endpoint_url=clients.sandbox.endpoint_url, config=Config(signature_version="s3v4")
    )
    url = v4.generate_presigned_url(
        "put_object", Params={"Bucket": "batchgui-demo", "Key": "uploads/pre.txt"}
    )
    # An explicit content type: urllib's default (a form) would make moto parse the body as a form.
    request = urllib.request.Request(
        url, data=b"presigned body", method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert (
        clients.s3.get_object(Bucket="batchgui-demo", Key="uploads/pre.txt")["Body"].read()
        == b"presigned body"
    )
