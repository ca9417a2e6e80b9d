"""Signatures cover what runs and what is stored: the payload hash is the body's, as AWS checks it."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from batchgui.sandbox import RunningSandbox
from tests.sandbox.conftest import Clients
from tests.sandbox.test_aws_cli import AWS, aws

pytestmark = pytest.mark.timeout(120)


def send(
    sandbox: RunningSandbox, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    host = sandbox.endpoint_url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def signed(
    sandbox: RunningSandbox,
    service: str,
    method: str,
    path: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=sandbox.endpoint_url + path, data=body, headers=headers or {})
    creds = Credentials(sandbox.access_key_id, sandbox.secret_access_key)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(creds, service, sandbox.region).add_auth(request)
    return dict(request.headers)


class LiteralPayloadSigner(SigV4Auth):
    """Signs over a literal payload value (`UNSIGNED-PAYLOAD`, `STREAMING-...`), as such clients do."""

    literal = "UNSIGNED-PAYLOAD"

    def payload(self, request: AWSRequest) -> str:
        return self.literal


class StreamingS3Signer(S3SigV4Auth):
    literal = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

    def payload(self, request: AWSRequest) -> str:
        return self.literal


def submit_body(name: str, command: list[str]) -> bytes:
    return json.dumps(
        {
            "jobName": name,
            "jobQueue": "fargate-queue",
            "jobDefinition": "trust-echo",
            "containerOverrides": {"command": command},
        }
    ).encode()


@pytest.fixture(scope="module")
def echo_definition(clients: Clients) -> str:
    clients.batch.register_job_definition(
        jobDefinitionName="trust-echo",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "command": ["echo", "hello"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
        },
    )
    return "trust-echo"


def job_names(clients: Clients) -> set[str]:
    names: set[str] = set()
    for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"):
        jobs = clients.batch.list_jobs(jobQueue="fargate-queue", jobStatus=status)["jobSummaryList"]
        names |= {j["jobName"] for j in jobs}
    return names


def test_swapped_submit_job_body_with_unsigned_content_sha_is_refused(
    sandbox: RunningSandbox, clients: Clients, echo_definition: str, tmp_path: Path
) -> None:
    original = submit_body("swap-victim", ["echo", "hello"])
    headers = signed(sandbox, "batch", "POST", "/v1/submitjob", original)
    assert "x-amz-content-sha256" not in headers["Authorization"].lower()
    marker = tmp_path / "pwned"
    evil = submit_body("swap-victim", ["sh", "-c", f"id > {marker}"])
    headers["X-Amz-Content-SHA256"] = hashlib.sha256(original).hexdigest()
    headers["Content-Length"] = str(len(evil))
    status, response_headers, body = send(sandbox, "POST", "/v1/submitjob", evil, headers)
    assert status == 403, body
    assert response_headers["x-amzn-ErrorType"] == "SignatureDoesNotMatch"
    time.sleep(0.5)
    assert not marker.exists()
    assert "swap-victim" not in job_names(clients)
    # The untouched request still goes through: the check is not simply refusing everything.
    status, _, body = send(
        sandbox,
        "POST",
        "/v1/submitjob",
        original,
        signed(sandbox, "batch", "POST", "/v1/submitjob", original),
    )
    assert status == 200, body


def test_signed_content_sha_must_equal_the_json_body(sandbox: RunningSandbox, echo_definition: str) -> None:
    original = submit_body("signed-sha", ["echo", "hello"])
    declared = {"X-Amz-Content-SHA256": hashlib.sha256(original).hexdigest()}
    headers = signed(sandbox, "batch", "POST", "/v1/submitjob", original, headers=declared)
    assert "x-amz-content-sha256" in headers["Authorization"].lower()
    evil = submit_body("signed-sha", ["sh", "-c", "true"])
    headers["Content-Length"] = str(len(evil))
    status, response_headers, _ = send(sandbox, "POST", "/v1/submitjob", evil, headers)
    assert status == 403
    assert response_headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    ok_headers = signed(sandbox, "batch", "POST", "/v1/submitjob", original, headers=dict(declared))
    assert send(sandbox, "POST", "/v1/submitjob", original, ok_headers)[0] == 200


@pytest.mark.parametrize("payload", ["UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"])
def test_unsigned_payloads_are_for_s3_only(sandbox: RunningSandbox, payload: str) -> None:
    body = b"{}"
    request = AWSRequest(
        method="POST",
        url=sandbox.endpoint_url + "/v1/describejobqueues",
        data=body,
        headers={"X-Amz-Content-SHA256": payload},
    )
    # Sign over the literal value, as a client claiming an unsigned payload would.
    signer = LiteralPayloadSigner(
        Credentials(sandbox.access_key_id, sandbox.secret_access_key), "batch", sandbox.region
    )
    signer.literal = payload
    signer.add_auth(request)
    status, headers, _ = send(sandbox, "POST", "/v1/describejobqueues", body, dict(request.headers))
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_s3_put_whose_body_differs_from_its_signed_hash_is_refused(
    sandbox: RunningSandbox, clients: Clients
) -> None:
    path = "/batchgui-demo/uploads/tampered.txt"
    headers = signed(sandbox, "s3", "PUT", path, b"original body")
    status, _, body = send(sandbox, "PUT", path, b"tampered body", headers)
    assert status == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in body
    with pytest.raises(ClientError):
        clients.s3.head_object(Bucket="batchgui-demo", Key="uploads/tampered.txt")
    # An S3 hash header that is not signed does not count (AWS requires it signed).
    unsigned = signed(sandbox, "s3", "PUT", path, b"original body")
    auth = unsigned["Authorization"].replace("x-amz-content-sha256;", "")
    unsigned["Authorization"] = auth
    status, _, body = send(sandbox, "PUT", path, b"original body", unsigned)
    assert status == 400
    assert b"<Code>InvalidRequest</Code>" in body


def test_every_upload_part_is_checked(sandbox: RunningSandbox, clients: Clients) -> None:
    upload = clients.s3.create_multipart_upload(Bucket="batchgui-demo", Key="uploads/parts.bin")
    path = f"/batchgui-demo/uploads/parts.bin?partNumber=1&uploadId={upload['UploadId']}"
    headers = signed(sandbox, "s3", "PUT", path, b"a" * 1024)
    status, _, body = send(sandbox, "PUT", path, b"b" * 1024, headers)
    assert status == 400
    assert b"XAmzContentSHA256Mismatch" in body
    parts = clients.s3.list_parts(
        Bucket="batchgui-demo", Key="uploads/parts.bin", UploadId=upload["UploadId"]
    )
    assert not parts.get("Parts")
    assert send(sandbox, "PUT", path, b"a" * 1024, headers)[0] == 200


def _chunked_body(
    sandbox: RunningSandbox, headers: dict[str, str], chunks: list[bytes], tamper: bool = False
) -> bytes:
    """An aws-chunked body with chunk signatures, as the Java SDK sends (botocore never does)."""
    auth = headers["Authorization"]
    seed = auth.rsplit("Signature=", 1)[1]
    stamp = headers["X-Amz-Date"]
    scope = f"{stamp[:8]}/{sandbox.region}/s3/aws4_request"
    key = ("AWS4" + sandbox.secret_access_key).encode()
    for part in (stamp[:8], sandbox.region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    out = b""
    previous = seed
    empty = hashlib.sha256(b"").hexdigest()
    for data in [*chunks, b""]:
        text = "\n".join(
            ("AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, empty, hashlib.sha256(data).hexdigest())
        )
        previous = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        sent = data.replace(b"a", b"z") if tamper and data else data
        out += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), previous.encode(), sent)
    return out


@pytest.mark.parametrize("tamper", [False, True])
def test_signed_aws_chunked_upload_checks_each_chunk(
    sandbox: RunningSandbox, clients: Clients, tamper: bool
) -> None:
    key = f"uploads/streamed-{tamper}.bin"
    path = f"/batchgui-demo/{key}"
    chunks = [b"a" * 70_000, b"b" * 1000]
    request = AWSRequest(
        method="PUT",
        url=sandbox.endpoint_url + path,
        headers={
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "Content-Encoding": "aws-chunked",
            "X-Amz-Decoded-Content-Length": str(sum(map(len, chunks))),
        },
    )
    signer = StreamingS3Signer(
        Credentials(sandbox.access_key_id, sandbox.secret_access_key), "s3", sandbox.region
    )
    signer.add_auth(request)
    headers = dict(request.headers)
    body = _chunked_body(sandbox, headers, chunks, tamper)
    headers["Content-Length"] = str(len(body))
    status, _, answer = send(sandbox, "PUT", path, body, headers)
    if tamper:
        assert status == 403, answer
        with pytest.raises(ClientError):
            clients.s3.head_object(Bucket="batchgui-demo", Key=key)
    else:
        assert status == 200, answer
        stored = clients.s3.get_object(Bucket="batchgui-demo", Key=key)["Body"].read()
        assert stored == b"".join(chunks)


def test_presigned_urls_expire_within_a_week(clients: Clients) -> None:
    v4 = clients.session.client(
        "s3", endpoint_url=clients.sandbox.endpoint_url, config=Config(signature_version="s3v4")
    )
    params = {"Bucket": "batchgui-demo", "Key": "input/sample.csv"}
    week = v4.generate_presigned_url("get_object", Params=params, ExpiresIn=604_800)
    with urllib.request.urlopen(week, timeout=10) as response:
        assert response.status == 200
    longer = v4.generate_presigned_url("get_object", Params=params, ExpiresIn=604_801)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(longer, timeout=10)
    assert info.value.code == 400
    assert b"AuthorizationQueryParametersError" in info.value.read()


def test_boto3_uploads_still_work(clients: Clients, tmp_path: Path) -> None:
    from boto3.s3.transfer import TransferConfig

    s3: Any = clients.s3
    s3.put_object(Bucket="batchgui-demo", Key="uploads/put.txt", Body=b"put body")
    assert s3.get_object(Bucket="batchgui-demo", Key="uploads/put.txt")["Body"].read() == b"put body"
    s3.put_object(
        Bucket="batchgui-demo", Key="uploads/put-crc.txt", Body=b"crc body", ChecksumAlgorithm="CRC32"
    )
    assert s3.get_object(Bucket="batchgui-demo", Key="uploads/put-crc.txt")["Body"].read() == b"crc body"
    big = tmp_path / "multi.bin"
    big.write_bytes(bytes(range(256)) * (11 * 4096))  # 11 MiB: three parts
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(
        str(big),
        "batchgui-demo",
        "uploads/multi.bin",
        Config=config,
        ExtraArgs={"ChecksumAlgorithm": "CRC32"},
    )
    stored = s3.get_object(Bucket="batchgui-demo", Key="uploads/multi.bin")["Body"].read()
    assert stored == big.read_bytes()


@pytest.mark.skipif(not Path(AWS).exists(), reason="AWS CLI not installed in this environment")
def test_aws_cli_copies_a_20_mb_file(sandbox: RunningSandbox, clients: Clients, tmp_path: Path) -> None:
    source = tmp_path / "twenty.bin"
    source.write_bytes(hashlib.sha256(b"seed").digest() * (20 * 1024 * 1024 // 32))
    aws(
        sandbox,
        tmp_path,
        "s3",
        "cp",
        "--only-show-errors",
        str(source),
        "s3://batchgui-demo/uploads/twenty.bin",
    )
    stored = clients.s3.get_object(Bucket="batchgui-demo", Key="uploads/twenty.bin")["Body"].read()
    assert stored == source.read_bytes()


# ---- the sandbox's own canonical request is botocore's, byte for byte ------------------------------
class _BotocoreReference(SigV4Auth):
    """botocore's signer fed the signed headers and payload hash as the sandbox reads them."""

    def __init__(self, service: str, headers: list[tuple[str, str]], payload_hash: str) -> None:
        super().__init__(Credentials("AKIDEXAMPLE", "secret/EXAMPLE+key"), service, "us-east-1")
        self._signed = headers
        self._service = service
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> Any:
        from botocore.compat import HTTPHeaders

        header_map = HTTPHeaders()
        for name, value in self._signed:
            header_map[name] = value
        return header_map

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash

    def _normalize_url_path(self, path: str) -> str:
        if self._service == "s3":
            return path  # what S3SigV4Auth does
        return str(SigV4Auth._normalize_url_path(self, path))  # type: ignore[attr-defined]


_PATH_TEXT = st.text(alphabet="abc/._-~%2F :+=&é", max_size=24)
_QUERY = st.lists(
    st.tuples(st.text(alphabet="abXY-_%20.", max_size=5), st.text(alphabet="ab12%2F=-", max_size=5)),
    max_size=4,
)
_HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["host", "x-amz-date", "x-amz-target", "content-type", "x-amz-content-sha256"]),
        st.text(alphabet="ab1 \t;,:/.-", max_size=12),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "post", "PUT", "DELETE"]),
    service=st.sampled_from(["batch", "logs", "s3", "dynamodb"]),
    path=_PATH_TEXT,
    query=_QUERY,
    headers=_HEADERS,
)
def test_the_canonical_request_and_signature_are_botocores(
    method: str, service: str, path: str, query: list[tuple[str, str]], headers: list[tuple[str, str]]
) -> None:
    from batchgui.sandbox import sigv4

    url = "http://127.0.0.1:8080/" + path
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    payload_hash = hashlib.sha256(path.encode()).hexdigest()
    reference = _BotocoreReference(service, headers, payload_hash)
    request = AWSRequest(method=method, url=url, headers={})
    request.context["timestamp"] = "20261202T010203Z"
    canonical = reference.canonical_request(request)
    assert sigv4.canonical_request_head(method, url, service, headers) + payload_hash == canonical

    key = sigv4.signing_key("secret/EXAMPLE+key", "20261202", "us-east-1", service)
    string_to_sign = reference.string_to_sign(request, canonical)
    ours = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert ours == reference.signature(string_to_sign, request)
