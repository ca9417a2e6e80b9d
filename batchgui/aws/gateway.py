"""What every gateway is: one boto3 client, wrapped in typed calls (synchronous: call through the Runner).

A gateway is given its client, or a way to make it (`make=`): then the client is made at the first
call, which runs on a worker thread (creating a client parses a large service model: never on the
GUI thread, which may take a gateway in hand but only calls it through the Runner).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, cast

ClientT = TypeVar("ClientT")
RowT = TypeVar("RowT")


def every_page(fetch: Callable[[str | None], tuple[list[RowT], str | None]]) -> list[RowT]:
    """The rows of every page: `fetch(token)` answers one page's rows and the next token (None or
    "" after the last), starting from None."""
    rows: list[RowT] = []
    token: str | None = None
    while True:
        page, token = fetch(token)
        rows.extend(page)
        if not token:
            return rows


def plain_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """One call's answer as a plain dict, without boto3's ResponseMetadata (a Describe* answer is
    read like a List* item)."""
    out = dict(answer)
    out.pop("ResponseMetadata", None)
    return out


class Gateway(Generic[ClientT]):
    def __init__(self, client: ClientT | None = None, *, make: Callable[[], ClientT] | None = None) -> None:
        if (client is None) == (make is None):
            raise TypeError("a gateway takes its client or a way to make it (make=), one of the two")
        self._made = client
        self._make = make
        self._lock = threading.Lock()
        if client is not None:
            self._attach(client)

    def _attach(self, client: ClientT) -> None:
        """Called once with the client, when given or made (event hooks go here)."""

    @property
    def _client(self) -> ClientT:
        made = self._made
        if made is None:
            with self._lock:  # two workers asking at once make one client
                made = self._made
                if made is None:
                    assert self._make is not None
                    made = self._make()
                    self._attach(made)
                    self._made = made
        return made

    @property
    def client(self) -> ClientT:
        """The boto3 client itself (made now if it was not): for tests, event hooks and
        Backend.prepare(), never for calls above aws/."""
        return self._client

    def _paged(self, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item listed under `key` on every page of the paginated `operation` (a page
        without the key lists none)."""
        paginator = cast(Any, self._client).get_paginator(operation)
        for page in paginator.paginate(**kwargs):
            yield from page.get(key) or ()
