"""The wheel (`python -m build`) installs into a fresh virtual environment, and its `batchgui`
command works there: version, screenshot on the embedded sandbox, resources from the wheel.

The dependencies (PySide6 ~250 MB, boto3, moto...) are not downloaded again: the test venv is made
with `--without-pip`, the wheel is installed with `--no-deps` by the project's pip, and a .pth file
puts the project venv's site-packages after the test venv's own, so `batchgui` itself always comes
from the wheel (an editable install's finder in the project venv is not activated by a .pth path).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import APP_ID, REPO
from PySide6.QtGui import QImage

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (built,) = out.glob("batchgui-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the wheel; returns its bin (Scripts) folder."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(site) / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python.parent


def test_the_wheel_holds_the_app_its_resources_and_a_gui_script(wheel: Path) -> None:
    version = metadata.version("batchgui")
    assert wheel.name.startswith(f"batchgui-{version}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"batchgui-{version}.dist-info/entry_points.txt").decode()
    for name in (
        "batchgui/__main__.py",
        "batchgui/ui/about.py",
        "batchgui/sandbox/demo/processor.py",
        "batchgui/resources/icons/batchgui.svg",
        "batchgui/resources/sample.csv",
        f"batchgui/resources/{APP_ID}.desktop",
        f"batchgui/resources/{APP_ID}.metainfo.xml",
        "batchgui/resources/licenses/LGPL-3.0.txt",
    ):
        assert name in names, name
    assert "[gui_scripts]" in entry_points
    assert "batchgui = batchgui.__main__:main" in entry_points
    assert "batchgui-sandbox = batchgui.sandbox.cli:main" in entry_points
    assert not any(n.startswith(("tests/", "packaging/")) for n in names)


def test_the_installed_command_runs_from_the_wheel(installed: Path, clean_env: dict[str, str]) -> None:
    python = installed / "python"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, batchgui, batchgui.resources as r; "
            "print(json.dumps([batchgui.__file__, str(r.path('sample.csv')), batchgui.__version__]))",
        ],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=60,
        check=True,
        cwd=installed,
    )
    module_file, sample, version = json.loads(probe.stdout)
    assert Path(module_file).is_relative_to(installed.parent), module_file
    assert Path(sample).is_relative_to(installed.parent), sample
    assert Path(sample).is_file()
    assert version == metadata.version("batchgui")
    result = subprocess.run(
        [str(installed / "batchgui"), "--version"],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == f"batchgui {version}"


def test_the_installed_command_draws_the_window_on_the_sandbox(
    installed: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    shot = tmp_path / "queues.png"
    result = subprocess.run(
        [
            str(installed / "batchgui"),
            "--screenshot",
            str(shot),
            "--panel",
            "job-queues",
            "--after",
            "0.5",
            "--config-dir",
            str(tmp_path / "config"),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=180,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    log = (tmp_path / "data" / "batchgui.log").read_text(encoding="utf-8")
    assert " ERROR " not in log, log
