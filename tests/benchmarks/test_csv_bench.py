"""CSV wizard figures: streaming validation of a 1 GB CSV (speed, peak memory) and array submission
of 10,000 rows (SubmitJob calls). Big files are made under a temp dir and deleted afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.results import median, record

pytestmark = pytest.mark.timeout(900)
ROOT = Path(__file__).resolve().parents[2]

_VALIDATE = """
import json, resource, sys, time
from pathlib import Path
from batchgui.domain.csv_plan import inspect_csv
path = Path(sys.argv[1])
started = time.perf_counter()
with path.open("rb") as handle:
    result = inspect_csv(handle, path.stat().st_size)
seconds = time.perf_counter() - started
print(json.dumps({"rows": result.rows, "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_csv(path: Path, size: int) -> None:
    sample = (ROOT / "resources" / "sample.csv").read_bytes()
    header, body = sample.split(b"\n", 1)
    block = body * 64
    with path.open("wb") as handle:
        handle.write(header + b"\n")
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)


def test_validate_1gb_csv(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    make_csv(path, 1 << 30)
    try:
        speeds: list[float] = []
        peaks: list[float] = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", _VALIDATE, str(path)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=600,
            )
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            speeds.append(path.stat().st_size / (1 << 20) / figures["seconds"])
            peaks.append(figures["peak_mb"])
    finally:
        path.unlink()
    record("csv_validate_mb_per_s", median(speeds), "MB/s", 100, "higher")
    record("csv_validate_peak_mb", max(peaks), "MB", 200, "lower")


def test_array_submit_10k_rows(sandbox: Any, run_async: Callable[..., Any], tmp_path: Path) -> None:
    import time

    import boto3

    from batchgui.aws.batch import BatchGateway
    from batchgui.aws.errors import translate
    from batchgui.domain.csv_plan import DefinitionInfo, PlanInput, QueueInfo, make_plan
    from batchgui.services.runner import Runner
    from batchgui.services.submission import Journal, Submitter, new_submission_id

    client = boto3.client(
        "batch",
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
    )
    runner = Runner(workers=4, translate=translate)
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        submitter = Submitter(runner, journal)
        sid = new_submission_id()
        plan = make_plan(
            PlanInput(
                job_name="bench",
                queue=QueueInfo("fargate-queue"),
                definition=DefinitionInfo("csv-row-processor:1", "ACTIVE", "FARGATE"),
                bucket="b",
                key="k.csv",
                rows=10_000,
                columns=("id",),
                submission_id=sid,
                rows_per_child=1,
            )
        )
        started = time.perf_counter()
        run_async(submitter.create(plan, "/tmp/bench.csv", 1, "0" * 64))
        outcome = run_async(submitter.submit(BatchGateway(client), sid))
        seconds = time.perf_counter() - started
        client.terminate_job(jobId=journal.job_ids(sid)[0], reason="benchmark done")
    finally:
        runner.close(timeout_s=2)
        journal.close()
    print(f"\n[bench] 10,000 rows as an array job submitted in {seconds:.3f} s")
    record("array_submit_10k_rows_api_calls", outcome.calls, "calls", 1, "lower")
