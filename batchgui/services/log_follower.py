"""Follow a job's CloudWatch log stream: read from the head, then only what is new.

GetLogEvents' forward token marks where the last read ended, so each poll asks for the events after
it and the view appends them; nothing is read twice. A stream that does not exist yet (the job has
not started) is a state, not an error: the follower reports it and keeps waiting.

`LogFollower` reads one known stream. `JobLogFollow` is what a view drives for one job: it waits
until the job has a stream (describing it every interval while Follow is on), finds the job's log
group, then reads and follows; the view only shows lines and the state it is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from batchgui.aws.logs import LogsGateway
from batchgui.domain.batch import JobStatus
from batchgui.domain.job_logs import LogEvent
from batchgui.services.runner import Runner

if TYPE_CHECKING:
    from batchgui.services.jobs import JobsService

POLL_INTERVAL_S = 1.0
OnEvents = Callable[[list[LogEvent]], None]


class LogState(Enum):
    READING = "reading"
    NO_STREAM = "no log yet"
    FOLLOWING = "following"
    DONE = "done"
    # For a job (JobLogFollow): it has no stream because it has not started; it no longer exists.
    NOT_STARTED = "not started"
    GONE = "gone"


_LIFECYCLE = list(JobStatus)


def later_status(first: JobStatus | None, second: JobStatus | None) -> JobStatus | None:
    """The later of two readings of one job's status (a job only moves forward: SUBMITTED … RUNNING,
    then SUCCEEDED or FAILED), so a slow DescribeJobs never shows an older state than the table."""
    if first is None or second is None:
        return first or second
    return first if _LIFECYCLE.index(first) >= _LIFECYCLE.index(second) else second


@dataclass(frozen=True)
class LogStatus:
    """Where a job's log stands: the state, the stream once known, the job's status before it starts."""

    state: LogState
    group: str = ""
    stream: str = ""
    job_status: JobStatus | None = None


class LogFollower:
    def __init__(
        self,
        runner: Runner,
        logs: LogsGateway,
        group: str,
        stream: str,
        on_events: OnEvents,
        *,
        on_state: Callable[[LogState], None] = lambda _state: None,
        interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self._runner = runner
        self._logs = logs
        self.group = group
        self.stream = stream
        self._on_events = on_events
        self._on_state = on_state
        self.interval_s = interval_s
        self._token: str | None = None
        self.events_read = 0

    async def read_new(self) -> bool:
        """Read the events written since the last read; False when the stream does not exist yet."""
        page = await self._runner.run(self._logs.read_forward, self.group, self.stream, self._token)
        if page.stream_missing:
            return False
        self._token = page.next_forward_token
        if page.events:
            self.events_read += len(page.events)
            self._on_events(page.events)
        return True

    async def run(self, follow: bool, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Read what is there; with `follow`, keep polling until `should_stop()` or cancellation.

        `should_stop` is asked after each read (e.g. "the job has finished"), so the events written
        just before a job ended are still shown.
        """
        self._on_state(LogState.READING)
        while True:
            exists = await self.read_new()
            if not exists:
                self._on_state(LogState.NO_STREAM)
            elif follow:
                self._on_state(LogState.FOLLOWING)
            if not follow or should_stop():
                self._on_state(LogState.DONE if exists else LogState.NO_STREAM)
                return
            await asyncio.sleep(self.interval_s)


@dataclass(frozen=True)
class LogHooks:
    """How following a job's log reports to its view, and asks it whether to go on."""

    on_events: OnEvents
    on_status: Callable[[LogStatus], None]
    following: Callable[[], bool]
    job_finished: Callable[[], bool] = lambda: False
    # The job's status where the views read it (the table's row, the job store): newer than a describe
    # that was sent before the last poll.
    job_status: Callable[[], JobStatus | None] = lambda: None


class JobLogFollow:
    """One job's log, read and (while `hooks.following()`) followed until the job finishes."""

    def __init__(
        self, source: JobsService, job_id: str, hooks: LogHooks, interval_s: float = POLL_INTERVAL_S
    ) -> None:
        self._source = source
        self.job_id = job_id
        self._hooks = hooks
        self.interval_s = interval_s
        self.reader: LogFollower | None = None

    @property
    def stream(self) -> str:
        """The stream being read, once the job has one."""
        return self.reader.stream if self.reader is not None else ""

    async def run(self) -> None:
        """Wait for the job's stream, then read it (and follow it while `following()`).

        Run again after it returned (Follow ticked again) and the stream is known, it reads on from
        where it stopped until Follow is unticked.
        """
        hooks = self._hooks
        if self.reader is not None:
            await self.reader.run(True, lambda: not hooks.following())
            return
        while True:
            found = await self._source.describe([self.job_id])
            if not found:
                hooks.on_status(LogStatus(LogState.GONE))
                return
            detail = found[0]
            if detail.log_stream:
                break
            status = later_status(detail.status, hooks.job_status()) or detail.status
            hooks.on_status(LogStatus(LogState.NOT_STARTED, job_status=status))
            if status.is_terminal or not hooks.following():
                return
            await asyncio.sleep(self.interval_s)
        group = await self._source.log_group(detail)
        stream = detail.log_stream
        done_before = detail.status.is_terminal

        def finished() -> bool:
            return done_before or hooks.job_finished() or not hooks.following()

        def on_state(state: LogState) -> None:
            hooks.on_status(LogStatus(state, group, stream))

        self.reader = self._source.log_reader(group, stream, hooks.on_events, on_state, self.interval_s)
        await self.reader.run(hooks.following(), finished)
