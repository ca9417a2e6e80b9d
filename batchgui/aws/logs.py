"""CloudWatch Logs gateway: a job's log stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from batchgui.aws.gateway import Gateway
from batchgui.domain.job_logs import LogEvent, LogPage

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient  # noqa: F401 - named in the base class below

__all__ = ["LogEvent", "LogPage", "LogsGateway"]


class LogsGateway(Gateway["CloudWatchLogsClient"]):
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

    def read_forward(self, group: str, stream: str, next_token: str | None = None) -> LogPage:
        """The events after `next_token` (from the head when None), following forward tokens.

        GetLogEvents answers the same token when nothing new arrived; a stream not yet created gives
        an empty page with `stream_missing` set rather than an error, so a follower can keep waiting.
        """
        from botocore.exceptions import ClientError

        events: list[LogEvent] = []
        token = next_token
        # GetLogEvents returns at most 10,000 events/1 MB per call: a few calls catch up a busy job.
        for _ in range(20):
            try:
                page = self.get_log_events(group, stream, token, start_from_head=True)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return LogPage(events, token, stream_missing=not events)
                raise
            events.extend(page.events)
            if not page.events or page.next_forward_token in (None, token):
                return LogPage(events, page.next_forward_token or token)
            token = page.next_forward_token
        return LogPage(events, token)
