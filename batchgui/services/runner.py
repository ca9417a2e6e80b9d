"""The one door for blocking calls: `await runner.run(gateway.list_jobs, queue, status)`.

A bounded pool of daemon threads runs boto3 calls and file reads; results come back to the asyncio
loop. Daemon threads, not concurrent.futures' pool, because that pool joins its threads at
interpreter exit: a call stuck on a slow network would keep a closed window's process alive.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from batchgui.services.events import Listeners

P = ParamSpec("P")
T = TypeVar("T")

Translator = Callable[[BaseException], BaseException]


def _unchanged(exc: BaseException) -> BaseException:
    return exc


@dataclass
class _Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class RunnerClosed(RuntimeError):
    pass


class Runner:
    def __init__(self, workers: int = 8, translate: Translator = _unchanged) -> None:
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._translate = translate
        self._closed = False
        self._in_flight = 0
        self.in_flight_changed: Listeners[int] = Listeners()
        self._threads = [
            threading.Thread(target=self._work, name=f"runner-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def set_translator(self, translate: Translator) -> None:
        """How worker exceptions are turned into the app's error types (set per connection)."""
        self._translate = translate

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._closed:
            raise RunnerClosed("the app is closing")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._set_in_flight(self._in_flight + 1)
        self._queue.put(_Call(fn, args, kwargs, loop, future))
        try:
            return await future
        finally:
            self._set_in_flight(self._in_flight - 1)

    def _set_in_flight(self, value: int) -> None:
        self._in_flight = value
        self.in_flight_changed.emit(value)

    def _work(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                return
            if call.future.cancelled():
                continue
            try:
                ok, value = True, call.fn(*call.args, **call.kwargs)
            except BaseException as exc:
                ok, value = False, self._translate(exc)
            try:
                call.loop.call_soon_threadsafe(_settle, call.future, ok, value)
            except RuntimeError:
                pass  # the loop closed while the call ran: nobody is waiting any more

    def close(self, timeout_s: float = 0.5) -> None:
        """Stop taking calls; idle workers exit, busy ones are left to die with the process."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        per_thread = timeout_s / max(1, len(self._threads))
        for thread in self._threads:
            thread.join(per_thread)

    def busy_threads(self) -> list[threading.Thread]:
        return [t for t in self._threads if t.is_alive()]
