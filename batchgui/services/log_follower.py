"""A job's CloudWatch log stream: its newest page first, older pages on demand, then only what is new.

`LogPages` reads one stream by pages (each at most 10,000 events or 1 MB, read on a worker with its
lines split there): the newest page, the page before a backward token, after a forward token, or
from a time (a search result's page); it searches the whole stream on the server (FilterLogEvents)
and saves it to disk page by page (`LogSave`).

`LogFollower` reads one known stream: first its newest page, then each poll asks for the events
after the last forward token, so nothing is read twice. A stream that does not exist yet (the job
has not started) is a state, not an error; a failed read (a dropped connection) is reported and
retried while following, and what was read stays shown.

`JobLogFollow` is what a view drives for one job: it waits until the job has a stream (describing it
every interval while Follow is on), finds the job's log group, then reads and follows; the view only
shows lines and the state it is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING

from batchgui.aws.logs import LogsGateway
from batchgui.domain.batch import JobStatus
from batchgui.domain.errors import BatchGuiError
from batchgui.domain.job_logs import LogMatch, LogPage, StampFormat
from batchgui.services.memory import Freeze, no_freeze
from batchgui.services.runner import Runner

if TYPE_CHECKING:
    from batchgui.services.jobs import JobsService

POLL_INTERVAL_S = 1.0
RETRY_MAX_S = 10.0
SEARCH_MAX_MATCHES = 1000
# A page of new events: the view appends it (or, for the stream's newest page, starts over from it).
OnEvents = Callable[[LogPage], None]
SaveProgress = Callable[[int, int], None]  # lines written, bytes written


class LogState(Enum):
    READING = "reading"
    NO_STREAM = "no log yet"
    FOLLOWING = "following"
    DONE = "done"
    # A read failed (connection dropped, throttled…): the lines read stay; following retries.
    ERROR = "error"
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
    """Where a job's log stands: the state, the stream once known, the job's status before it starts,
    the error of a failed read."""

    state: LogState
    group: str = ""
    stream: str = ""
    job_status: JobStatus | None = None
    error: str = ""


def error_text(exc: BaseException) -> str:
    if isinstance(exc, BatchGuiError):
        return exc.message().replace("\n", " ")
    return str(exc) or type(exc).__name__


class LogPages:
    """One stream, read by pages on the runner's workers (never more than a page per call)."""

    def __init__(self, runner: Runner, logs: LogsGateway, group: str, stream: str) -> None:
        self._runner = runner
        self._logs = logs
        self.group = group
        self.stream = stream

    async def newest(self) -> LogPage:
        """The stream's last page (GetLogEvents from the end), with its backward token."""
        return await self._runner.run(self._logs.read_page, self.group, self.stream, None, True)

    async def older(self, backward_token: str) -> LogPage:
        """The page before `backward_token`; `at_edge` once the head is reached."""
        logs = self._logs
        return await self._runner.run(logs.get_log_events, self.group, self.stream, backward_token, False)

    async def newer(self, forward_token: str | None) -> LogPage:
        """The page after `forward_token` (from the head when None); `at_edge` at the end."""
        return await self._runner.run(self._logs.read_page, self.group, self.stream, forward_token)

    async def at_time(self, timestamp_ms: int) -> LogPage:
        """The page that starts at `timestamp_ms` (a search result), with both tokens."""
        return await self._runner.run(
            lambda: self._logs.get_log_events(self.group, self.stream, None, True, start_time=timestamp_ms)
        )

    async def search(self, pattern: str, most: int = SEARCH_MAX_MATCHES) -> tuple[list[LogMatch], bool]:
        """Events of the whole stream matching a CloudWatch filter pattern (terms, "quoted phrases"),
        searched by the server; True beside them when there were more than `most`."""
        found: list[LogMatch] = []
        token: str | None = None
        while True:
            page, token = await self._runner.run(
                self._logs.filter_events, self.group, self.stream, pattern, token, min(1000, most + 1)
            )
            found.extend(page)
            if len(found) > most:
                return found[:most], True
            if not token:
                return found, False

    def save(self, path: Path, with_times: bool = True) -> LogSave:
        """A save of the whole stream to `path`: `await save.run(on_progress)`, `save.cancel()`."""
        return LogSave(self, path, with_times)


class LogSave:
    """The whole stream written to disk page by page, from its head.

    The lines go to a hidden `.part` file beside `path`, renamed onto it once the end is reached; a
    cancel or a failure removes it, so `path` never holds part of a log.
    """

    def __init__(self, pages: LogPages, path: Path, with_times: bool = True) -> None:
        self._pages = pages
        self.path = path
        self.part = path.with_name(f".{path.name}.part")
        self._with_times = with_times
        self._cancelled = threading.Event()
        self.lines = 0
        self.bytes = 0

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _write(self, out: IO[str], page: LogPage, stamp: StampFormat) -> int:
        if self._with_times:
            text = "".join(f"{stamp(ms)}  {line}\n" for ms, line in zip(page.stamps, page.lines, strict=True))
        else:
            text = "".join(f"{line}\n" for line in page.lines)
        out.write(text)
        return len(text.encode("utf-8"))

    async def run(self, on_progress: SaveProgress = lambda _lines, _bytes: None) -> bool:
        """Write every line; True when saved, False when cancelled (the file is then not there)."""
        runner = self._pages._runner
        stamp = StampFormat()
        out = await runner.run(lambda: self.part.open("w", encoding="utf-8"))
        saved = False
        try:
            token: str | None = None
            while not self.cancelled:
                page = await self._pages.newer(token)
                if page.stream_missing or page.at_edge or not page.events:
                    break
                token = page.next_forward_token
                self.bytes += await runner.run(self._write, out, page, stamp)
                self.lines += len(page.lines)
                on_progress(self.lines, self.bytes)
            if not self.cancelled:
                await runner.run(out.close)
                await runner.run(os.replace, self.part, self.path)
                saved = True
        finally:
            if not saved:
                out.close()
                with contextlib.suppress(OSError):
                    self.part.unlink()
        return saved


class LogFollower:
    """Read one stream: its newest page, then (following) only the events after the last token."""

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
        freeze: Freeze = no_freeze,
    ) -> None:
        self.pages = LogPages(runner, logs, group, stream)
        self.group = group
        self.stream = stream
        self._on_events = on_events
        self._on_state = on_state
        self.interval_s = interval_s
        self._token: str | None = None
        self._read_tail = True
        # The app's gc.freeze policy (services/memory.py), applied once the first page is shown: a
        # log is read a page at a time, every page a burst of allocations that brings on full
        # collections, and with the app's own objects unfrozen each one kept the GUI thread waiting
        # 170-320 ms (the lines themselves are not walked: the view keeps them in tuples).
        self._freeze: Freeze | None = freeze
        self.events_read = 0
        self.error = ""

    def restart(self) -> None:
        """Start over from the stream's newest page at the next read (the view went back to the end)."""
        self._read_tail = True
        self._token = None

    async def read_new(self) -> bool:
        """Read the events written since the last read (the newest page at first); False when the
        stream does not exist yet."""
        if self._read_tail:
            page = await self.pages.newest()
        else:
            page = await self.pages.newer(self._token)
        if page.stream_missing:
            return False
        self._read_tail = False
        self._token = page.next_forward_token or self._token
        if page.events or page.tail:
            self.events_read += len(page.events)
            self._on_events(page)
        if self._freeze is not None:
            freeze, self._freeze = self._freeze, None
            freeze()
        return True

    async def _catch_up(self) -> bool:
        """Read until nothing new is left (a busy job writes more than a page between polls)."""
        before = -1
        exists = True
        while exists and self.events_read != before:
            before = self.events_read
            exists = await self.read_new()
        return exists

    async def run(self, follow: bool, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Read what is there; with `follow`, keep polling until `should_stop()` or cancellation.

        `should_stop` is asked after each read (e.g. "the job has finished"), so the events written
        just before a job ended are still shown. A failed read is reported (ERROR, `self.error`):
        without `follow` it ends the run; following, it is retried, waiting longer each time.
        """
        self._on_state(LogState.READING)
        wait = self.interval_s
        while True:
            try:
                exists = await (self._catch_up() if follow else self.read_new())
            except Exception as exc:  # a dropped connection, throttling: reported, retried
                self.error = error_text(exc)
                self._on_state(LogState.ERROR)
                if not follow or should_stop():
                    return
                wait = min(RETRY_MAX_S, max(wait * 2, self.interval_s))
                await asyncio.sleep(wait)
                continue
            wait = self.interval_s
            self.error = ""
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
    # The stream's pages, once known: for scrolling back, search and save.
    on_stream: Callable[[LogPages], None] = lambda _pages: None


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
            error = self.reader.error if self.reader is not None else ""
            hooks.on_status(LogStatus(state, group, stream, error=error))

        self.reader = self._source.log_reader(group, stream, hooks.on_events, on_state, self.interval_s)
        hooks.on_stream(self.reader.pages)
        await self.reader.run(hooks.following(), finished)
