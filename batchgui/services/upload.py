"""Reading a CSV for the wizard and uploading it to S3, off the GUI thread, with coalesced progress.

Workers only bump counters; the event loop samples them every PROGRESS_INTERVAL_S and tells the UI,
so a fast upload or parse never floods the loop with callbacks. `Uploader` works with the S3 gateway
it is handed; `UploadsService` is the facade bound to the current connection that the wizard uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, TypedDict, TypeVar, Unpack

from batchgui.aws.s3 import ObjectInfo, S3Gateway, UploadCancelled, UploadMismatch
from batchgui.domain.csv_check import Inspection, inspect_csv
from batchgui.domain.errors import BatchGuiError
from batchgui.services.bound import BoundService
from batchgui.services.connections import ConnectionManager
from batchgui.services.runner import Runner

PROGRESS_INTERVAL_S = 0.1
T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    bytes_per_s: float
    eta_s: float | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Counter:
    """A byte counter written by workers and read by the loop."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def set(self, value: int) -> None:
        with self._lock:
            self.value = max(self.value, value)


class _HashingReader:
    """A binary stream that hashes what is read through it (one pass gives rows and SHA-256)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self.sha256.update(data)
        return data


@dataclass
class FileCheck:
    path: Path
    inspection: Inspection
    sha256: str


def check_file(
    path: Path,
    counter: Counter,
    cancel: threading.Event,
    *,
    encoding: str | None = None,
    has_header: bool | None = None,
    delimiter: str | None = None,
) -> FileCheck:
    """On a worker: inspect the CSV and hash it in the same single pass."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        reader = _HashingReader(raw)
        inspection = inspect_csv(
            reader,  # type: ignore[arg-type]
            size,
            progress=counter.set,
            cancelled=cancel.is_set,
            encoding=encoding,
            has_header=has_header,
            delimiter=delimiter,
        )
        if not inspection.fatal and not inspection.cancelled:
            # Stopped early (binary/empty) files need no hash; otherwise finish hashing any tail.
            while chunk := reader.read(1 << 20):
                counter.set(inspection.bytes_read)
                del chunk
    return FileCheck(path, inspection, reader.sha256.hexdigest())


def sha256_of(path: Path, counter: Counter | None = None) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
            done += len(chunk)
            if counter is not None:
                counter.set(done)
    return digest.hexdigest()


async def follow(
    work: asyncio.Future[Any] | asyncio.Task[Any],
    counter: Counter,
    total: int,
    report: Callable[[Progress], None] | None,
) -> None:
    """Sample `counter` every PROGRESS_INTERVAL_S until `work` is done, reporting speed and ETA."""
    started = time.monotonic()
    while not work.done():
        await asyncio.wait([work], timeout=PROGRESS_INTERVAL_S)
        if report is not None:
            elapsed = max(1e-6, time.monotonic() - started)
            done = counter.value
            speed = done / elapsed
            eta = (total - done) / speed if speed > 0 else None
            report(Progress(done, total, speed, eta))


class PendingUploads:
    """Unfinished multipart uploads, remembered so a retry after a dropped connection resumes them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def key(bucket: str, key: str, sha256: str) -> str:
        return f"{bucket}/{key}#{sha256}"

    def get(self, bucket: str, key: str, sha256: str) -> str | None:
        with self._lock:
            entry = self._read().get(self.key(bucket, key, sha256))
        return str(entry["upload_id"]) if isinstance(entry, dict) and "upload_id" in entry else None

    def put(self, bucket: str, key: str, sha256: str, upload_id: str, part_size: int) -> None:
        with self._lock:
            data = self._read()
            data[self.key(bucket, key, sha256)] = {"upload_id": upload_id, "part_size": part_size}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def forget(self, bucket: str, key: str, sha256: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(self.key(bucket, key, sha256), None) is not None:
                self.path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def upload_check(info: ObjectInfo) -> str:
    """What the upload checked of the stored object, in words for the wizard."""
    if info.verified:
        return f"verified (S3's CRC32 {info.checksum} is the file's)"
    return "size checked (this store reports no checksum to verify)"


class UploadOptions(TypedDict, total=False):
    report: Callable[[Progress], None] | None  # progress, sampled every PROGRESS_INTERVAL_S
    cancel: threading.Event | None  # set it to abort the upload (UploadCancelled)


class UploadFailed(BatchGuiError):
    title = "The upload did not arrive intact"


class Uploader:
    def __init__(self, runner: Runner, pending: PendingUploads) -> None:
        self.runner = runner
        self.pending = pending

    async def check(
        self,
        path: Path,
        report: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        **overrides: Any,
    ) -> FileCheck:
        """Inspect and hash `path` on a worker, reporting bytes read."""
        counter, cancel = Counter(), cancel or threading.Event()
        size = await self.runner.run(lambda: path.stat().st_size)
        work = partial(check_file, path, counter, cancel, **overrides)
        return await self._followed(work, counter, cancel, size, report)

    async def _followed(
        self,
        work: Callable[[], T],
        counter: Counter,
        cancel: threading.Event,
        total: int,
        report: Callable[[Progress], None] | None,
    ) -> T:
        """Run `work` on a worker and report its `counter` until it is done; when the awaiting task is
        cancelled, `cancel` tells the worker to stop."""
        running = asyncio.ensure_future(self.runner.run(work))
        try:
            await follow(running, counter, total, report)
        except asyncio.CancelledError:
            cancel.set()
            raise
        return await running

    async def identical(
        self, s3: S3Gateway, bucket: str, key: str, size: int, sha256: str
    ) -> ObjectInfo | None:
        return await self.runner.run(s3.find_identical, bucket, key, size, sha256)

    async def upload(
        self, s3: S3Gateway, path: Path, bucket: str, key: str, sha256: str, **options: Unpack[UploadOptions]
    ) -> ObjectInfo:
        """Upload with progress; resumes an upload this app left unfinished for the same file.
        UploadCancelled when cancelled, UploadFailed when S3 holds other bytes than were sent."""
        report = options.get("report")
        counter, cancel = Counter(), options.get("cancel") or threading.Event()
        began = time.monotonic()
        size = await self.runner.run(lambda: path.stat().st_size)
        resume = await self.runner.run(self.pending.get, bucket, key, sha256)

        def started(upload_id: str, part_size: int) -> None:
            self.pending.put(bucket, key, sha256, upload_id, part_size)

        work = partial(
            s3.upload_file,
            path,
            bucket,
            key,
            sha256,
            progress=counter.set,
            cancel=cancel,
            upload_id=resume,
            on_started=started,
        )
        try:
            info = await self._followed(work, counter, cancel, size, report)
        except Exception as error:
            if cancel.is_set():
                await self.runner.run(self.pending.forget, bucket, key, sha256)
            if isinstance(error, UploadMismatch):
                raise UploadFailed(str(error), "Press Upload to send it again.") from error
            raise
        await self.runner.run(self.pending.forget, bucket, key, sha256)
        if report is not None:
            # The final line shows the average speed of the whole upload, not a last sample of 0.
            report(Progress(size, size, size / max(1e-6, time.monotonic() - began), 0.0))
        return info


class UploadsService(BoundService):
    """The wizard's file steps: check a CSV, find an identical object, upload, list buckets."""

    def __init__(self, runner: Runner, connections: ConnectionManager, pending: PendingUploads) -> None:
        super().__init__(runner, connections)
        self.uploader = Uploader(runner, pending)
        # Reading and hashing the file needs no connection: the uploader's own check.
        self.check = self.uploader.check

    async def file_size(self, path: Path) -> int | None:
        """The size of a regular file, None when there is none (a worker: disks can be slow)."""
        return await self._run(file_size, path)

    async def buckets(self) -> list[str]:
        return await self._run(self._backend().s3.list_buckets)

    async def identical(self, bucket: str, key: str, size: int, sha256: str) -> ObjectInfo | None:
        return await self.uploader.identical(self._backend().s3, bucket, key, size, sha256)

    async def upload(
        self, path: Path, bucket: str, key: str, sha256: str, **options: Unpack[UploadOptions]
    ) -> ObjectInfo:
        """Upload (resuming an unfinished one); UploadCancelled when cancelled."""
        return await self.uploader.upload(self._backend().s3, path, bucket, key, sha256, **options)


def file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


__all__ = [
    "FileCheck",
    "ObjectInfo",
    "Progress",
    "UploadCancelled",
    "Uploader",
    "UploadsService",
    "upload_check",
]
