"""S3 gateway: buckets and objects for the CSV wizard."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from batchgui.aws.gateway import Gateway

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # noqa: F401 - named in the base class below

MIB = 1 << 20
# Parts of 8 MiB (as `aws s3 cp`), 4 at a time: measured against the CLI on the sandbox, 16 MiB x 8
# was slower and kept the GUI thread waiting longer (more threads runnable on a small machine);
# at most ~32 MiB of the file is in memory.
PART_SIZE = 8 * MIB
UPLOAD_CONCURRENCY = 4
MAX_PARTS = 10_000
# Object metadata key (x-amz-meta-sha256) holding the hex SHA-256 of the whole file.
SHA256_METADATA = "sha256"
# Declared on every upload and part, as the AWS CLI and boto3 do: S3 checks each part as it arrives,
# and CompleteMultipartUpload then combines the part checksums instead of reading the whole object
# again (moto's server spent 10 s of a 1 GiB upload doing that when no algorithm was declared).
CHECKSUM_ALGORITHM: Literal["CRC32"] = "CRC32"


class UploadCancelled(Exception):
    """The user cancelled; the multipart upload was aborted."""


class UploadMismatch(Exception):
    """The stored object is not what was sent (size or checksum differ)."""


def composite_crc32(part_checksums: list[str]) -> str:
    """S3's checksum of a multipart object: CRC32 of the parts' CRC32 digests, then `-<parts>`."""
    import base64
    import zlib

    digests = b"".join(base64.b64decode(c) for c in part_checksums)
    value = zlib.crc32(digests).to_bytes(4, "big")
    return f"{base64.b64encode(value).decode()}-{len(part_checksums)}"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    sha256: str = ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Gateway(Gateway["S3Client"]):
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

    def pending_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[str, int, str]] | None:
        """Parts already stored for an unfinished multipart upload: number -> (ETag, size, CRC32).

        None when the upload no longer exists (completed, aborted or expired).
        """
        from botocore.exceptions import ClientError

        parts: dict[int, tuple[str, int, str]] = {}
        try:
            for page in self._client.get_paginator("list_parts").paginate(
                Bucket=bucket, Key=key, UploadId=upload_id
            ):
                for part in page.get("Parts", []):
                    parts[int(part["PartNumber"])] = (
                        str(part["ETag"]),
                        int(part["Size"]),
                        str(part.get("ChecksumCRC32", "")),
                    )
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
                put = self._client.put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=body,
                    Metadata=metadata,
                    ContentType=_content_type(key),
                    ChecksumAlgorithm=CHECKSUM_ALGORITHM,
                )
            if progress is not None:
                progress(size)
            self.verify(bucket, key, size, put.get("ChecksumCRC32", ""))
            return ObjectInfo(bucket, key, size, sha256)
        done: dict[int, tuple[str, int, str]] = {}
        if upload_id is not None:
            existing = self.pending_parts(bucket, key, upload_id)
            if existing is None:
                upload_id = None
            else:
                done = existing
        if upload_id is None:
            created = self._client.create_multipart_upload(
                Bucket=bucket,
                Key=key,
                Metadata=metadata,
                ContentType=_content_type(key),
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            )
            upload_id = created["UploadId"]
        if on_started is not None:
            on_started(upload_id, part_size)
        count = max(1, math.ceil(size / part_size))
        etags: dict[int, tuple[str, str]] = {}  # part number -> (ETag, CRC32)
        sent = 0
        for number in range(1, count + 1):
            expected = min(part_size, size - (number - 1) * part_size)
            if number in done and done[number][1] == expected:
                # A listing may leave out the part's checksum: the same bytes are here to compute it.
                crc = done[number][2] or _crc32_of(path, (number - 1) * part_size, expected)
                etags[number] = (done[number][0], crc)
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
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            )
            with lock:
                etags[number] = (response["ETag"], response.get("ChecksumCRC32", ""))
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
        parts = sorted(etags)
        self._client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": n, "ETag": etags[n][0], "ChecksumCRC32": etags[n][1]} for n in parts]
            },
        )
        self.verify(bucket, key, size, composite_crc32([etags[n][1] for n in parts]))
        return ObjectInfo(bucket, key, size, sha256)

    def verify(self, bucket: str, key: str, size: int, crc32: str) -> None:
        """The stored object has the size sent and the CRC32 S3 computed as the parts arrived.

        A single PUT's checksum is the object's; a multipart object's is the composite of its parts
        (`composite_crc32`), which S3 reports with `-<parts>` unless it stores a full-object value.
        """
        head = self._client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        stored_size = int(head.get("ContentLength", 0))
        stored = str(head.get("ChecksumCRC32", ""))
        if stored_size != size:
            raise UploadMismatch(f"s3://{bucket}/{key} holds {stored_size:,} bytes; {size:,} were sent")
        if crc32 and stored and stored.split("-", 1)[0] != crc32.split("-", 1)[0]:
            raise UploadMismatch(f"s3://{bucket}/{key}: CRC32 {stored} is not the {crc32} of the parts sent")


def _crc32_of(path: Path, offset: int, size: int) -> str:
    """The base64 CRC32 of `size` bytes of `path` from `offset`, as S3 reports a part's checksum."""
    import base64
    import zlib

    value = 0
    with path.open("rb") as handle:
        handle.seek(offset)
        left = size
        while left > 0:
            data = handle.read(min(left, MIB))
            if not data:
                break
            value = zlib.crc32(data, value)
            left -= len(data)
    return base64.b64encode(value.to_bytes(4, "big")).decode()


def choose_part_size(size: int) -> int:
    """8 MiB parts (S3 allows 10,000 parts per upload, so bigger for files above ~80 GB)."""
    return max(PART_SIZE, math.ceil(size / MAX_PARTS / MIB) * MIB)


def _content_type(key: str) -> str:
    return "text/csv" if key.lower().endswith(".csv") else "application/octet-stream"
