"""The benchmark results file: every figure in ../shared/BENCHMARKS.md lands here.

Each benchmark calls `record(...)` for the figures it measured; the file is merged, not
rewritten, so benchmarks run one at a time still keep the others' figures. A figure not
measured yet is absent, never zero.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

RESULTS_PATH = Path(__file__).with_name("results.json")
ROOT = Path(__file__).resolve().parents[2]
Better = Literal["lower", "higher", "equal"]


def machine_description() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}"


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def record(  # noqa: PLR0917 - the five fields of a figure, in BENCHMARKS.md's order
    name: str, value: float, unit: str, target: float, better: Better, path: Path = RESULTS_PATH
) -> None:
    """Merge one figure into the results file and print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_suffix(".lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data: dict[str, object] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                data = {}
        figures = data.get("figures")
        if not isinstance(figures, dict):
            figures = {}
        figures[name] = {"value": round(value, 4), "unit": unit, "target": target, "better": better}
        data = {
            "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine_description(),
            "figures": dict(sorted(figures.items())),
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(path)
    print(f"\n[bench] {name} = {value:.4g} {unit} (target {target}, {better} is better)")


# --- peers: ours and the peer alternated, each run in its own process ---------------------------
# One home for the rule of ../shared/BENCHMARKS.md: "a peer figure alternates with ours, A B A B,
# at least 4 pairs, each side in its own process against the same endpoint and data; the figure is
# the median of the pair ratios". Every bench file with a peer figure uses `alternate`.

MIN_PAIRS = 4


@dataclass(frozen=True)
class Alternation:
    """Both sides' readings in the order they ran (ours[i] ran just before peer[i])."""

    ours: list[float]
    peer: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.peer, strict=True)]

    @property
    def ratio(self) -> float:
        """The figure: the median of the pair ratios (ours / peer)."""
        return median(self.ratios)

    def describe(self, unit: str = "") -> str:
        def show(values: list[float]) -> str:
            return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"

        return (
            f"ours {show(self.ours)} {unit}, peer {show(self.peer)} {unit}, "
            f"pair ratios {show(self.ratios)}; load average {load_average()}"
        )


def alternate(ours: Callable[[], float], peer: Callable[[], float], pairs: int = MIN_PAIRS) -> Alternation:
    """Run ours, then the peer, `pairs` times (A B A B ...): each call must start its own process
    (`run_json` / `run_timed`) and return one reading (seconds, or a throughput)."""
    if pairs < MIN_PAIRS:
        raise ValueError(f"a peer figure needs at least {MIN_PAIRS} pairs, not {pairs}")
    mine: list[float] = []
    theirs: list[float] = []
    for number in range(pairs):
        mine.append(ours())
        theirs.append(peer())
        print(f"\n[bench] pair {number + 1}: ours {mine[-1]:.4g}, peer {theirs[-1]:.4g}", flush=True)
    return Alternation(mine, theirs)


def run_json(
    script: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    cwd: Path = ROOT,
) -> dict[str, Any]:
    """Run `python -c script args...` in its own process; its last stdout line is a JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    if done.returncode != 0:
        raise AssertionError(f"benchmark process failed ({done.returncode}):\n{done.stderr[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(
            f"benchmark process printed no JSON:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    result = json.loads(lines[-1])
    assert isinstance(result, dict)
    return result


def run_timed(argv: list[str], env: Mapping[str, str] | None = None, timeout: float = 900) -> float:
    """Wall seconds of one process from its start to its exit (for peers such as the AWS CLI)."""
    started = time.perf_counter()
    subprocess.run(
        argv,
        env=dict(env) if env is not None else None,
        timeout=timeout,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def load_average() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def drop_from_page_cache(path: Path) -> bool:
    """Ask the kernel to forget `path`'s cached pages, so the next read comes from the disk.

    Without root the only way is posix_fadvise(DONTNEED) on the file itself: it drops the clean,
    unmapped pages of that one file (fsync first makes them clean). /proc/sys/vm/drop_caches would
    drop every process's cache on a shared machine and needs root: not used. False when the
    platform has no posix_fadvise (the read is then warm, and the caller says so)."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


class StallMeter:
    """BENCHMARKS.md's event-loop stall: the largest lateness of a 5 ms QTimer, in ms.

    `worst_ms` is the maximum since `start()`; a scenario run several times reports the maximum
    over every run as "max" (and may add the median of the runs' maxima as `*_median_of_max`).
    Needs a QApplication (Qt is imported only here, so results.py stays importable without it)."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.interval_s = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst_ms = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.worst_ms = max(self.worst_ms, (now - self.last - self.interval_s) * 1000)
        self.last = now

    def start(self) -> None:
        self.last = 0.0
        self.worst_ms = 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst_ms


# --- input data: varied rows, written to disk ---------------------------------------------------
_CUSTOMERS = (
    "Cyberdyne",
    "Tyrell Corp",
    "Hooli",
    "Black Mesa",
    "Initech",
    "Umbrella",
    "Acme",
    "Soylent",
    "Wayne Enterprises",
    "Stark Industries",
    "Globex",
    "Vandelay Industries",
)
_CURRENCIES = ("EUR", "USD", "AUD", "GBP", "JPY", "CHF")
_COUNTRIES = ("FR", "AU", "DE", "US", "GB", "JP", "CH", "IT", "ES", "NL")
_STATUSES = ("paid", "shipped", "refunded", "pending", "cancelled")
CSV_HEADER = b"order_id,customer,amount,currency,country,quantity,status,created_at\n"


def write_varied_csv(path: Path, size: int, seed: int) -> int:
    """A CSV of about `size` bytes in resources/sample.csv's columns, written to disk.

    Rows are varied, not one sample repeated: 50,000 distinct rows are drawn from a seeded generator
    (different seeds give different files), and every block of the file is a fresh random draw of
    them with its own order ids, so no two blocks are alike. Returns the number of rows."""
    import random

    rng = random.Random(seed)
    pool = []
    for _ in range(50_000):
        seconds = rng.randrange(0, 365 * 86_400)
        day, rest = divmod(seconds, 86_400)
        month, mday = divmod(day % 336, 28)
        pool.append(
            f",{rng.choice(_CUSTOMERS)},{rng.randrange(100, 999_999) / 100:.2f},"
            f"{rng.choice(_CURRENCIES)},{rng.choice(_COUNTRIES)},{rng.randrange(1, 60)},"
            f"{rng.choice(_STATUSES)},2026-{month + 1:02d}-{mday + 1:02d}T{rest // 3600:02d}:"
            f"{rest // 60 % 60:02d}:{rest % 60:02d}Z\n"
        )
    rows = 0
    with path.open("wb") as handle:
        handle.write(CSV_HEADER)
        written = len(CSV_HEADER)
        while written < size:
            tails = rng.choices(pool, k=20_000)
            block = "".join([f"ORD-{seed:02d}{rows + n:09d}{tail}" for n, tail in enumerate(tails)]).encode()
            rows += len(tails)
            handle.write(block)
            written += len(block)
    return rows


def meets_target(value: float, target: float, better: str) -> bool:
    if better == "lower":
        return value <= target
    if better == "higher":
        return value >= target
    return value == target


def print_table(path: Path = RESULTS_PATH) -> None:
    if not path.exists():
        print("no results yet")
        return
    data = json.loads(path.read_text())
    print(f"measured_at {data.get('measured_at')}  machine: {data.get('machine')}")
    print(f"{'figure':45} {'value':>12} {'unit':>6} {'target':>10}  ok")
    for name, fig in data.get("figures", {}).items():
        ok = "yes" if meets_target(fig["value"], fig["target"], fig["better"]) else "NO"
        print(f"{name:45} {fig['value']:>12} {fig['unit']:>6} {fig['target']:>10}  {ok}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--print", action="store_true")
    args = parser.parse_args()
    if args.print:
        print_table()
