"""The sandbox's GetLogEvents pages a big stream as CloudWatch Logs does: at most 10,000 events or
1 MB an answer, backward and forward tokens, and the token it was given back at either end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from batchgui.domain.job_logs import MAX_PAGE_BYTES, event_bytes
from tests.ui.log_support import GROUP, logs_client, write_stream

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def logs_sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from batchgui.sandbox import start_in_process

    running = start_in_process(tmp_path_factory.mktemp("pages") / "sandbox", seed=False)
    yield running
    running.stop()


def test_an_answer_holds_at_most_one_megabyte(logs_sb: Any) -> None:
    lines = [f"{n:06d} " + "x" * 993 for n in range(3000)]  # 1,000 characters each
    write_stream(logs_sb.data_dir, "big/bytes", lines)
    client = logs_client(logs_sb)
    head = client.get_log_events(logGroupName=GROUP, logStreamName="big/bytes", startFromHead=True)
    fits = MAX_PAGE_BYTES // event_bytes(lines[0])
    assert len(head["events"]) == fits  # 1,022, not 3,000
    assert head["events"][0]["message"] == lines[0]
    tail = client.get_log_events(logGroupName=GROUP, logStreamName="big/bytes", startFromHead=False)
    assert [e["message"] for e in tail["events"]] == lines[-fits:]  # the newest that fit
    found = client.filter_log_events(logGroupName=GROUP, logStreamNames=["big/bytes"], filterPattern="x")
    assert len(found["events"]) == fits
    assert "nextToken" in found
    more = client.filter_log_events(
        logGroupName=GROUP, logStreamNames=["big/bytes"], filterPattern="x", nextToken=found["nextToken"]
    )
    assert more["events"][0]["message"] == lines[fits]


def test_backward_and_forward_tokens_walk_a_stream_and_repeat_at_its_ends(logs_sb: Any) -> None:
    lines = [f"event {n}" for n in range(25_000)]
    write_stream(logs_sb.data_dir, "big/count", lines)
    client = logs_client(logs_sb)
    page = client.get_log_events(logGroupName=GROUP, logStreamName="big/count", startFromHead=False)
    assert [e["message"] for e in page["events"]] == lines[-10_000:]
    forward = page["nextForwardToken"]
    seen = [e["message"] for e in page["events"]]
    token = page["nextBackwardToken"]
    sizes = []
    while True:
        older = client.get_log_events(logGroupName=GROUP, logStreamName="big/count", nextToken=token)
        sizes.append(len(older["events"]))
        if not older["events"]:
            assert older["nextBackwardToken"] == token  # the head: the same token back
            break
        seen[0:0] = [e["message"] for e in older["events"]]
        token = older["nextBackwardToken"]
    assert sizes == [10_000, 5_000, 0]
    assert seen == lines
    at_end = client.get_log_events(logGroupName=GROUP, logStreamName="big/count", nextToken=forward)
    assert at_end["events"] == []
    assert at_end["nextForwardToken"] == forward  # the end: the same token back
    write_stream(logs_sb.data_dir, "big/count", ["one more"], start_ms=1_800_000_000_000)
    newer = client.get_log_events(logGroupName=GROUP, logStreamName="big/count", nextToken=forward)
    assert [e["message"] for e in newer["events"]] == ["one more"]
