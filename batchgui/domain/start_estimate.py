"""When may a RUNNABLE job start? An estimate, never a promise, always shown with what it rests on.

Batch says nothing of when a waiting job will start (Slurm's `squeue --start` does). The app can
estimate it from what it sees: the jobs ahead of it in its queue, the jobs running in the compute
environments it may use (each expected to end after the median run time of finished jobs of its
job definition, else of the queue), and the vCPUs those environments may run at once (maxvCpus).

The model is a replay: capacity frees as running jobs end, the jobs ahead start in queue order as
soon as their vCPUs fit (each then runs its own expected time), and the job itself starts when it
fits after all of them. Pure: facts in, an estimate out.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Fewer finished runs than this and the run time is "a guess from N run(s)" in the basis.
FEW_RUNS = 5
NO_HISTORY = "no finished job of this queue to learn run times from"


@dataclass(frozen=True)
class Load:
    """A job's vCPUs and job definition, and when it started (ms) if it holds capacity now."""

    vcpus: float
    definition: str = ""
    started_at_ms: int | None = None


@dataclass(frozen=True)
class RunTimes:
    """Run times (s) of finished jobs, per job definition and for the whole queue."""

    by_definition: Mapping[str, Sequence[float]]
    queue: Sequence[float] = ()

    def expected(self, definition: str) -> float | None:
        """The median run time of the definition's finished jobs, else of the queue's; None if none."""
        runs = self.by_definition.get(definition) or self.queue
        return statistics.median(runs) if runs else None

    def sample_size(self) -> int:
        return len(self.queue) or sum(len(v) for v in self.by_definition.values())


def run_times(finished: Iterable[tuple[str, int | None, int | None]]) -> RunTimes:
    """RunTimes from finished jobs as (job definition, startedAt ms, stoppedAt ms)."""
    by_definition: dict[str, list[float]] = {}
    queue: list[float] = []
    for definition, started, stopped in finished:
        if started is None or stopped is None or stopped < started:
            continue
        seconds = (stopped - started) / 1000
        by_definition.setdefault(definition, []).append(seconds)
        queue.append(seconds)
    return RunTimes(by_definition, queue)


@dataclass(frozen=True)
class StartEstimate:
    """Seconds from now until the job may start (None: cannot be said), and what it rests on."""

    seconds: float | None
    basis: str

    @property
    def text(self) -> str:
        if self.seconds is None:
            return f"not known — {self.basis}"
        when = "in under a minute" if self.seconds < 60 else f"in about {format_wait(self.seconds)}"
        return f"{when} (estimate: {self.basis})"

    def but(self, caveat: str) -> StartEstimate:
        """The same estimate with what it leaves out said."""
        return StartEstimate(self.seconds, f"{self.basis}; {caveat}")


def format_wait(seconds: float) -> str:
    """'under a minute', '7 min', '2 h 5 min', '3 days'."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{round(hours / 24)} days"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def estimate_start(  # noqa: PLR0917 - the facts of one question, each of its own kind
    vcpus: float,
    definition: str,
    capacity_vcpus: float,
    running: Sequence[Load],
    ahead: Sequence[Load],
    history: RunTimes,
    now_ms: int,
) -> StartEstimate:
    """Replay the queue: when does the job (of `vcpus`, of `definition`) fit, after the jobs ahead?"""
    if capacity_vcpus <= 0:
        return StartEstimate(None, "no compute environment of its queue can run jobs now")
    if vcpus > capacity_vcpus:
        return StartEstimate(
            None, f"it asks {vcpus:g} vCPU, more than the {capacity_vcpus:g} its environments may run"
        )
    ends: list[tuple[float, float]] = []  # (seconds from now, vCPUs freed), a heap
    in_use = 0.0
    for held in running:
        expected = history.expected(held.definition)
        if expected is None:
            return StartEstimate(None, NO_HISTORY)
        elapsed = max(0.0, (now_ms - (held.started_at_ms or now_ms)) / 1000)
        heapq.heappush(ends, (max(0.0, expected - elapsed), held.vcpus))
        in_use += held.vcpus
    free = capacity_vcpus - in_use
    clock = 0.0
    me = Load(vcpus, definition)
    for job in [*ahead, me]:
        if job.vcpus > capacity_vcpus:  # an ahead job that can never run does not hold the line
            continue
        while free + 1e-9 < job.vcpus:
            if not ends:  # nothing left to free capacity: it is held by what the app cannot see
                return StartEstimate(None, "capacity is held by jobs the app cannot see end")
            clock, freed = heapq.heappop(ends)
            free += freed
        free -= job.vcpus
        expected = history.expected(job.definition)
        if expected is None and job is not me:
            return StartEstimate(None, NO_HISTORY)
        heapq.heappush(ends, (clock + (expected or 0.0), job.vcpus))
    size = history.sample_size()
    if not size:
        return StartEstimate(
            clock, f"nothing ahead of it and room for it ({in_use:g} of {capacity_vcpus:g} vCPUs in use)"
        )
    runs = f"median run time of {_plural(size, 'finished job')}" + (
        " (few: a rough guess)" if size < FEW_RUNS else ""
    )
    basis = (
        f"{_plural(len(ahead), 'job')} ahead, {_plural(len(running), 'job')} running "
        f"({in_use:g} of {capacity_vcpus:g} vCPUs), each expected to take the {runs}"
    )
    return StartEstimate(clock, basis)
