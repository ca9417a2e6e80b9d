from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batchgui.app import Application, parse_args
from tests.support import MotoEndpoint


@pytest.fixture
def make_app(qapp: Any, tmp_path: Path, event_loop_qt: Any) -> Iterator[Callable[..., Application]]:
    """Build the real app (composition root) with a temporary config dir and a given local endpoint."""
    made: list[Application] = []

    def make(local: MotoEndpoint, *argv: str) -> Application:
        args = parse_args(
            ["--config-dir", str(tmp_path / "config"), "--data-dir", str(tmp_path / "data"), *argv]
        )
        app = Application(args, qapp, start_local=local.local)
        made.append(app)
        return app

    yield make
    for app in made:
        app.window.close()
        app.shutdown()
        app.window.deleteLater()
