from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from batchgui.aws.dynamodb import DynamoDbGateway
from batchgui.aws.errors import translate
from batchgui.aws.s3 import MIB, S3Gateway, UploadCancelled
from batchgui.domain.errors import AccessDenied
from tests.support import TEST_KEY_ID, TEST_SECRET, MotoEndpoint

pytestmark = pytest.mark.timeout(60)


def s3_client(moto: MotoEndpoint) -> Any:
    # One attempt: a fault injected below must surface at once, not after botocore's backoff.
    return boto3.client(
        "s3",
        endpoint_url=moto.endpoint_url,
        region_name=moto.region,
        aws_access_key_id=TEST_KEY_ID,
        aws_secret_access_key=TEST_SECRET,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def make_file(tmp_path: Path, size: int) -> tuple[Path, str]:
    path = tmp_path / "data.csv"
    block = (b"id,value\n" + b"1,abcdefghij\n" * 80_000)[: 1 * MIB]
    with path.open("wb") as handle:
        left = size
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def gateway(moto: MotoEndpoint) -> S3Gateway:
    client = s3_client(moto)
    client.create_bucket(Bucket="inbox")
    return S3Gateway(client)


def test_small_file_is_put_with_sha256_metadata(gateway: S3Gateway, tmp_path: Path) -> None:
    path, digest = make_file(tmp_path, 1000)
    seen: list[int] = []
    info = gateway.upload_file(path, "inbox", "a/data.csv", digest, progress=seen.append)
    assert info.uri == "s3://inbox/a/data.csv"
    assert seen[-1] == 1000
    head = gateway.head_object("inbox", "a/data.csv")
    assert head is not None
    assert head.sha256 == digest
    assert head.size == 1000
    assert gateway.find_identical("inbox", "a/data.csv", 1000, digest) is not None
    assert gateway.find_identical("inbox", "a/data.csv", 1000, "0" * 64) is None
    assert gateway.head_object("inbox", "missing.csv") is None


def test_multipart_upload_reports_progress_and_stores_the_object(gateway: S3Gateway, tmp_path: Path) -> None:
    path, digest = make_file(tmp_path, 11 * MIB)
    seen: list[int] = []
    gateway.upload_file(
        path, "inbox", "big.csv", digest, progress=seen.append, part_size=5 * MIB, concurrency=2
    )
    assert seen[-1] == 11 * MIB
    body = gateway.client.get_object(Bucket="inbox", Key="big.csv")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest
    assert gateway.head_object("inbox", "big.csv").sha256 == digest  # type: ignore[union-attr]


def test_cancel_aborts_and_leaves_no_parts(gateway: S3Gateway, tmp_path: Path) -> None:
    path, digest = make_file(tmp_path, 11 * MIB)
    cancel = threading.Event()
    started: list[str] = []

    def on_progress(_done: int) -> None:
        cancel.set()  # after the first part

    with pytest.raises(UploadCancelled):
        gateway.upload_file(
            path,
            "inbox",
            "big.csv",
            digest,
            progress=on_progress,
            cancel=cancel,
            part_size=5 * MIB,
            concurrency=1,
            on_started=lambda upload_id, _size: started.append(upload_id),
        )
    assert started
    assert gateway.unfinished_uploads("inbox", "big.csv") == []
    assert gateway.pending_parts("inbox", "big.csv", started[0]) in (None, {})
    assert gateway.head_object("inbox", "big.csv") is None


def test_dropped_connection_resumes_from_stored_parts(gateway: S3Gateway, tmp_path: Path) -> None:
    path, digest = make_file(tmp_path, 16 * MIB)
    sent: list[int] = []
    failing = {"on": True}

    def flaky(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] >= 2 and failing["on"]:
            raise EndpointConnectionError(endpoint_url="http://s3.test")
        sent.append(params["PartNumber"])

    gateway.client.meta.events.register("before-parameter-build.s3.UploadPart", flaky)
    started: list[str] = []
    with pytest.raises(EndpointConnectionError):
        gateway.upload_file(
            path,
            "inbox",
            "big.csv",
            digest,
            part_size=5 * MIB,
            concurrency=1,
            on_started=lambda upload_id, _size: started.append(upload_id),
        )
    assert sent == [1]
    assert gateway.unfinished_uploads("inbox", "big.csv") == started  # kept for the retry
    failing["on"] = False
    gateway.upload_file(
        path, "inbox", "big.csv", digest, part_size=5 * MIB, concurrency=1, upload_id=started[0]
    )
    assert sorted(sent) == [1, 2, 3, 4]  # part 1 was not sent again
    body = gateway.client.get_object(Bucket="inbox", Key="big.csv")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest


def test_access_denied_on_upload_is_a_clear_error(moto: MotoEndpoint, tmp_path: Path) -> None:
    client = s3_client(moto)
    gateway = S3Gateway(client)
    path, digest = make_file(tmp_path, 100)
    with Stubber(client) as stub:
        stub.add_client_error("put_object", "AccessDenied", "Access Denied", 403)
        with pytest.raises(ClientError) as raised:
            gateway.upload_file(path, "locked", "x.csv", digest)
    error = translate(raised.value)
    assert isinstance(error, AccessDenied)
    assert "PutObject" in error.message()


def test_submission_items_are_read_as_plain_text(moto: MotoEndpoint) -> None:
    client = moto.client("dynamodb")
    client.create_table(
        TableName="results",
        AttributeDefinitions=[
            {"AttributeName": "submission_id", "AttributeType": "S"},
            {"AttributeName": "row_number", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "submission_id", "KeyType": "HASH"},
            {"AttributeName": "row_number", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for sid, row in [("s1", 0), ("s1", 1), ("s2", 0)]:
        client.put_item(
            TableName="results",
            Item={"submission_id": {"S": sid}, "row_number": {"N": str(row)}, "ok": {"BOOL": True}},
        )
    items = DynamoDbGateway(client).submission_items("results", "s1")
    assert [i["row_number"] for i in items] == ["0", "1"]
    assert items[0]["ok"] == "true"


def test_multipart_upload_declares_crc32_on_every_part_and_verifies_the_object(
    gateway: S3Gateway, tmp_path: Path
) -> None:
    from batchgui.aws.s3 import UploadMismatch, composite_crc32

    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    gateway.client.meta.events.register("before-parameter-build.s3.*", record)
    path, digest = make_file(tmp_path, 11 * MIB)
    gateway.upload_file(path, "inbox", "crc.csv", digest, part_size=5 * MIB, concurrency=2)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, params in calls:
        by_name.setdefault(name, []).append(params)
    assert by_name["CreateMultipartUpload"][0]["ChecksumAlgorithm"] == "CRC32"
    assert len(by_name["UploadPart"]) == 3
    assert all(p["ChecksumAlgorithm"] == "CRC32" for p in by_name["UploadPart"])
    parts = by_name["CompleteMultipartUpload"][0]["MultipartUpload"]["Parts"]
    assert all(p["ChecksumCRC32"] for p in parts)
    assert by_name["HeadObject"][-1]["ChecksumMode"] == "ENABLED"  # the object is verified
    combined = composite_crc32([p["ChecksumCRC32"] for p in parts])
    gateway.verify("inbox", "crc.csv", 11 * MIB, combined)
    with pytest.raises(UploadMismatch):
        gateway.verify("inbox", "crc.csv", 11 * MIB + 1, combined)


def test_a_small_file_is_put_with_crc32_and_verified(gateway: S3Gateway, tmp_path: Path) -> None:
    from batchgui.aws.s3 import UploadMismatch

    path, digest = make_file(tmp_path, 5000)
    gateway.upload_file(path, "inbox", "small.csv", digest)
    head = gateway.client.head_object(Bucket="inbox", Key="small.csv", ChecksumMode="ENABLED")
    if head.get("ChecksumCRC32"):
        with pytest.raises(UploadMismatch):
            gateway.verify("inbox", "small.csv", 5000, "AAAAAA==")


def test_a_complete_whose_first_attempt_went_through_is_verified_not_failed(
    moto: MotoEndpoint, gateway: S3Gateway, tmp_path: Path
) -> None:
    # A read timeout on CompleteMultipartUpload (moto copies the whole object) makes botocore send it
    # again; the first attempt had completed the upload, so the retry finds it gone (NoSuchUpload).
    other = s3_client(moto)
    fired: list[str] = []

    def complete_first(params: dict[str, Any], **_: Any) -> None:
        fired.append(other.complete_multipart_upload(**params)["Key"])
        # ...and the retry's answer: the upload is gone (moto's server answers a 500 here).
        raise ClientError({"Error": {"Code": "NoSuchUpload"}}, "CompleteMultipartUpload")

    gateway.client.meta.events.register("provide-client-params.s3.CompleteMultipartUpload", complete_first)
    path, digest = make_file(tmp_path, 11 * MIB)
    info = gateway.upload_file(path, "inbox", "twice.csv", digest, part_size=5 * MIB)
    assert fired == ["twice.csv"]
    assert info.verified
    assert gateway.client.get_object(Bucket="inbox", Key="twice.csv")["Body"].read() == path.read_bytes()
