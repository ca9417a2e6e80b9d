from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRect, Qt

from batchgui.app import Application
from batchgui.domain.connection import ConnectionKind, ConnectionSpec
from tests.support import MotoEndpoint, seed_batch


def test_every_panel_shows_rows_from_the_local_backend(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    ids = seed_batch(moto)
    moto.client("batch").submit_job(jobName="hello", jobQueue=ids["queue"], jobDefinition=ids["definition"])
    app = make_app(moto)
    app.start(ConnectionSpec.local())
    wait_until(lambda: app.connections.backend is not None, what="connection")
    wait_until(lambda: app.window.account_label.text().startswith("Account"), what="account id")
    expected = {
        "compute-environments": "demo-fargate",
        "job-queues": "demo-queue",
        "job-definitions": "demo-definition",
        "jobs": "hello",
        "monitor": "demo-queue",
    }
    for panel_id, first_cell in expected.items():
        panel = app.window.show_panel(panel_id)
        wait_until(lambda p=panel: p.load_count > 0, what=f"{panel_id} loaded")
        model = panel.model  # type: ignore[attr-defined]
        assert model.rowCount() >= 1, panel_id
        assert model.index(0, 0).data() == first_cell


def test_f5_refreshes_the_current_panel(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None], qtbot: Any
) -> None:
    seed_batch(moto)
    app = make_app(moto, "--panel", "job-queues")
    app.start(ConnectionSpec.local())
    panel = app.window.current_panel()
    wait_until(lambda: panel.load_count == 1, what="first load")
    moto.client("batch").create_job_queue(
        jobQueueName="second",
        state="ENABLED",
        priority=2,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "demo-fargate"}],
    )
    qtbot.keyClick(app.window, Qt.Key.Key_F5)
    wait_until(lambda: panel.load_count == 2, what="refresh")
    assert panel.model.rowCount() == 2  # type: ignore[attr-defined]


def test_unreachable_endpoint_lands_in_the_message_area(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    isolated_home: Any,
) -> None:
    (isolated_home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAX\naws_secret_access_key = y\n"
    )
    app = make_app(moto)
    app.start(ConnectionSpec(ConnectionKind.PROFILE, "us-east-1", "default", "http://127.0.0.1:9"))
    wait_until(lambda: bool(app.notifications.notifications()), timeout=40, what="an error message")
    note = app.notifications.notifications()[0]
    assert note.title == "Cannot reach the endpoint"
    assert "F5" in note.body
    assert "failed" in app.window.statusBar().currentMessage()


def test_layout_and_connection_are_remembered(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    first = make_app(moto, "--panel", "jobs")
    first.start(ConnectionSpec.local())
    first.window.setGeometry(QRect(20, 30, 780, 560))
    first.window.splitter.setSizes([230, 550])
    first.window.splitter.splitterMoved.emit(230, 1)  # as a drag of the sidebar's edge says it
    wait_until(lambda: first.connections.backend is not None, what="connection")
    geometry, sizes = first.window.geometry(), first.window.splitter.sizes()
    first.window.close()
    first.shutdown()
    second = make_app(moto)
    assert second.settings.last_connection() == ConnectionSpec.local()
    second.window.restore_layout()
    second.window.show()
    wait_until(second.window.isVisible, what="window shown")
    assert second.window.geometry().size() == geometry.size()
    assert second.window.current_panel().panel_id == "jobs"
    assert second.window.splitter.sizes()[0] == sizes[0]


def test_closing_returns_quickly_with_a_call_in_flight(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    app = make_app(moto)
    app.start(ConnectionSpec.local())
    wait_until(lambda: app.connections.backend is not None, what="connection")
    release = threading.Event()
    app.tasks.spawn(app.runner.run(release.wait, 30), "stuck call")
    wait_until(lambda: app.runner.in_flight >= 1, what="call in flight")
    started = time.monotonic()
    app.window.close()
    app.shutdown()
    assert time.monotonic() - started < 2.0
    release.set()
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(0.05))


def test_an_exception_in_a_slot_is_shown_and_the_app_keeps_running(
    make_app: Callable[..., Application], moto: MotoEndpoint, qtbot: Any, monkeypatch: Any
) -> None:
    import sys

    from batchgui.app import _install_exception_hooks

    app = make_app(moto)
    app.window.show()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    _install_exception_hooks(app, asyncio.get_event_loop())

    def broken() -> None:
        raise RuntimeError("a bug in a slot")

    app.connection_bar.connect_button.clicked.disconnect()
    app.connection_bar.connect_button.clicked.connect(broken)
    qtbot.mouseClick(app.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    notes = app.notifications.notifications()
    assert notes[0].title == "RuntimeError: a bug in a slot"
    assert "broken" in notes[0].body
    qtbot.mouseClick(app.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    assert len(app.notifications.notifications()) == 2
    assert app.window.isVisible()
