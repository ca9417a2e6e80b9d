"""S3 gateway: buckets and objects for the CSV wizard."""

from __future__ import annotations

import base64
import math
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from batchgui.aws.errors import error_code, http_status
from batchgui.aws.gateway import Gateway

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
# What S3 answers for a multipart upload that no longer exists (completed, aborted or expired).
_NO_UPLOAD = ("NoSuchUpload", "404", "NotFound")
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
    digests = b"".join(base64.b64decode(c) for c in part_checksums)
    value = zlib.crc32(digests).to_bytes(4, "big")
    return f"{base64.b64encode(value).decode()}-{len(part_checksums)}"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    sha256: str = ""
    checksum: str = ""  # the CRC32 S3 reported and the upload checked against the file's bytes

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def verified(self) -> bool:
        """S3's checksum of the stored object was compared with the file's and matched."""
        return bool(self.checksum)


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
            if http_status(exc) == 404 or error_code(exc) in ("404", "NoSuchKey", "NotFound"):
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
            for part in self._paged("list_parts", "Parts", Bucket=bucket, Key=key, UploadId=upload_id):
                parts[int(part["PartNumber"])] = (
                    str(part["ETag"]),
                    int(part["Size"]),
                    str(part.get("ChecksumCRC32", "")),
                )
        except ClientError as exc:
            if error_code(exc) in _NO_UPLOAD:
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
            if error_code(exc) not in _NO_UPLOAD:
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
        """Upload `path` to s3://bucket/key with the SHA-256 in its metadata, then verify it.

        Files above one part go up as a multipart upload, `concurrency` parts at a time. Every part
        carries the CRC32 of the file's bytes, computed here; the stored object's checksum
        (HeadObject, ChecksumMode=ENABLED) must equal the one of those bytes, else UploadMismatch
        and the object is removed (its metadata would claim a SHA-256 it does not have).
        `progress` gets the bytes stored so far (called from worker threads). `upload_id` resumes
        an upload a dropped connection interrupted: parts already stored (ListParts) with the
        file's checksum are not sent again. `on_started(upload_id, part_size)` lets the caller
        remember the upload for such a retry. Setting `cancel` aborts the multipart upload, so no
        parts are left behind, and raises UploadCancelled. Other errors leave the upload open.
        """
        size = path.stat().st_size
        part_size = part_size or choose_part_size(size)
        metadata = {SHA256_METADATA: sha256}
        if size <= part_size and upload_id is None:
            if cancel is not None and cancel.is_set():
                raise UploadCancelled("the upload was cancelled")
            body = path.read_bytes()
            crc = crc32_base64(body)
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                Metadata=metadata,
                ContentType=_content_type(key),
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
                ChecksumCRC32=crc,
            )
            if progress is not None:
                progress(size)
            return self._verified(bucket, key, size, sha256, crc)
        upload = _MultipartUpload(self._client, path, bucket=bucket, key=key, part_size=part_size, size=size)
        if upload_id is not None and (existing := self.pending_parts(bucket, key, upload_id)) is not None:
            upload.upload_id = upload_id
            upload.keep_stored(existing)
        if not upload.upload_id:
            created = self._client.create_multipart_upload(
                Bucket=bucket,
                Key=key,
                Metadata=metadata,
                ContentType=_content_type(key),
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            )
            upload.upload_id = created["UploadId"]
        if on_started is not None:
            on_started(upload.upload_id, part_size)
        try:
            upload.send_missing(concurrency, progress, cancel)
        except UploadCancelled:
            self.abort_upload(bucket, key, upload.upload_id)
            raise UploadCancelled("the upload was cancelled; its parts were removed") from None
        from botocore.exceptions import ClientError

        expected = composite_crc32([upload.stored[n][1] for n in sorted(upload.stored)])
        try:
            upload.complete()
        except ClientError:
            # A Complete retried after a read timeout (moto copies the whole object: over 30 s on a
            # busy machine) finds its upload gone when the first attempt went through: then the
            # object is there, and the verification below tells whether it is the file.
            if self.head_object(bucket, key) is None or upload.upload_id in self.unfinished_uploads(
                bucket, key
            ):
                raise
        return self._verified(bucket, key, size, sha256, expected)

    def _verified(self, bucket: str, key: str, size: int, sha256: str, crc32: str) -> ObjectInfo:
        try:
            checksum = self.verify(bucket, key, size, crc32)
        except UploadMismatch:
            self._client.delete_object(Bucket=bucket, Key=key)
            raise
        return ObjectInfo(bucket, key, size, sha256, checksum)

    def verify(self, bucket: str, key: str, size: int, crc32: str) -> str:
        """The stored object has the size sent and the CRC32 of the file's bytes: returns the CRC32
        S3 reports ("" when the store reports none: then only the size was checked).

        A single PUT's checksum is the object's; a multipart object's is the composite of its parts
        (`composite_crc32`), which S3 reports with `-<parts>` unless it stores a full-object value.
        """
        head = self._client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        stored_size = int(head.get("ContentLength", 0))
        stored = str(head.get("ChecksumCRC32", ""))
        if stored_size != size:
            raise UploadMismatch(f"s3://{bucket}/{key} holds {stored_size:,} bytes; {size:,} were sent")
        if stored and stored.split("-", 1)[0] != crc32.split("-", 1)[0]:
            raise UploadMismatch(
                f"s3://{bucket}/{key} does not hold the file's bytes: S3 computed CRC32 {stored}, "
                f"the file gives {crc32}. The file on disk is unchanged; the damaged object was removed."
            )
        return stored


@dataclass
class _MultipartUpload:
    """The parts of one multipart upload: which are stored, sending the others, completing it."""

    client: S3Client
    path: Path
    bucket: str
    key: str
    part_size: int
    size: int
    upload_id: str = ""
    stored: dict[int, tuple[str, str]] = field(default_factory=dict)  # part -> (ETag, the file's CRC32)
    sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.size / self.part_size))

    def _extent(self, number: int) -> tuple[int, int]:
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def keep_stored(self, listed: dict[int, tuple[str, int, str]]) -> None:
        """Keep the listed parts whose size and CRC32 are the file's (any other is sent again)."""
        for number, (etag, stored_size, stored_crc) in listed.items():
            offset, expected = self._extent(number)
            if number > self.count or stored_size != expected:
                continue
            crc = _crc32_of(self.path, offset, expected)
            if stored_crc in ("", crc):  # a listing may leave the checksum out
                self.stored[number] = (etag, crc)
                self.sent += expected

    def _send(self, number: int, progress: Callable[[int], None] | None) -> None:
        offset, length = self._extent(number)
        with self.path.open("rb") as handle:
            handle.seek(offset)
            body = handle.read(length)
        crc = crc32_base64(body)
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            ChecksumCRC32=crc,
        )
        answered = response.get("ChecksumCRC32", "")
        if answered and answered != crc:
            raise UploadMismatch(
                f"part {number} of s3://{self.bucket}/{self.key} arrived damaged: S3 computed CRC32 "
                f"{answered}, the file gives {crc}. Nothing was completed; Upload again sends that part anew."
            )
        with self._lock:
            self.stored[number] = (response["ETag"], crc)
            self.sent += length
            done = self.sent
        if progress is not None:
            progress(done)

    def send_missing(
        self, concurrency: int, progress: Callable[[int], None] | None, cancel: threading.Event | None
    ) -> None:
        """Send every part not stored yet, `concurrency` at a time; the first error stops the rest."""
        if progress is not None and self.sent:
            progress(self.sent)
        stop = cancel or threading.Event()
        failed: list[BaseException] = []

        def send(number: int) -> None:
            if stop.is_set() or failed:
                return
            try:
                self._send(number, progress)
            except BaseException as exc:
                failed.append(exc)

        todo = [n for n in range(1, self.count + 1) if n not in self.stored]
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="s3-upload") as pool:
            pool.map(send, todo)
        if cancel is not None and cancel.is_set():
            raise UploadCancelled("the upload was cancelled")
        if failed:
            raise failed[0]

    def complete(self) -> None:
        """Complete with every part's ETag and CRC32."""
        parts = sorted(self.stored)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": n, "ETag": self.stored[n][0], "ChecksumCRC32": self.stored[n][1]}
                    for n in parts
                ]
            },
        )


def crc32_base64(data: bytes) -> str:
    """The base64 CRC32 of `data`, as S3 reports a part's checksum (zlib releases the GIL here)."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _crc32_of(path: Path, offset: int, size: int) -> str:
    """The base64 CRC32 of `size` bytes of `path` from `offset`."""
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
