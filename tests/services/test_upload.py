from __future__ import annotations

import hashlib
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
