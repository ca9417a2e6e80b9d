"""One upload by the app's own path, in a process of its own (the upload benchmark's "ours" side).

`python -m tests.benchmarks.upload_once CONNECTION_JSON PATH BUCKET KEY` uploads PATH through
`Uploader.upload` on the app's event loop (qasync on a QApplication), with the 5 ms stall meter
running through the whole upload, and prints one JSON line: seconds, MiB/s and the worst stall.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    info = json.loads(argv[0])
    path, bucket, key = Path(argv[1]), argv[2], argv[3]
    qt_app = QApplication.instance() or QApplication([])
    from batchgui.ui.event_loop import EventLoop

    loop = EventLoop(qt_app)
    asyncio.set_event_loop(loop)
    from batchgui.aws.errors import translate
    from batchgui.aws.s3 import S3Gateway
    from batchgui.aws.session import AwsConnection
    from batchgui.domain.connection import ConnectionSpec, LocalEndpoint
    from batchgui.services.runner import Runner
    from batchgui.services.upload import PendingUploads, Uploader
    from tests.benchmarks.results import StallMeter

    local = LocalEndpoint(
        info["endpoint_url"], info["region"], info["access_key_id"], info["secret_access_key"]
    )
    client = AwsConnection(ConnectionSpec.local(), local).client("s3")  # the app's client, as it uploads
    runner = Runner(translate=translate)
    meter = StallMeter()
    with tempfile.TemporaryDirectory() as scratch:
        uploader = Uploader(runner, PendingUploads(Path(scratch) / "pending.json"))
        size = path.stat().st_size

        async def upload() -> float:
            await asyncio.sleep(0.05)  # the meter's first ticks
            started = time.perf_counter()
            info = await uploader.upload(S3Gateway(client), path, bucket, key, "0" * 64)
            seconds = time.perf_counter() - started
            assert info.size == size, info
            assert info.verified, info
            return seconds

        meter.start()
        with loop:
            seconds = loop.run_until_complete(upload())
        stall = meter.stop()
    runner.close(timeout_s=5)
    print(json.dumps({"seconds": seconds, "mib_per_s": size / (1 << 20) / seconds, "stall_ms": stall}))


if __name__ == "__main__":
    main(sys.argv[1:])
