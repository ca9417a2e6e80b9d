"""CloudWatch Logs gateway: a job's log stream, read by pages in either direction, and searched.

Every call returns what one GetLogEvents / FilterLogEvents answered (at most 10,000 events or 1 MB):
callers page with the tokens, so no call holds a whole million-line stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batchgui.aws.errors import error_code
from batchgui.aws.gateway import Gateway
from batchgui.domain.job_logs import LogEvent, LogMatch, LogPage

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient  # noqa: F401 - named in the base class below

__all__ = ["LogEvent", "LogMatch", "LogPage", "LogsGateway"]


def _missing(exc: Exception) -> bool:
    return error_code(exc) == "ResourceNotFoundException"


class LogsGateway(Gateway["CloudWatchLogsClient"]):
    def get_log_events(
        self,
        group: str,
        stream: str,
        next_token: str | None = None,
        start_from_head: bool = True,
        *,
        start_time: int | None = None,
        limit: int | None = None,
    ) -> LogPage:
        """One GetLogEvents page, its lines split. `at_edge`: nothing further that way (AWS answers
        the token it was given: the head when reading back, the end when reading forward)."""
        optional = {"nextToken": next_token or None, "startTime": start_time, "limit": limit}
        kwargs: dict[str, Any] = {k: v for k, v in optional.items() if v is not None}
        kwargs.update(logGroupName=group, logStreamName=stream, startFromHead=start_from_head)
        response = self._client.get_log_events(**kwargs)
        events = [LogEvent(int(e.get("timestamp", 0)), e.get("message", "")) for e in response["events"]]
        forward = response.get("nextForwardToken")
        backward = response.get("nextBackwardToken")
        same = next_token is not None and next_token in (forward, backward)
        at_edge = not events and (same or next_token is None)
        tail = not start_from_head and not next_token
        return LogPage.of(events, forward, backward, at_edge=at_edge, tail=tail)

    def read_page(self, group: str, stream: str, token: str | None, newest: bool = False) -> LogPage:
        """The page after `token` (from the head when None; the newest page when `newest`).

        A stream not yet created gives an empty page with `stream_missing` set rather than an error,
        so a follower can keep waiting.
        """
        try:
            return self.get_log_events(group, stream, token, start_from_head=not newest or token is not None)
        except Exception as exc:
            if _missing(exc):
                return LogPage([], token, stream_missing=True)
            raise

    def read_forward(self, group: str, stream: str, next_token: str | None = None) -> LogPage:
        """One page of the events after `next_token` (from the head when None)."""
        return self.read_page(group, stream, next_token)

    def filter_events(
        self, group: str, stream: str, pattern: str, next_token: str | None = None, limit: int = 1000
    ) -> tuple[list[LogMatch], str | None]:
        """One FilterLogEvents page over one stream: the matches and the token of the next page."""
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "logStreamNames": [stream],
            "filterPattern": pattern,
            "limit": limit,
        }
        if next_token:
            kwargs["nextToken"] = next_token
        response = self._client.filter_log_events(**kwargs)
        found = [
            LogMatch(int(e.get("timestamp", 0)), e.get("message", ""), str(e.get("eventId", "")))
            for e in response.get("events", [])
        ]
        return found, response.get("nextToken")
