"""Follow a job's CloudWatch log stream: read from the head, then only what is new.

GetLogEvents' forward token marks where the last read ended, so each poll asks for the events after
it and the view appends them; nothing is read twice. A stream that does not exist yet (the job has
not started) is a state, not an error: the follower reports it and keeps waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import Enum

from batchgui.aws.logs import LogEvent, LogsGateway
from batchgui.services.runner import Runner

POLL_INTERVAL_S = 1.0


class LogState(Enum):
    READING = "reading"
    NO_STREAM = "no log yet"
    FOLLOWING = "following"
    DONE = "done"


class LogFollower:
    def __init__(
        self,
        runner: Runner,
        logs: LogsGateway,
        group: str,
        stream: str,
        on_events: Callable[[list[LogEvent]], None],
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
