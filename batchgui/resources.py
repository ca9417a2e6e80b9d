"""Where the files from resources/ are: inside the installed package, or beside a source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).with_name("resources")
_SOURCE_TREE = Path(__file__).resolve().parent.parent / "resources"


def root() -> Path:
    """The resources folder: packaged in a wheel as batchgui/resources, else the repo's resources/."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


def path(name: str) -> Path:
    return root() / name
