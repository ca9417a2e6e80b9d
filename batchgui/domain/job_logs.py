"""A job's log as CloudWatch Logs gives it: events, pages of them, and the lines a view shows.

A page carries both of GetLogEvents' tokens: the forward token continues after its last event (a
follower's next read), the backward token before its first (scrolling back). Its events are also
split into lines (`stamps`, `lines`, one entry per line of a multi-line message) when the page is
made, on the worker that read it, so a view only stores them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

# GetLogEvents and FilterLogEvents answer at most this many events, or 1 MB, per call.
MAX_PAGE_EVENTS = 10_000
MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26  # what CloudWatch Logs counts per event on top of its UTF-8 message


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str


def split_lines(events: Iterable[LogEvent]) -> tuple[list[int], list[str]]:
    """One (timestamp, text) entry per line: a multi-line event becomes several lines."""
    stamps: list[int] = []
    lines: list[str] = []
    for event in events:
        message = event.message.rstrip("\n")
        if "\n" in message:
            parts = message.split("\n")
            stamps.extend([event.timestamp_ms] * len(parts))
            lines.extend(parts)
        else:
            stamps.append(event.timestamp_ms)
            lines.append(message)
    return stamps, lines


@dataclass(frozen=True)
class LogPage:
    events: list[LogEvent]
    next_forward_token: str | None
    # The stream does not exist (yet): a job that has not started has no log.
    stream_missing: bool = False
    next_backward_token: str | None = None
    # The read found nothing further in its direction: the stream's head (reading back) or its end.
    at_edge: bool = False
    # The stream's newest page (read back from its end): a view starts over from it.
    tail: bool = False
    stamps: list[int] = field(default_factory=list, repr=False)
    lines: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def of(
        cls,
        events: list[LogEvent],
        forward: str | None,
        backward: str | None = None,
        *,
        at_edge: bool = False,
        tail: bool = False,
    ) -> LogPage:
        """A page with its lines split (call it where the page is read, not on the GUI thread)."""
        stamps, lines = split_lines(events)
        return cls(events, forward, False, backward, at_edge, tail, stamps, lines)


@dataclass(frozen=True)
class LogMatch:
    """One event a server-side search (FilterLogEvents) found."""

    timestamp_ms: int
    message: str
    event_id: str = ""


def event_bytes(message: str) -> int:
    """What one event counts against a page's 1 MB."""
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


class StampFormat:
    """Local wall-clock "HH:MM:SS.mmm" of epoch milliseconds, the seconds part cached (a view formats
    only the lines it paints, many of them in the same second)."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, ms: int) -> str:
        second, milli = divmod(ms, 1000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, tz=UTC).astimezone().strftime("%H:%M:%S")
        return f"{self._prefix}.{milli:03d}"
