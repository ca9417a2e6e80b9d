"""A stand-in ConnectionManager for the jobs and monitor facades: holds one fake Backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batchgui.aws.batch import BatchGateway
from batchgui.domain.connection import ConnectionKind, ConnectionSpec
from batchgui.domain.errors import NotConnected
from batchgui.services.events import Listeners


@dataclass
class FakeBackend:
    """What the jobs and monitor services use of a Backend: the Batch gateway and the connection's spec."""

    batch: BatchGateway
    spec: ConnectionSpec = field(default_factory=ConnectionSpec.local)

    @property
    def is_local(self) -> bool:
        return self.spec.kind is ConnectionKind.LOCAL


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
