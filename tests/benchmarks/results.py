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
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

RESULTS_PATH = Path(__file__).with_name("results.json")
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
