"""Costs added up: per array, submission, queue, share and day, and the Monitor's cost rate.

Each job's (or array child's) estimate is domain/pricing.py's; here they are summed by what they
belong to. A run that spans midnight is split between the two days by its seconds in each. The
Monitor's rate comes from the vCPUs and memory in use per platform (its samples), priced as
domain/pricing.py prices one run: Fargate exactly (x86_64 rates), EC2 as the range over the
instance types its environments may launch. Every figure is an estimate. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

import numpy as np
import numpy.typing as npt

from batchgui.domain.instance_types import InstanceCatalogue
from batchgui.domain.pricing import MIB_PER_GB, CostEstimate, PriceBook, run_cost

FloatArray = npt.NDArray[np.float64]
HOUR_S = 3600.0


@dataclass(frozen=True)
class PricedRun:
    """One priced job or array child, and what it belongs to: `groups` maps a grouping (QUEUE,
    SHARE, ARRAY, SUBMISSION) to the name of its group."""

    job_id: str
    cost: CostEstimate
    started_ms: int
    stopped_ms: int
    groups: Mapping[str, str] = field(default_factory=dict)


QUEUE, SHARE, ARRAY, SUBMISSION = "queue", "share", "array", "submission"


def total(costs: Iterable[CostEstimate]) -> CostEstimate | None:
    """The sum of the estimates, None when there are none."""
    out: CostEstimate | None = None
    for cost in costs:
        out = cost if out is None else out + cost
    return out


def rollup(runs: Iterable[PricedRun], grouping: str) -> dict[str, CostEstimate]:
    """Runs summed per group of a grouping (QUEUE, SHARE, ARRAY, SUBMISSION); runs in none are left out."""
    groups: dict[str, list[CostEstimate]] = {}
    for run in runs:
        name = run.groups.get(grouping, "")
        if name:
            groups.setdefault(name, []).append(run.cost)
    return {name: found for name, costs in groups.items() if (found := total(costs)) is not None}


def split_by_day(start_s: float, stop_s: float, zone: tzinfo) -> dict[date, float]:
    """The fraction of [start, stop] (epoch seconds) on each local day."""
    if stop_s <= start_s:
        return {datetime.fromtimestamp(start_s, zone).date(): 1.0}
    out: dict[date, float] = {}
    at = start_s
    while at < stop_s:
        here = datetime.fromtimestamp(at, zone)
        midnight = datetime.combine(here.date() + timedelta(days=1), datetime.min.time(), zone)
        end = min(stop_s, midnight.timestamp())
        out[here.date()] = out.get(here.date(), 0.0) + (end - at) / (stop_s - start_s)
        at = end
    return out


def by_day(runs: Iterable[PricedRun], zone: tzinfo) -> dict[date, CostEstimate]:
    """Runs summed per local day, a run over midnight shared by its time on each side."""
    groups: dict[date, list[CostEstimate]] = {}
    for run in runs:
        for day, part in split_by_day(run.started_ms / 1000, run.stopped_ms / 1000, zone).items():
            groups.setdefault(day, []).append(run.cost.times(part))
    return {day: found for day, costs in sorted(groups.items()) if (found := total(costs)) is not None}


# --- the Monitor's rate, from vCPUs and memory in use --------------------------------------------------
@dataclass(frozen=True)
class RateSeries:
    """Cost per hour at each sample time (low and high ends), and what it rests on."""

    times: FloatArray
    low: FloatArray
    high: FloatArray
    basis: str

    def now(self) -> tuple[float, float] | None:
        if not len(self.times):
            return None
        return float(self.low[-1]), float(self.high[-1])

    def per_day(self, intervals: FloatArray, zone: tzinfo) -> dict[date, tuple[float, float]]:
        """The rate integrated over each sample's interval, summed per local day (USD low, high)."""
        out: dict[date, tuple[float, float]] = {}
        for t, dt, low, high in zip(self.times, intervals, self.low, self.high, strict=True):
            day = datetime.fromtimestamp(float(t), zone).date()
            was = out.get(day, (0.0, 0.0))
            out[day] = (was[0] + low * dt / HOUR_S, was[1] + high * dt / HOUR_S)
        return out


def _ec2_hourly(
    book: PriceBook, catalogue: InstanceCatalogue, allowed: Sequence[str], vcpus: FloatArray, mib: FloatArray
) -> tuple[FloatArray, FloatArray, int]:
    """The EC2 cost per hour of `vcpus` and `mib` in use, as the cheapest and dearest allowed type."""
    rates = []
    for t in catalogue.expand(allowed or ("optimal",)):
        price = book.prices.ec2.get(t.name)
        if price is not None:
            rates.append(price * np.maximum(vcpus / t.vcpus, mib / t.memory_mib))
    if not rates:
        zero = np.zeros_like(vcpus)
        return zero, zero, 0
    stack = np.vstack(rates)
    return stack.min(axis=0), stack.max(axis=0), len(rates)


def rate_series(
    book: PriceBook,
    catalogue: InstanceCatalogue,
    times: FloatArray,
    use: Mapping[str, tuple[FloatArray, FloatArray]],
    allowed_ec2: Sequence[str] = (),
) -> RateSeries:
    """USD per hour at each sample, from the vCPUs and MiB in use per platform (FARGATE,
    FARGATE_SPOT, EC2, SPOT: `use[platform] = (vcpus, mib)`)."""
    low = np.zeros(len(times))
    high = np.zeros(len(times))
    notes: list[str] = []
    for platform, (raw_vcpus, raw_mib) in sorted(use.items()):
        vcpus, mib = np.nan_to_num(raw_vcpus), np.nan_to_num(raw_mib)  # NaN: no sample at that time
        if not np.any(vcpus):
            continue
        if platform.startswith("FARGATE"):
            hourly = run_cost(book, catalogue, platform, 1.0, 0.0, HOUR_S)
            per_gb = run_cost(book, catalogue, platform, 0.0, MIB_PER_GB, HOUR_S)
            if hourly is None or per_gb is None:
                notes.append(f"{platform} not priced")
                continue
            rate = vcpus * hourly.low + mib / MIB_PER_GB * per_gb.low
            low, high = low + rate, high + rate
            notes.append(hourly.basis + " (x86_64 rates)")
            continue
        cheap, dear, types = _ec2_hourly(book, catalogue, allowed_ec2, vcpus, mib)
        low, high = low + cheap, high + dear
        spot = " Spot at On-Demand (at most)" if platform == "SPOT" else ""
        notes.append(f"EC2{spot}: range over {types} allowed types (instances not known)")
    basis = "; ".join(dict.fromkeys(notes)) or "nothing running"
    return RateSeries(times, low, high, f"{basis}; prices: {book.label}")


def range_text(low: float, high: float) -> str:
    return CostEstimate(low, high, "").text


# --- the cost per day of the finished jobs the local history holds ------------------------------------
@dataclass(frozen=True)
class FinishedRun:
    """A finished job as the local jobs history keeps it (no attempts, no overrides)."""

    job_id: str
    queue: str
    job_definition: str
    started_ms: int
    stopped_ms: int


@dataclass(frozen=True)
class RunSize:
    """What a run is priced on: its definition's size and architecture, its queue's first compute
    environment's platform (FARGATE, FARGATE_SPOT, EC2, SPOT) and its instance types."""

    vcpus: float
    memory_mib: float
    platform: str
    allowed: tuple[str, ...] = ()
    architecture: str = "x86_64"


def price_finished(
    book: PriceBook,
    catalogue: InstanceCatalogue,
    runs: Iterable[FinishedRun],
    size_of: Callable[[FinishedRun], RunSize | None],
) -> tuple[list[PricedRun], int]:
    """The runs priced at their size (one attempt: startedAt..stoppedAt), and how many could not be
    (their definition or its size not known, or no price)."""
    priced: list[PricedRun] = []
    missed = 0
    for run in runs:
        size = size_of(run)
        seconds = (run.stopped_ms - run.started_ms) / 1000
        cost = None
        if size is not None and seconds >= 0:
            cost = run_cost(
                book,
                catalogue,
                size.platform,
                size.vcpus,
                size.memory_mib,
                seconds,
                allowed=size.allowed,
                architecture=size.architecture,
            )
        if cost is None:
            missed += 1
            continue
        priced.append(PricedRun(run.job_id, cost, run.started_ms, run.stopped_ms, {QUEUE: run.queue}))
    return priced, missed
