"""A job's log as CloudWatch Logs gives it: events, and pages of them read forward."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str


@dataclass(frozen=True)
class LogPage:
    events: list[LogEvent]
    next_forward_token: str | None
    # The stream does not exist (yet): a job that has not started has no log.
    stream_missing: bool = False
