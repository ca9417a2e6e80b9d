"""A stand-in ConnectionManager for the jobs and monitor facades: holds one fake Backend."""

from __future__ import annotations

from typing import Any

from batchgui.domain.errors import NotConnected
from batchgui.services.events import Listeners


class FakeConnections:
    """What a BoundService uses of a ConnectionManager: the current backend, and `changed`."""

    def __init__(self, backend: Any = None) -> None:
        self.backend = backend
        self.changed: Listeners[Any] = Listeners()
        self.info_changed: Listeners[Any] = Listeners()

    @property
    def connected(self) -> bool:
        return self.backend is not None

    def require(self) -> Any:
        if self.backend is None:
            raise NotConnected()
        return self.backend

    def switch(self, backend: Any) -> None:
        self.backend = backend
        self.changed.emit(backend)


def connections_for(backend: Any = None) -> Any:
    """A FakeConnections holding `backend`, typed for the facades' constructors."""
    return FakeConnections(backend)
