"""Fixtures for the packaging tests (`make package-test`, after `make package` built dist/batchgui).

This folder has no __init__.py on purpose, and neither has packaging/: a package named `packaging`
at the repository root would shadow the PyPI `packaging` library that pip and PyInstaller import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "dist" / "batchgui"
APP_ID = "io.github.batchgui.BatchGui"


@pytest.fixture(scope="session")
def app_dir() -> Path:
    """The folder `make package` built; the tests fail (not skip) without it."""
    program = APP_DIR / ("batchgui.exe" if sys.platform == "win32" else "batchgui")
    if not program.is_file():
        pytest.fail(f"{program} is missing: run `make package` (packaging/build.sh) first")
    return APP_DIR


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment like a fresh desktop session: temp HOME, no AWS settings, offscreen Qt."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    (tmp_path / "runtime").mkdir(mode=0o700)
    for key in ("TMPDIR", "SYSTEMROOT"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env
