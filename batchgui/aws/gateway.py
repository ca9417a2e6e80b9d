"""What every gateway is: one boto3 client, wrapped in typed calls (synchronous: call through the Runner)."""

from __future__ import annotations

from typing import Generic, TypeVar

ClientT = TypeVar("ClientT")


class Gateway(Generic[ClientT]):
    def __init__(self, client: ClientT) -> None:
        self._client = client

    @property
    def client(self) -> ClientT:
        """The boto3 client itself: for tests and event hooks, never for calls above aws/."""
        return self._client
