"""CloudWatch Logs: the API calls the app and users make, with AWS's token semantics."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.sandbox.conftest import Clients
from tests.sandbox.shapes import install_output_validation
from tests.sandbox.test_differential import key_paths

pytestmark = pytest.mark.timeout(60)


def put_lines(logs: Any, group: str, stream: str, count: int, start: int = 0) -> None:
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(start, start + count)],
    )


def test_tokens_forward_and_backward(clients: Clients) -> None:
    logs = clients.logs
    group = f"/test/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    put_lines(logs, group, "s", 25)
    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=10)
    assert [e["message"] for e in tail["events"]] == [f"line {i}" for i in range(15, 25)]
    older = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=10, nextToken=tail["nextBackwardToken"]
    )
    assert [e["message"] for e in older["events"]] == [f"line {i}" for i in range(5, 15)]
    head = logs.get_log_events(logGroupName=group, logStreamName="s", limit=10, startFromHead=True)
    assert [e["message"] for e in head["events"]] == [f"line {i}" for i in range(10)]
    nxt = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=10, nextToken=head["nextForwardToken"]
    )
    assert [e["message"] for e in nxt["events"]] == [f"line {i}" for i in range(10, 20)]
    end = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert end["events"] == []
    assert end["nextForwardToken"] == tail["nextForwardToken"]
    put_lines(logs, group, "s", 2, start=25)
    new = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert [e["message"] for e in new["events"]] == ["line 25", "line 26"]


def test_streams_filter_and_errors(clients: Clients) -> None:
    logs = clients.logs
    group = f"/test/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    for name in ("a/1", "a/2", "b/1"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    put_lines(logs, group, "a/2", 3)
    time.sleep(0.01)
    put_lines(logs, group, "b/1", 3)
    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in by_time["logStreams"]][:2] == ["b/1", "a/2"]
    prefixed = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="a/", limit=1)
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["a/1"]
    second = logs.describe_log_streams(
        logGroupName=group, logStreamNamePrefix="a/", limit=1, nextToken=prefixed["nextToken"]
    )
    assert [s["logStreamName"] for s in second["logStreams"]] == ["a/2"]
    found = logs.filter_log_events(logGroupName=group, filterPattern='"line 1"', limit=1)
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [("a/2", "line 1")]
    more = logs.filter_log_events(logGroupName=group, filterPattern='"line 1"', nextToken=found["nextToken"])
    assert [(e["logStreamName"], e["message"]) for e in more["events"]] == [("b/1", "line 1")]
    with pytest.raises(ClientError) as info:
        logs.create_log_group(logGroupName=group)
    assert info.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as info:
        logs.get_log_events(logGroupName=group, logStreamName="missing")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_logs_shapes_match_moto(clients: Clients) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        moto_logs = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        ).client("logs", endpoint_url=f"http://{host}:{port}")
        results: dict[str, dict[str, Any]] = {}
        for side, logs in (("ours", clients.logs), ("moto", moto_logs)):
            group = f"/diff/{side}"
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="s")
            put_lines(logs, group, "s", 3)
            results[side] = {
                "describe_log_groups": logs.describe_log_groups(logGroupNamePrefix=group),
                "describe_log_streams": logs.describe_log_streams(logGroupName=group),
                "get_log_events": logs.get_log_events(
                    logGroupName=group, logStreamName="s", startFromHead=True
                ),
                "filter_log_events": logs.filter_log_events(logGroupName=group, filterPattern="line"),
            }
        install_output_validation(moto_logs)
        # moto-only fields with no bearing on the app: storedBytes is deprecated and moto omits
        # arn/logGroupArn variants inconsistently.
        allowed = {"logGroups[].dataProtectionStatus", "logGroups[].inheritedProperties"}
        problems = []
        for op, theirs in results["moto"].items():
            missing = key_paths(theirs) - key_paths(results["ours"][op]) - allowed
            if missing:
                problems.append(f"{op}: {sorted(missing)}")
        assert not problems, problems
    finally:
        server.stop()
