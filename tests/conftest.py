"""Shared fixtures: offscreen Qt, an isolated home, a moto server on loopback, and leak checks.

No test reads or writes the real ~/.aws, the home directory or the user's QSettings: every test
gets a temporary HOME and AWS config files, and the app is given a temporary config dir.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.support import MotoEndpoint, start_moto

T = TypeVar("T")

_AWS_ENV_PREFIXES = ("AWS_",)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    for name in list(os.environ):
        if name.startswith(_AWS_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return home


def _is_server_thread(thread: threading.Thread) -> bool:
    # werkzeug serves each keep-alive connection on its own short-lived thread.
    return "process_request_thread" in thread.name or thread.name.startswith("moto-")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3
    leaked: list[threading.Thread] = []
    while time.monotonic() < deadline:
        leaked = [
            t for t in threading.enumerate() if t not in before and t.is_alive() and not _is_server_thread(t)
        ]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"test left threads running: {[t.name for t in leaked]}")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoEndpoint]:
    endpoint, stop = start_moto()
    yield endpoint
    stop()


@pytest.fixture
def moto(moto_server: MotoEndpoint) -> MotoEndpoint:
    """moto's server, emptied before the test."""
    requests.post(f"{moto_server.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
    # No Docker engine here: without this, moto tries Docker for every submitted job and fails it.
    requests.post(
        f"{moto_server.endpoint_url}/moto-api/config", json={"batch": {"use_docker": False}}, timeout=10
    ).raise_for_status()
    return moto_server


@pytest.fixture(scope="session")
def event_loop_qt(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    from batchgui.ui.event_loop import EventLoop

    loop = EventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    # A window an earlier test left to deleteLater() is destroyed while a later test runs the loop:
    # Qt's "last window closed" quit would stop the shared loop mid-test ("Event loop stopped before
    # Future completed": the monitor tests failed so when run after test_monitor_layout.py).
    qapp.setQuitOnLastWindowClosed(False)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run_async(event_loop_qt: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """Run a coroutine to completion on the qasync loop (Qt events are processed meanwhile)."""

    def run(coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return event_loop_qt.run_until_complete(asyncio.wait_for(coro, timeout))

    return run


@pytest.fixture
def wait_until(event_loop_qt: asyncio.AbstractEventLoop) -> Callable[..., None]:
    """Spin the qasync loop until `predicate()` is true, or fail after `timeout` seconds."""

    def wait(predicate: Callable[[], bool], timeout: float = 15, what: str = "condition") -> None:
        async def poll() -> None:
            deadline = time.monotonic() + timeout
            while not predicate():
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                await asyncio.sleep(0.02)

        event_loop_qt.run_until_complete(poll())

    return wait


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    """The embedded local sandbox (batchgui.sandbox), started in-process with its seeded demo."""
    from batchgui.sandbox import start_in_process

    running = start_in_process(tmp_path / "sandbox")
    yield running
    running.stop()
