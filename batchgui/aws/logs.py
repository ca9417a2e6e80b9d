"""CloudWatch Logs gateway: a job's log stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

DEFAULT_LOG_GROUP = "/aws/batch/job"


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    message: str


@dataclass(frozen=True)
class LogPage:
    events: list[LogEvent]
    next_forward_token: str | None


class LogsGateway:
    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._client = client

    def get_log_events(
        self, group: str, stream: str, next_token: str | None = None, start_from_head: bool = True
    ) -> LogPage:
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "logStreamName": stream,
            "startFromHead": start_from_head,
        }
        if next_token:
            kwargs["nextToken"] = next_token
        response = self._client.get_log_events(**kwargs)
        events = [LogEvent(int(e.get("timestamp", 0)), e.get("message", "")) for e in response["events"]]
        return LogPage(events, response.get("nextForwardToken"))
