"""Linux desktop integration files: the .desktop entry, AppStream metainfo and the rendered icons.

The validators are Debian's `appstreamcli` (package appstream) and `desktop-file-validate`
(desktop-file-utils); packaging/system-deps.sh installs them, and runs here if one is missing.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtGui import QImage

from batchgui.ui.about import APP_ID

REPO = Path(__file__).resolve().parent.parent
RESOURCES = REPO / "resources"
DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"

pytestmark = pytest.mark.timeout(660)


def _tool(name: str) -> str | None:
    """The validator's path, installing the project's system dependencies first if it is missing."""
    # Only as root (CI machines): elsewhere apt-get would stop at a sudo password prompt.
    if shutil.which(name) is None and shutil.which("apt-get") is not None and os.geteuid() == 0:
        subprocess.run(
            ["bash", str(REPO / "packaging" / "system-deps.sh")],
            check=False,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    return shutil.which(name)


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _render_icons_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_icons", REPO / "packaging" / "render_icons.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_metainfo_passes_appstreamcli_validate() -> None:
    appstreamcli = _tool("appstreamcli")
    if appstreamcli is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.skip("appstreamcli is missing: run `make system-deps` (Debian package appstream)")
        pytest.fail("packaging/system-deps.sh did not install appstreamcli (Debian package appstream)")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", "--strict", "--explain", str(METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_passes_desktop_file_validate() -> None:
    validator = _tool("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate (desktop-file-utils) is not available here")
    result = subprocess.run(
        [validator, str(DESKTOP)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


def test_one_app_id_and_version_everywhere() -> None:
    project = _pyproject()["project"]
    entry = _desktop_entry()
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    launchable = root.find("launchable")
    assert launchable is not None
    assert launchable.text == DESKTOP.name
    assert entry["Icon"] == APP_ID
    assert root.findtext("icon") == APP_ID
    # The menu entry starts the command the wheel installs, and the app says it is that program.
    assert entry["Exec"].split()[0] in project["gui-scripts"]
    provides = root.find("provides")
    assert provides is not None
    assert provides.findtext("binary") == entry["Exec"].split()[0]
    assert root.findtext("project_license") == project["license"]["text"]
    releases = root.find("releases")
    assert releases is not None
    newest = releases.find("release")
    assert newest is not None
    assert newest.get("version") == project["version"], "add a <release> for the new version to the metainfo"
    assert _render_icons_module().APP_ID == APP_ID
    spec_text = (REPO / "packaging" / "batchgui.spec").read_text(encoding="utf-8")
    assert f'APP_ID = "{APP_ID}"' in spec_text
    assert f"APP_ID={APP_ID}" in (REPO / "packaging" / "linux" / "install.sh").read_text(encoding="utf-8")


def test_icons_render_in_every_size_from_the_svg(tmp_path: Path, qapp: Any) -> None:
    module = _render_icons_module()
    written = module.render_icons(tmp_path)
    assert len(written) == len(module.SIZES) + 4
    for size in module.SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)
        # Opaque in the middle (the rounded square), transparent in the corner.
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
        assert image.pixelColor(0, 0).alpha() == 0
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        RESOURCES / "icons" / "batchgui.svg"
    ).read_bytes()
    for name in ("batchgui.ico", "batchgui.icns", "batchgui-256.png"):
        image = QImage(str(tmp_path / name))
        assert not image.isNull(), name
        assert image.width() >= 256, name


def test_a_bad_svg_is_refused_with_a_clear_error(tmp_path: Path, qapp: Any) -> None:
    bad = tmp_path / "bad.svg"
    bad.write_text("not an svg", encoding="utf-8")
    with pytest.raises(ValueError, match="not an SVG image"):
        _render_icons_module().render_icons(tmp_path / "out", svg=bad)
