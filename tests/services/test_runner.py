from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.domain.errors import InvalidInput
from batchgui.services.runner import Runner, RunnerClosed


@pytest.fixture
def runner() -> Any:
    made = Runner(workers=3)
    yield made
    made.close()


def test_blocking_calls_run_off_the_loop_thread(runner: Runner, run_async: Callable[..., Any]) -> None:
    loop_thread = threading.get_ident()
    worker_thread = run_async(runner.run(threading.get_ident))
    assert worker_thread != loop_thread


def test_errors_are_translated_and_raised_in_the_caller(run_async: Callable[..., Any]) -> None:
    def translate(error: BaseException) -> BaseException:
        return InvalidInput(str(error))

    runner = Runner(workers=1, translate=translate)
    try:

        def fails() -> None:
            raise ValueError("bad value")

        with pytest.raises(InvalidInput, match="bad value"):
            run_async(runner.run(fails))
    finally:
        runner.close()


def test_in_flight_count_is_announced(runner: Runner, run_async: Callable[..., Any]) -> None:
    seen: list[int] = []
    runner.in_flight_changed.add(seen.append)

    async def two_calls() -> None:
        await asyncio.gather(runner.run(time.sleep, 0.05), runner.run(time.sleep, 0.05))

    run_async(two_calls())
    assert max(seen) == 2
    assert seen[-1] == 0
    assert runner.in_flight == 0


def test_calls_run_concurrently_up_to_the_pool_size(runner: Runner, run_async: Callable[..., Any]) -> None:
    async def three_sleeps() -> float:
        started = time.monotonic()
        await asyncio.gather(*(runner.run(time.sleep, 0.3) for _ in range(3)))
        return time.monotonic() - started

    assert run_async(three_sleeps()) < 0.85


def test_close_returns_quickly_with_a_call_in_flight(run_async: Callable[..., Any]) -> None:
    runner = Runner(workers=2)
    release = threading.Event()

    async def start_stuck_call() -> asyncio.Future[Any]:
        task = asyncio.ensure_future(runner.run(release.wait, 30))
        await asyncio.sleep(0.05)
        return task

    task = run_async(start_stuck_call())
    started = time.monotonic()
    runner.close(timeout_s=0.3)
    assert time.monotonic() - started < 1.0
    with pytest.raises(RunnerClosed):
        run_async(runner.run(time.sleep, 0))
    release.set()
    run_async(asyncio.wait_for(task, 5))
