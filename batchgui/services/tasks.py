"""Background coroutines started by the UI, tracked so they can be cancelled and their errors shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from batchgui.services.runner import RunnerClosed

T = TypeVar("T")
log = logging.getLogger(__name__)

ErrorHandler = Callable[[str, BaseException], None]


async def gather_limited(most: int, calls: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every one of `calls`, at most `most` at a time; their results in order. Each call is
    made once its turn comes, so a cancelled gather leaves no coroutine that was never awaited."""
    gate = asyncio.Semaphore(most)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(c) for c in calls)))


class TaskSet:
    def __init__(self, on_error: ErrorHandler) -> None:
        self._on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], what: str) -> asyncio.Task[T]:
        """Start `coro`; if it fails, `on_error(what, error)` reports it."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, what))
        return task

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None or isinstance(error, RunnerClosed):
            return
        log.warning("%s failed: %s", what, error, exc_info=error)
        self._on_error(what, error)

    @property
    def count(self) -> int:
        return len(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def wait(self) -> None:
        """Until every task started so far (and any started meanwhile) has ended."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
