"""The live-monitoring poller: one sample of every queue per interval, within the account's budget.

The loop (this module) samples, keeps the history, raises alerts and says how it is doing; what a
tick reads is services/monitor_reader.py `QueueReader`, planned per queue by domain/polling.py:
busy queues (active jobs, a recent change, a view showing them) are read fully every tick, idle ones
probed with one cheap request every idle interval, so 50 queues stay within the budget.

- Array jobs: ListJobs by queue shows parents only, so the job store (services/job_store.py) lists
  the children of active arrays by the statuses their statusSummary has; samples count those
  children (running, runnable, their vCPUs/memory by platform, the oldest RUNNABLE) instead of the
  parent, and throughput counts children finishing (statusSummary growth), not the parent.
- This loop is the store's one poller: every page also becomes a store entry, so the Jobs panel
  and the others read states from the store instead of polling.
- Every request takes a token from the store's account-wide TokenBucket (default 10/s). A throttled
  answer (429) slows the bucket down (AIMD) and is tried again; the status then says "Throttled by
  AWS — polling slower" until the rate has recovered. A poll slower than the interval stretches the
  interval, and it shrinks back when polls are quick again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

from batchgui.domain.batch import ComputeEnvironment, JobQueue
from batchgui.domain.connection import ConnectionSpec
from batchgui.domain.errors import BatchGuiError, Throttled
from batchgui.domain.history import History
from batchgui.domain.job_resources import TrackedJob
from batchgui.domain.job_tracking import ActiveRow
from batchgui.domain.plot_data import history_csv
from batchgui.domain.polling import QueueKind
from batchgui.domain.samples import Sample, build_sample
from batchgui.services.bound import BoundService
from batchgui.services.budget import TokenBucket
from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.events import Listeners
from batchgui.services.job_store import JobStore
from batchgui.services.memory import FREEZE_EVERY_ROWS, Freeze, no_freeze
from batchgui.services.monitor_reader import QueueReader
from batchgui.services.monitor_types import (
    DEFAULT_INTERVAL_S,
    FinishedJob,
    MonitorSettings,
    MonitorState,
    MonitorStatus,
    PollCounters,
    PollTally,
    QueueFreshness,
    RunnableAlert,
)
from batchgui.services.runner import Runner, RunnerClosed
from batchgui.services.sample_store import SampleStore, open_store

__all__ = [
    "DEFAULT_INTERVAL_S",
    "FinishedJob",
    "JobMonitor",
    "MonitorSettings",
    "MonitorState",
    "MonitorStatus",
    "PollCounters",
    "QueueFreshness",
    "RunnableAlert",
]

log = logging.getLogger(__name__)
THROTTLED_MESSAGE = "Throttled by AWS — polling slower"


class JobMonitor(BoundService):
    """Polls the current connection; samples go to `history`, the store and the `samples` listeners.

    Bound to the ConnectionManager: when the connection changes it forgets the old one's jobs and
    history and, if it was polling, polls the new one.
    """

    def __init__(
        self,
        runner: Runner,
        connections: ConnectionManager,
        data_dir: Path | None = None,
        *,
        settings: MonitorSettings | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        store_opener: Callable[[Path, ConnectionSpec], SampleStore] = open_store,
        spawn: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]] | None = None,
        freeze: Freeze = no_freeze,
        store: JobStore | None = None,
    ) -> None:
        super().__init__(runner, connections)
        self._spawn = spawn
        self._freeze = freeze
        self._data_dir = data_dir
        self.settings = settings or MonitorSettings()
        self._clock = clock
        self._monotonic = monotonic
        self._store_opener = store_opener
        self.samples: Listeners[Sample] = Listeners()
        self.history_replaced: Listeners[History] = Listeners()
        self.status: Listeners[MonitorStatus] = Listeners()
        self.jobs_failed: Listeners[list[FinishedJob]] = Listeners()
        self.runnable_waiting: Listeners[RunnableAlert] = Listeners()
        self.history = History()
        # The one job store: this loop is its poller, and its budget is the account's.
        self.store = store or JobStore(
            runner, connections, requests_per_s=self.settings.requests_per_s, monotonic=monotonic
        )
        self.store.set_rate(self.settings.requests_per_s)
        self.store.drive(self._poll_for_views, lambda: self.running)
        self.last_status = MonitorStatus(MonitorState.STOPPED, "Not monitoring")
        self.queues: list[JobQueue] = []
        self.environments: list[ComputeEnvironment] = []
        # The connection being polled: a switch re-binds (attach) before the UI hears of it.
        self._bound: Backend | None = connections.require() if connections.connected else None
        connections.changed.add(self.attach)
        self._store: SampleStore | None = None
        self._task: asyncio.Task[None] | None = None
        self._paused = False
        self._suspended = False
        self._wake = asyncio.Event()
        self._interval_s = self.settings.interval_s
        self._reset_tracking()

    # --- state ------------------------------------------------------------------------------------
    def _reset_tracking(self) -> None:
        self.reader = QueueReader(
            self._run, self.store, lambda: self.settings, clock=self._clock, monotonic=self._monotonic
        )
        self._queues_read_at: float | None = None
        self._alerted: set[tuple[str, str]] = set()

    @property
    def counters(self) -> PollCounters:
        return self.reader.counters

    @property
    def _jobs(self) -> dict[str, ActiveRow]:
        return self.reader.jobs

    def freshness(self) -> dict[str, QueueFreshness]:
        """How fresh each queue's numbers are (busy, idle and when last checked)."""
        return self.reader.freshness([q.name for q in self.queues], self._interval_s)

    def freshness_texts(self) -> dict[str, str]:
        """ "idle queue, checked 40 s ago" for each queue whose numbers are older than the live
        interval says (the others are left out)."""
        now = self._clock()
        texts = {q: f.text(now, self._interval_s) for q, f in self.freshness().items()}
        return {q: text for q, text in texts.items() if text}

    @property
    def budget(self) -> TokenBucket:
        """The account-wide request budget (the store's: every Batch request takes a token)."""
        return self.store.budget

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def interval_s(self) -> float:
        """The current sampling interval (stretched while polls take longer than the setting)."""
        return self._interval_s

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    def tracked(self) -> list[TrackedJob]:
        """The active jobs as objects (built on each call: 10,000 take ~30 ms; see tracked_ids)."""
        return [TrackedJob.from_row(job_id, row) for job_id, row in self._jobs.items()]

    def tracked_ids(self) -> list[str]:
        return list(self._jobs)

    def _set_status(self, state: MonitorState, message: str) -> None:
        self.last_status = MonitorStatus(
            state,
            message,
            self._interval_s,
            self.counters.last_poll_requests,
            self.counters.last_poll_s,
        )
        self.status.emit(self.last_status)

    # --- control ----------------------------------------------------------------------------------
    def attach(self, backend: Backend | None) -> None:
        """Follow another connection: stop, forget the old one's jobs, start again if we were running.

        Called by the ConnectionManager's `changed`."""
        was_running = self.running
        self.stop()
        self._bound = backend
        self._reset_tracking()
        self.store.forget()
        self.store.budget = TokenBucket(self.settings.requests_per_s, monotonic=self._monotonic)
        self.history = History(keep_s=self.history.keep_s)
        self.history_replaced.emit(self.history)
        if was_running and backend is not None:
            self.start()

    @property
    def bound(self) -> bool:
        """A connection is there to poll."""
        return self._bound is not None

    def start(self) -> None:
        if self.running or self._bound is None:
            return
        if self._spawn is not None:
            self._task = self._spawn(self._loop(self._bound), "Monitor jobs")
        else:
            self._task = asyncio.ensure_future(self._loop(self._bound))

    def apply_settings(self, settings: MonitorSettings) -> None:
        """New interval, budget or alert threshold; takes effect from the next poll."""
        self.settings = settings
        self._interval_s = settings.interval_s
        self.store.set_rate(settings.requests_per_s)

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self._set_status(MonitorState.STOPPED, "Not monitoring")

    def pause(self) -> None:
        self._paused = True
        self._wake.clear()
        self._set_status(MonitorState.PAUSED, "Paused: no requests are made until you resume")

    def resume(self) -> None:
        self._paused = False
        self._update_wake()

    def set_suspended(self, suspended: bool) -> None:
        """The window is minimised (and no notifications are wanted): stop polling until restored."""
        self._suspended = suspended
        self._update_wake()
        if suspended and self.running:
            self._set_status(MonitorState.SUSPENDED, "Not polling while the window is minimised")

    def _update_wake(self) -> None:
        if self._paused or self._suspended:
            self._wake.clear()
        else:
            self._wake.set()

    # --- the loop ---------------------------------------------------------------------------------
    async def _loop(self, backend: Backend) -> None:
        self._update_wake()
        self._set_status(MonitorState.STARTING, "Reading history…")
        try:
            await self._run(self._freeze)
            await self._restore_history(backend)
        except RunnerClosed:
            return
        backoff = 0.0
        while True:
            if not self._wake.is_set():
                await self._wake.wait()
            started = self._monotonic()
            wait_s = self._interval_s
            try:
                await self._poll(backend)
                backoff = 0.0
                took = self._monotonic() - started
                self._adapt_interval(took)
                wait_s = self._interval_s - took
                if self.budget.slowed:
                    self._set_status(
                        MonitorState.THROTTLED,
                        f"{THROTTLED_MESSAGE} ({self.budget.per_s:.1f} of {self.budget.max_per_s:.0f} "
                        f"requests/s); sampling every {self._every()}",
                    )
                elif took > self.settings.interval_s:
                    self._set_status(
                        MonitorState.DELAYED,
                        f"Data delayed: a poll took {took:.1f} s; sampling every {self._every()}",
                    )
                else:
                    self._set_status(
                        MonitorState.LIVE, f"Live: sampling every {self._every()}{self._idle_note()}"
                    )
            except (asyncio.CancelledError, RunnerClosed):
                raise
            except Throttled:
                self.counters.throttled += 1
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(MonitorState.THROTTLED, f"{THROTTLED_MESSAGE}; next poll in {backoff:.0f} s")
            except BatchGuiError as error:
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(MonitorState.ERROR, f"{error.message()} (retrying in {backoff:.0f} s)")
            except Exception as error:
                log.exception("monitor poll failed")
                backoff = min(self.settings.max_backoff_s, max(self._interval_s, backoff * 2 or 1.0))
                wait_s = backoff
                self._set_status(
                    MonitorState.ERROR, f"Monitoring failed: {error} (retrying in {backoff:.0f} s)"
                )
            if wait_s > 0:
                await asyncio.sleep(wait_s)

    def _idle_note(self) -> str:
        idle = sum(1 for kind in self.reader.last_plan.kinds.values() if kind is QueueKind.IDLE)
        if not idle:
            return ""
        return f"; {idle} idle queue{'s' if idle != 1 else ''} checked every {self.settings.idle_every():g} s"

    def _every(self) -> str:
        return f"{round(self._interval_s, 1):g} s"

    def _adapt_interval(self, took_s: float) -> None:
        base = self.settings.interval_s
        if took_s > self._interval_s * 0.8:
            self._interval_s = min(self.settings.max_interval_s, max(base, took_s * 1.25))
        else:
            self._interval_s = max(base, min(self._interval_s, max(base, took_s * 1.25)))

    async def _restore_history(self, backend: Backend) -> None:
        if self._data_dir is None:
            return
        store = await self._run(self._store_opener, self._data_dir, backend.spec)
        self._store = store
        samples = await self._run(store.load, self._clock() - self.history.keep_s)
        history = History(keep_s=self.history.keep_s)
        history.extend(samples)
        self.history = history
        self.history_replaced.emit(history)

    # --- one poll ---------------------------------------------------------------------------------
    async def poll_once(self) -> Sample:
        """Read every queue of the bound connection once, update the tracked jobs, record one sample."""
        if self._bound is None:
            raise RuntimeError("no connection to monitor")
        return await self._poll(self._bound, eager=True)

    async def _poll_for_views(self) -> None:
        """A view asked the store for fresh states (F5, or its refresh while the loop is off)."""
        if self._bound is not None:
            await self._poll(self._bound, eager=True)

    async def _poll(self, backend: Backend, *, eager: bool = False) -> Sample:
        async with self.store.poll_lock():
            return await self._poll_locked(backend, eager=eager)

    async def _poll_locked(self, backend: Backend, *, eager: bool) -> Sample:
        """One tick. The GUI thread only sends requests and applies what changed: pages are parsed
        into tuples on the worker that read them, and the comparison with 10,000 tracked jobs and the
        sample's aggregation run on a worker too.
        """
        batch = backend.batch
        reader = self.reader
        tally = PollTally()
        started = self._monotonic()
        baselined = reader.baseline_ms is not None
        if self._queues_read_at is None or started - self._queues_read_at >= self.settings.queues_every_s:
            self.queues = await reader.call(tally, batch.describe_job_queues)
            self._queues_read_at = started
        self.environments = await reader.call(tally, batch.describe_compute_environments)
        await reader.read(tally, batch, [q.name for q in self.queues], self._interval_s, eager=eager)
        sample = await self._run(
            partial(
                build_sample,
                self._clock(),
                self._interval_s,
                active=self.store.with_children(reader.jobs),
                queues=list(self.queues),
                environments=list(self.environments),
                events=dict(tally.events),
            )
        )
        self.counters.polls += 1
        self.counters.last_poll_requests = tally.requests
        self.counters.last_poll_s = self._monotonic() - started
        self.history.append(sample)
        if self._store is not None:
            await self._run(self._store.append, sample)
        self.samples.emit(sample)
        if tally.failed:
            self.jobs_failed.emit(tally.failed)
        self._check_runnable(sample)
        if not baselined and (self.running or len(reader.jobs) >= FREEZE_EVERY_ROWS):
            # A poll a view asked for (the loop not running) on a small account leaves the GC alone.
            await self._run(self._freeze)
        return sample

    def _check_runnable(self, sample: Sample) -> None:
        limit = self.settings.runnable_alert_s
        current = {(q.queue, q.oldest_runnable_job) for q in sample.queues if q.oldest_runnable_job}
        self._alerted &= current  # alerts are remembered only while that job is still the oldest
        for queue in sample.queues:
            if not queue.oldest_runnable_job:
                continue
            age = sample.t - queue.get("oldest_runnable_created")
            key = (queue.queue, queue.oldest_runnable_job)
            if age >= limit and key not in self._alerted:
                self._alerted.add(key)
                self.runnable_waiting.emit(
                    RunnableAlert(queue.queue, queue.oldest_runnable_job, age, queue.oldest_runnable_reason)
                )

    def requests_per_s(self, window_s: float = 10.0) -> float:
        return self.budget.rate(window_s)

    # --- for the monitor's view ---------------------------------------------------------------------
    async def queue_names(self) -> list[str]:
        """The current connection's queues, to name them before the first sample arrives."""
        return [q.name for q in await self._run(self._backend().batch.describe_job_queues)]

    async def export_csv(self, path: Path, start: float) -> None:
        """Write the plotted data (selected queues summed) from `start` on as CSV, on a worker."""
        text = history_csv(self.history.view(), start)
        await self._run(path.write_text, text, "utf-8")
