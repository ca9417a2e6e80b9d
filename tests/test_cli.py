"""The `batchgui` command as a user runs it: version, screenshot, and an installed wheel's resources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from tests.support import TEST_KEY_ID, TEST_SECRET, MotoEndpoint, seed_batch, write_aws_files

REPO = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_version_is_printed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batchgui", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.startswith("batchgui ")


@pytest.mark.timeout(120)
def test_screenshot_option_writes_a_png_of_the_chosen_panel(
    moto: MotoEndpoint, isolated_home: Path, tmp_path: Path, qapp: Any
) -> None:
    seed_batch(moto)
    write_aws_files(
        isolated_home,
        f"[profile dev]\nregion = us-east-1\nendpoint_url = {moto.endpoint_url}\n",
        f"[dev]\naws_access_key_id = {TEST_KEY_ID}\naws_secret_access_key = {TEST_SECRET}\n",
    )
    shot = tmp_path / "queues.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "batchgui",
            "--profile",
            "dev",
            "--region",
            "us-east-1",
            "--config-dir",
            str(tmp_path / "cfg"),
            "--data-dir",
            str(tmp_path / "data"),
            "--screenshot",
            str(shot),
            "--panel",
            "job-queues",
            "--after",
            "0.2",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        env=_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 800
    assert image.height() >= 500
    log = (tmp_path / "data" / "batchgui.log").read_text()
    assert "failed" not in log, log


@pytest.mark.timeout(240)
def test_an_installed_wheel_carries_the_resources(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=200,
    )
    (wheel,) = (tmp_path / "dist").glob("batchgui-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=200,
    )
    probe = subprocess.run(
        [sys.executable, "-c", "import batchgui.resources as r; print(r.path('icons/batchgui.svg'))"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1"},
        check=True,
    )
    icon = Path(probe.stdout.strip())
    assert icon.is_relative_to(target), icon
    assert icon.read_text().startswith("<svg")
