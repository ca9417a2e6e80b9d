"""S3 gateway: buckets and objects for the CSV wizard."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1 << 20
# Parts of 8 MiB (as `aws s3 cp`), 4 at a time: measured against the CLI on the sandbox, 16 MiB x 8
# was slower and kept the GUI thread waiting longer (more threads runnable on a small machine);
# at most ~32 MiB of the file is in memory.
PART_SIZE = 8 * MIB
UPLOAD_CONCURRENCY = 4
MAX_PARTS = 10_000
# Object metadata key (x-amz-meta-sha256) holding the hex SHA-256 of the whole file.
SHA256_METADATA = "sha256"


class UploadCancelled(Exception):
    """The user cancelled; the multipart upload was aborted."""


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    sha256: str = ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Gateway:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client

    def list_buckets(self) -> list[str]:
        return sorted(b["Name"] for b in self._client.list_buckets().get("Buckets", []) if "Name" in b)

    # --- objects and uploads for the CSV wizard -------------------------------------------------
    def head_object(self, bucket: str, key: str) -> ObjectInfo | None:
        """The object's size and our SHA-256 metadata, or None when there is no such object."""
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        metadata = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        return ObjectInfo(bucket, key, int(head.get("ContentLength", 0)), metadata.get(SHA256_METADATA, ""))

    def find_identical(self, bucket: str, key: str, size: int, sha256: str) -> ObjectInfo | None:
        """The object at bucket/key if it has the same size and SHA-256 (so uploading again is waste)."""
        found = self.head_object(bucket, key)
        if found is not None and found.size == size and found.sha256 == sha256:
            return found
        return None

    def pending_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int]] | None:
        """Parts already stored for an unfinished multipart upload: number -> (ETag, size).

        None when the upload no longer exists (completed, aborted or expired).
        """
        from botocore.exceptions import ClientError

        parts: dict[int, tuple[str, int]] = {}
        try:
            for page in self._client.get_paginator("list_parts").paginate(
                Bucket=bucket, Key=key, UploadId=upload_id
            ):
                for part in page.get("Parts", []):
                    parts[int(part["PartNumber"])] = (str(part["ETag"]), int(part["Size"]))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404", "NotFound"):
                return None
            raise
        return parts

    def unfinished_uploads(self, bucket: str, key: str) -> list[str]:
        """Upload ids of multipart uploads still open for exactly this key."""
        response = self._client.list_multipart_uploads(Bucket=bucket, Prefix=key)
        return [u["UploadId"] for u in response.get("Uploads", []) if u.get("Key") == key]

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchUpload", "404", "NotFound"):
                raise

    def upload_file(
        self,
        path: Path,
        bucket: str,
        key: str,
        sha256: str,
        *,
        progress: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
        upload_id: str | None = None,
        on_started: Callable[[str, int], None] | None = None,
        part_size: int | None = None,
        concurrency: int = UPLOAD_CONCURRENCY,
    ) -> ObjectInfo:
        """Upload `path` to s3://bucket/key with the SHA-256 in its metadata.

        Files above one part go up as a multipart upload, `concurrency` parts at a time. `progress`
        gets the bytes stored so far (called from worker threads). `upload_id` resumes an upload a
        dropped connection interrupted: parts already stored (ListParts) are not sent again.
        `on_started(upload_id, part_size)` lets the caller remember the upload for such a retry.
        Setting `cancel` aborts the multipart upload, so no parts are left behind, and raises
        UploadCancelled. Other errors leave the upload open for a resume.
        """
        size = path.stat().st_size
        part_size = part_size or choose_part_size(size)
        metadata = {SHA256_METADATA: sha256}
        if size <= part_size and upload_id is None:
            if cancel is not None and cancel.is_set():
                raise UploadCancelled("the upload was cancelled")
            with path.open("rb") as body:
                self._client.put_object(
                    Bucket=bucket, Key=key, Body=body, Metadata=metadata, ContentType=_content_type(key)
                )
            if progress is not None:
                progress(size)
            return ObjectInfo(bucket, key, size, sha256)
        done: dict[int, tuple[str, int]] = {}
        if upload_id is not None:
            existing = self.pending_parts(bucket, key, upload_id)
            if existing is None:
                upload_id = None
            else:
                done = existing
        if upload_id is None:
            created = self._client.create_multipart_upload(
                Bucket=bucket, Key=key, Metadata=metadata, ContentType=_content_type(key)
            )
            upload_id = created["UploadId"]
        if on_started is not None:
            on_started(upload_id, part_size)
        count = max(1, math.ceil(size / part_size))
        etags: dict[int, str] = {}
        sent = 0
        for number in range(1, count + 1):
            expected = min(part_size, size - (number - 1) * part_size)
            if number in done and done[number][1] == expected:
                etags[number] = done[number][0]
                sent += expected
        lock = threading.Lock()
        if progress is not None and sent:
            progress(sent)

        def send(number: int) -> None:
            nonlocal sent
            if cancel is not None and cancel.is_set():
                return
            offset = (number - 1) * part_size
            with path.open("rb") as handle:
                handle.seek(offset)
                body = handle.read(part_size)
            response = self._client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
            with lock:
                etags[number] = response["ETag"]
                sent += len(body)
                now = sent
            if progress is not None:
                progress(now)

        todo = [n for n in range(1, count + 1) if n not in etags]
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="s3-upload") as pool:
            futures = [pool.submit(send, n) for n in todo]
            error: BaseException | None = None
            for future in futures:
                try:
                    future.result()
                except BaseException as exc:
                    if error is None:
                        error = exc
                        for other in futures:
                            other.cancel()
        if cancel is not None and cancel.is_set():
            self.abort_upload(bucket, key, upload_id)
            raise UploadCancelled("the upload was cancelled; its parts were removed")
        if error is not None:
            raise error
        self._client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]},
        )
        return ObjectInfo(bucket, key, size, sha256)


def choose_part_size(size: int) -> int:
    """8 MiB parts (S3 allows 10,000 parts per upload, so bigger for files above ~80 GB)."""
    return max(PART_SIZE, math.ceil(size / MAX_PARTS / MIB) * MIB)


def _content_type(key: str) -> str:
    return "text/csv" if key.lower().endswith(".csv") else "application/octet-stream"
