"""The asyncio loop on Qt's event loop (qasync), seen by asyncio as running whenever it runs a callback.

qasync runs asyncio callbacks from Qt timer events, and Qt events are also processed outside
`run_forever()`: qasync's own `run_until_complete()` drains them once more after the loop has stopped,
and so does anything else that calls `processEvents()` (pytest-qt between tests, a modal dialog at
exit). A task woken there (a worker call that just finished, a sleep that just expired) found no
running loop: `asyncio.sleep()` / `get_running_loop()` raised "no running event loop" and the task
died — the live monitor stopped for good. Every callback of this loop now runs with the loop set as
the running one, wherever the Qt events are processed.
"""

from __future__ import annotations

import asyncio

import qasync


class EventLoop(qasync.QEventLoop):  # type: ignore[misc]
    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        super()._add_callback(asyncio.Handle(self._run_as_running, (handle,), self), delay)
        return handle  # the caller may cancel it: _run_as_running checks

    def _run_as_running(self, handle: asyncio.Handle) -> None:
        if handle.cancelled():
            return
        if asyncio.events._get_running_loop() is not None:
            handle._run()
            return
        asyncio.events._set_running_loop(self)
        try:
            handle._run()
        finally:
            asyncio.events._set_running_loop(None)
