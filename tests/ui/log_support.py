"""Log streams written the way a job's are (the sandbox's log store, in batches), and a log view
wired to them through the real services (LogFollower, LogPages) over loopback."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.config import Config

from batchgui.aws.logs import LogsGateway
from batchgui.sandbox import logs_api
from batchgui.sandbox.store import Store
from batchgui.services.log_follower import LogFollower, LogState, LogStatus
from batchgui.services.runner import Runner
from batchgui.ui.jobs.inspector import log_state_text
from batchgui.ui.jobs.log_view import LogView
from tests.support import endpoint_client

GROUP = "/aws/batch/job"
WORDS = ["alpha", "beta", "gamma", "delta", "epoch", "loss=0.0312", "step", "INFO", "WARN", "读取", "ü"]


def varied_lines(count: int, seed: int = 7, prefix: str = "line") -> Iterator[str]:
    """`count` lines of varied length and content (numbers, words, non-ASCII, long ones)."""
    rng = random.Random(seed)
    for n in range(count):
        width = rng.choice((0, 1, 3, 8, 20)) if n % 97 else 120
        yield f"{prefix} {n:07d} " + " ".join(rng.choice(WORDS) for _ in range(width))


def write_stream(
    data_dir: Path,
    stream: str,
    lines: Iterable[str],
    *,
    start_ms: int = 1_700_000_000_000,
    batch: int = 5000,
    group: str = GROUP,
) -> int:
    """Append lines to a stream through the sandbox's log store as the engine does while a job runs
    (one event per line, in batches); the number written."""
    store = Store(data_dir / "sandbox.sqlite3")
    written = 0
    try:
        pending: list[tuple[int, str]] = []

        def flush() -> None:
            with store.write() as conn:
                sid = logs_api.ensure_stream(conn, group, stream, start_ms)
                logs_api.append_events(conn, sid, pending, pending[-1][0])
            pending.clear()

        for line in lines:
            pending.append((start_ms + written, line))
            written += 1
            if len(pending) >= batch:
                flush()
        if pending:
            flush()
    finally:
        store.close()
    return written


def log_lines(view: LogView) -> list[str]:
    """Every line the view has loaded, as shown (through its model, as the view paints them)."""
    return [view.model.text(row) for row in range(view.model.rowCount())]


def log_text(view: LogView) -> str:
    return "\n".join(log_lines(view))


def shown_rows(view: LogView) -> list[int]:
    """The first and last rows on screen."""
    rect = view.view.viewport().rect()
    top = view.view.indexAt(rect.topLeft()).row()
    bottom = view.view.indexAt(rect.bottomLeft()).row()
    return [top, bottom if bottom >= 0 else view.model.rowCount() - 1]


def first_rows_shown(view: LogView) -> bool:
    """Lines are on screen."""
    return view.model.rowCount() > 0 and view.view.indexAt(view.view.viewport().rect().topLeft()).isValid()


def logs_client(sandbox: Any) -> Any:
    quick = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30)
    return endpoint_client("logs", sandbox, quick)


@dataclass
class LogRig:
    view: LogView
    follower: LogFollower
    states: list[LogState]


def log_rig(sandbox: Any, runner: Runner, stream: str, interval_s: float = 0.1) -> LogRig:
    """A shown LogView fed by a follower of `stream` (as the Jobs inspector wires them)."""
    view = LogView()
    view.resize(900, 500)
    view.show()
    states: list[LogState] = []

    def on_state(state: LogState) -> None:
        states.append(state)
        status = LogStatus(state, GROUP, stream, error=follower.error)
        view.set_state(log_state_text(status, view.following))

    follower = LogFollower(
        runner,
        LogsGateway(logs_client(sandbox)),
        GROUP,
        stream,
        view.add_page,
        on_state=on_state,
        interval_s=interval_s,
    )
    view.set_pages(follower.pages)
    return LogRig(view, follower, states)
