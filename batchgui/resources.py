"""Where the files from resources/ are: inside the installed package, or beside a source tree."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from batchgui.domain.instance_types import InstanceCatalogue, catalogue_from_rows

_PACKAGED = Path(__file__).with_name("resources")
_SOURCE_TREE = Path(__file__).resolve().parent.parent / "resources"


def root() -> Path:
    """The resources folder: packaged in a wheel as batchgui/resources, else the repo's resources/."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE_TREE


def path(name: str) -> Path:
    return root() / name


@cache
def instance_catalogue() -> InstanceCatalogue:
    """Every EC2 instance type: resources/ec2-instance-types.json (packaging/make_instance_types.py)."""
    document = json.loads(path("ec2-instance-types.json").read_text(encoding="utf-8"))
    return catalogue_from_rows(document["types"])
