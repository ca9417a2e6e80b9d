"""Awaiting many calls a few at a time (on the tests' shared loop: asyncio.run would unset it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from batchgui.services.tasks import gather_limited


def test_gather_limited_runs_at_most_so_many_at_once_and_keeps_the_order(
    run_async: Callable[..., Any],
) -> None:
    running = 0
    most = 0

    async def one(n: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (5 - n % 5))
        running -= 1
        return n * n

    results = run_async(gather_limited(3, (partial(one, n) for n in range(10))))
    assert results == [n * n for n in range(10)]
    assert most == 3


def test_gather_limited_passes_the_first_error_on(run_async: Callable[..., Any]) -> None:
    async def fails() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        run_async(gather_limited(2, [fails]))
