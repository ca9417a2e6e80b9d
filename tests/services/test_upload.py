from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.aws.errors import translate
from batchgui.aws.s3 import MIB, S3Gateway, UploadCancelled
from batchgui.services.runner import Runner
from batchgui.services.upload import PendingUploads, Progress, Uploader
from tests.support import MotoEndpoint

pytestmark = pytest.mark.timeout(60)
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.csv"


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner(workers=4, translate=translate)
    yield made
    made.close(timeout_s=2)


def test_check_inspects_and_hashes_in_one_pass(
    runner: Runner, tmp_path: Path, run_async: Callable[..., Any]
) -> None:
    uploader = Uploader(runner, PendingUploads(tmp_path / "uploads.json"))
    seen: list[Progress] = []
    checked = run_async(uploader.check(SAMPLE, seen.append))
    assert checked.inspection.rows == 400
    assert checked.sha256 == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_upload_offers_reuse_and_forgets_finished_uploads(
    moto: MotoEndpoint, runner: Runner, tmp_path: Path, run_async: Callable[..., Any]
) -> None:
    client = moto.client("s3")
    client.create_bucket(Bucket="inbox")
    s3 = S3Gateway(client)
    pending = PendingUploads(tmp_path / "uploads.json")
    uploader = Uploader(runner, pending)
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    size = SAMPLE.stat().st_size
    assert run_async(uploader.identical(s3, "inbox", "in/sample.csv", size, digest)) is None
    seen: list[Progress] = []
    info = run_async(uploader.upload(s3, SAMPLE, "inbox", "in/sample.csv", digest, report=seen.append))
    assert info.uri == "s3://inbox/in/sample.csv"
    assert seen[-1].fraction == 1.0
    assert run_async(uploader.identical(s3, "inbox", "in/sample.csv", size, digest)) is not None


def test_cancelled_upload_leaves_nothing(
    moto: MotoEndpoint, runner: Runner, tmp_path: Path, run_async: Callable[..., Any]
) -> None:
    client = moto.client("s3")
    client.create_bucket(Bucket="inbox")
    s3 = S3Gateway(client)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * (9 * MIB // 4))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    pending = PendingUploads(tmp_path / "uploads.json")
    uploader = Uploader(runner, pending)
    cancel = threading.Event()
    cancel.set()  # cancelled before the first part: the upload is created, then aborted
    with pytest.raises(UploadCancelled):
        run_async(uploader.upload(s3, path, "inbox", "big.csv", digest, cancel=cancel))
    assert s3.unfinished_uploads("inbox", "big.csv") == []
    assert pending.get("inbox", "big.csv", digest) is None


def test_pending_uploads_are_remembered_per_file(tmp_path: Path) -> None:
    pending = PendingUploads(tmp_path / "uploads.json")
    pending.put("b", "k", "abc", "upload-1", 16 * MIB)
    assert PendingUploads(tmp_path / "uploads.json").get("b", "k", "abc") == "upload-1"
    assert pending.get("b", "k", "other") is None
    pending.forget("b", "k", "abc")
    assert pending.get("b", "k", "abc") is None


# --- against the real sandbox: verification and cancel -----------------------------------------


def sandbox_s3(sandbox: Any) -> S3Gateway:
    """The sandbox's S3 through the app's own connection (its client configuration included)."""
    from batchgui.aws.session import AwsConnection
    from batchgui.domain.connection import ConnectionSpec, LocalEndpoint

    local = LocalEndpoint(
        sandbox.endpoint_url, sandbox.region, sandbox.access_key_id, sandbox.secret_access_key
    )
    assert sandbox.wait_services(60)
    return S3Gateway(AwsConnection(ConnectionSpec.local(), local).client("s3"))


def varied_file(path: Path, size: int) -> str:
    import random

    rng = random.Random(7)
    path.write_bytes(rng.randbytes(size))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uploading_to_sandbox(
    sandbox: Any, runner: Runner, tmp_path: Path, size: int
) -> tuple[S3Gateway, PendingUploads, Uploader, Path, str]:
    """The sandbox's S3, an uploader and a file of `size` random bytes (with its SHA-256)."""
    pending = PendingUploads(tmp_path / "uploads.json")
    path = tmp_path / "data.bin"
    return sandbox_s3(sandbox), pending, Uploader(runner, pending), path, varied_file(path, size)


def test_a_part_damaged_on_the_way_to_the_sandbox_is_caught_by_the_verification_and_nothing_is_lost(
    sandbox: Any, runner: Runner, tmp_path: Path, run_async: Callable[..., Any]
) -> None:
    from batchgui.services.upload import UploadFailed

    s3, _pending, uploader, path, digest = uploading_to_sandbox(sandbox, runner, tmp_path, 12 * MIB)
    bucket = "batchgui-demo"
    original = path.read_bytes()
    # The previous upload of this key, intact: the damaged one must not be taken for it.
    first = run_async(uploader.upload(s3, path, bucket, "in/data.bin", digest))
    assert first.verified

    def damage(request: Any, **_: Any) -> None:
        # After the part's CRC32 was computed from the file and before the request is signed (a
        # read or memory fault: the signature then covers the damaged bytes, so only the CRC32 and
        # the stored object's check can catch it): flip one byte of part 2.
        if "partNumber=2" in request.url:
            raw = request.data
            body = bytearray(raw.getvalue() if hasattr(raw, "getvalue") else raw)
            body[1000] ^= 0xFF
            request.data = io.BytesIO(bytes(body))

    s3.client.meta.events.register("before-sign.s3.UploadPart", damage)
    with pytest.raises(UploadFailed) as caught:
        run_async(uploader.upload(s3, path, bucket, "in/data.bin", digest), timeout=60)
    message = caught.value.message()
    assert "does not hold the file's bytes" in message, message
    assert "CRC32" in message
    # Nothing lost: the file is untouched, no damaged object is left that claims its SHA-256, and
    # no parts are left behind; sending again (no damage now) stores and verifies the file.
    assert path.read_bytes() == original
    assert s3.head_object(bucket, "in/data.bin") is None
    assert s3.unfinished_uploads(bucket, "in/data.bin") == []
    s3.client.meta.events.unregister("before-sign.s3.UploadPart", damage)
    again = run_async(uploader.upload(s3, path, bucket, "in/data.bin", digest), timeout=60)
    assert again.verified
    assert again.checksum == first.checksum
    stored = s3.client.get_object(Bucket=bucket, Key="in/data.bin")["Body"].read()
    assert stored == original


def test_a_cancelled_upload_aborts_its_multipart_upload_on_the_sandbox(
    sandbox: Any, runner: Runner, tmp_path: Path, run_async: Callable[..., Any]
) -> None:
    s3, pending, uploader, path, digest = uploading_to_sandbox(sandbox, runner, tmp_path, 80 * MIB)
    bucket = "batchgui-demo"
    cancel = threading.Event()
    created: list[str] = []
    parts: list[int] = []

    def started(**_: Any) -> None:
        created.append("upload")

    def part_sent(**_: Any) -> None:
        parts.append(1)
        if len(parts) == 2:
            cancel.set()  # cancelled mid-upload, with parts stored

    s3.client.meta.events.register("after-call.s3.CreateMultipartUpload", started)
    s3.client.meta.events.register("after-call.s3.UploadPart", part_sent)
    with pytest.raises(UploadCancelled):
        run_async(uploader.upload(s3, path, bucket, "in/big.bin", digest, cancel=cancel), timeout=60)
    assert created
    assert 2 <= len(parts) < 10  # ten parts: some were never sent
    assert s3.unfinished_uploads(bucket, "in/big.bin") == []
    assert s3.head_object(bucket, "in/big.bin") is None
    assert pending.get(bucket, "in/big.bin", digest) is None
