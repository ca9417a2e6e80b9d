"""Start-up figures, each a real process start of the app (`python -m batchgui --local`):

- startup_to_first_paint_s: process start to the first painted main window, median of 5 runs;
- launch_to_job_rows_s: process start to the Jobs panel's first painted rows, with a 100,000-job
  queue in the local sandbox's data folder, median of 5 runs.

The app runs as installed: with its modules' bytecode cached (pip and the packaged app both ship
or write .pyc files). This machine's environment sets PYTHONDONTWRITEBYTECODE, under which every
start compiled all of batchgui from source again (a quarter of a profiled start); the runs here
keep their bytecode in a temporary PYTHONPYCACHEPREFIX instead, written by the warm-up start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.results import load_average, median, record

RUNS = 5


def one_start(tmp: Path, *extra: str, until: str = "1") -> float:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "BATCHGUI_EXIT_AFTER_FIRST_PAINT": until,
        "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.time()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchgui",
            "--local",
            "--config-dir",
            str(tmp / "config"),
            "--data-dir",
            str(tmp / "data"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("first-paint-s"))
    painted_epoch = float(line.split()[-1])
    return painted_epoch - started


@pytest.mark.timeout(600)
def test_startup_to_first_paint(tmp_path: Path) -> None:
    one_start(tmp_path)  # warm the disk cache, write the bytecode and the settings once
    times = [one_start(tmp_path) for _ in range(RUNS)]
    print(f"\nstartup runs: {[round(t, 3) for t in times]}; load average {load_average()}")
    record("startup_to_first_paint_s", median(times), "s", 1.0, "lower")


@pytest.mark.timeout(900)
def test_launch_to_job_rows(tmp_path: Path) -> None:
    from batchgui.sandbox import start_in_process
    from tests.benchmarks.test_jobs_bench import JOBS, _create_queue_and_fill

    sandbox_dir = tmp_path / "data" / "sandbox"  # where `--local` keeps the app's sandbox
    running = start_in_process(sandbox_dir)
    try:
        assert running.wait_services(60)
        _create_queue_and_fill(
            running.endpoint_url,
            running.region,
            running.access_key_id,
            running.secret_access_key,
            sandbox_dir,
        )
    finally:
        running.stop()
    one_start(tmp_path, "--panel", "jobs", until="rows")
    times = [one_start(tmp_path, "--panel", "jobs", until="rows") for _ in range(RUNS)]
    print(f"\nlaunch to {JOBS:,}-job rows: {[round(t, 3) for t in times]}; load average {load_average()}")
    record("launch_to_job_rows_s", median(times), "s", 1.5, "lower")
