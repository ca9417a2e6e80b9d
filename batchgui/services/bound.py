"""The base of every feature facade: bound to the one ConnectionManager, calling through the one Runner.

A facade never takes a connection as an argument. Each call uses the connection that is current when
it starts, so a panel holds one facade for the life of the app and a connection switch needs nothing
from it; with no connection, the call raises NotConnected, which the UI says once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from batchgui.services.connections import Backend, ConnectionManager
from batchgui.services.runner import Runner

P = ParamSpec("P")
T = TypeVar("T")


class BoundService:
    def __init__(self, runner: Runner, connections: ConnectionManager) -> None:
        self._runner = runner
        self._connections = connections

    @property
    def connections(self) -> ConnectionManager:
        return self._connections

    @property
    def connected(self) -> bool:
        return self._connections.connected

    def _backend(self) -> Backend:
        """The current connection's gateways; NotConnected when there is none."""
        return self._connections.require()

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking `fn` on a worker (the one door for blocking calls)."""
        return await self._runner.run(fn, *args, **kwargs)
