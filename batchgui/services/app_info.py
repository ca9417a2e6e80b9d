"""What the app is built from: its components' versions and licenses, read from package metadata.

In a PyInstaller build the metadata folders are bundled beside the code, so the list stays true after
any upgrade. Reading metadata touches dozens of small files, so `AppInfo` reads on the runner, never
on the GUI thread.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from batchgui import resources
from batchgui.services.runner import Runner

PROJECT_URL = "https://github.com/batchgui/batchgui"
APACHE_URL = "https://www.apache.org/licenses/LICENSE-2.0"
LGPL_URL = "https://www.gnu.org/licenses/lgpl-3.0.html"
QT_SOURCE_URL = "https://download.qt.io/official_releases/QtForPython/"
PSF_URL = "https://docs.python.org/3/license.html"


@dataclass(frozen=True)
class Component:
    """One thing the app is built from, as a person reading the About box needs to see it."""

    name: str
    role: str
    version: str
    license: str
    homepage: str
    distribution: str | None = None  # the pip distribution whose metadata holds the license files
    license_files: tuple[str, ...] = ()
    fallback_text: str = ""  # shown when the package ships no license file


# One component a line: distribution | what it does here | license to show if the metadata names none |
# home page.
_KNOWN_TABLE = """
batchgui | this app | Apache-2.0 | {project}
PySide6_Essentials | Qt for Python: the user interface | LGPL-3.0-only | https://pyside.org
shiboken6 | Qt for Python bindings runtime | LGPL-3.0-only | https://pyside.org
boto3 | AWS SDK for Python | Apache-2.0 | https://github.com/boto/boto3
botocore | AWS SDK core and service models | Apache-2.0 | https://github.com/boto/botocore
s3transfer | S3 uploads and downloads | Apache-2.0 | https://github.com/boto/s3transfer
pyqtgraph | live plots | MIT | https://www.pyqtgraph.org
qasync | asyncio on the Qt event loop | BSD-2-Clause | https://github.com/CabbageDevelopment/qasync
numpy | plot data | BSD-3-Clause | https://numpy.org
QtAwesome | icons: the Phosphor font it bundles (MIT) | MIT | https://github.com/spyder-ide/qtawesome
moto | the local sandbox's S3, DynamoDB, IAM, STS, EC2 | Apache-2.0 | https://github.com/getmoto/moto
Werkzeug | the local sandbox's HTTP server | BSD-3-Clause | https://palletsprojects.com/p/werkzeug/
Flask | moto's web app | BSD-3-Clause | https://palletsprojects.com/p/flask/
flask-cors | moto's web app | MIT | https://github.com/corydolphin/flask-cors
Jinja2 | moto's templates | BSD-3-Clause | https://palletsprojects.com/p/jinja/
MarkupSafe | moto's templates | BSD-3-Clause | https://palletsprojects.com/p/markupsafe/
xmltodict | moto's XML APIs | MIT | https://github.com/martinblech/xmltodict
responses | moto | Apache-2.0 | https://github.com/getsentry/responses
cryptography | signing and keys (moto) | Apache-2.0 OR BSD-3-Clause | https://cryptography.io
requests | HTTP (moto) | Apache-2.0 | https://requests.readthedocs.io
urllib3 | HTTP connections | MIT | https://urllib3.readthedocs.io
certifi | TLS certificate authorities | MPL-2.0 | https://github.com/certifi/python-certifi
jmespath | AWS SDK queries | MIT | https://jmespath.org
python-dateutil | dates (AWS SDK) | Apache-2.0 OR BSD-3-Clause | https://github.com/dateutil/dateutil
six | compatibility (dateutil) | MIT | https://github.com/benjaminp/six
PyYAML | YAML (moto) | MIT | https://pyyaml.org
"""
KNOWN_COMPONENTS: tuple[tuple[str, str, str, str], ...] = tuple(
    (name, role, license, url.format(project=PROJECT_URL))
    for name, role, license, url in (
        tuple(cell.strip() for cell in line.split("|")) for line in _KNOWN_TABLE.strip().splitlines()
    )
)

# Classifier tails for packages that name their license only there.
_CLASSIFIER_LICENSES = {
    "Apache Software License": "Apache-2.0",
    "MIT License": "MIT",
    "BSD License": "BSD",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
}
_LICENSE_FILE_WORDS = ("LICENSE", "LICENCE", "COPYING", "NOTICE")
_QT_LICENSE_NOTE = (
    "Qt and Qt for Python (PySide6, shiboken6) are used under the GNU Lesser General Public "
    f"License version 3 (LGPL-3.0-only): {LGPL_URL}\n\n"
    "The packaged app keeps the Qt and PySide6 libraries as separate files in its folder, so they "
    "can be replaced with a modified build of the same version. Their source code is available "
    f"from {QT_SOURCE_URL} and https://code.qt.io/.\n\n"
)


def license_of(meta: Any, fallback: str) -> str:
    """The SPDX expression from metadata: License-Expression, a short License field, or classifiers."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return str(expression)
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 60 and field.lower() not in ("unknown", "dual license"):
        return str(field)
    named = [
        _CLASSIFIER_LICENSES.get(c.rsplit(" :: ", 1)[-1], c.rsplit(" :: ", 1)[-1])
        for c in meta.get_all("Classifier") or []
        if c.startswith("License :: ")
    ]
    return " OR ".join(named) if named else fallback


def homepage_of(meta: Any, fallback: str) -> str:
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository") and url.strip():
            return url.strip()
    return str(meta.get("Home-page") or fallback)


def _qt_license_text() -> str:
    """The LGPL text shipped in resources/licenses (with the GPL it builds on)."""
    parts = [_QT_LICENSE_NOTE]
    for name in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        file = resources.path(f"licenses/{name}")
        if file.is_file():
            parts.append(file.read_text(encoding="utf-8"))
    return "\n".join(parts)


def bundled_components(qt_version: str = "") -> list[Component]:
    """Python, Qt and every known package that is installed, with version and license (blocking)."""
    components = [
        Component(
            "Python",
            "the interpreter" + (" (bundled)" if getattr(sys, "frozen", False) else ""),
            platform.python_version(),
            "PSF-2.0",
            PSF_URL,
            fallback_text=f"Python is distributed under the PSF License Agreement: {PSF_URL}",
        ),
        Component("Qt", "the user interface toolkit", qt_version, "LGPL-3.0-only", "https://www.qt.io"),
    ]
    for distribution, role, fallback_license, fallback_url in KNOWN_COMPONENTS:
        try:
            dist = metadata.distribution(distribution)
        except metadata.PackageNotFoundError:
            continue  # not installed (an optional part) or not bundled into this build
        meta: Any = dist.metadata  # an email.message.Message: .get() and .get_all()
        files = tuple(
            str(f)
            for f in dist.files or ()
            if ".dist-info" in str(f) and any(word in f.name.upper() for word in _LICENSE_FILE_WORDS)
        )
        components.append(
            Component(
                name=str(meta.get("Name") or distribution),
                role=role,
                version=dist.version,
                license=license_of(meta, fallback_license),
                homepage=homepage_of(meta, fallback_url),
                distribution=distribution,
                license_files=files,
            )
        )
    return components


def license_text(component: Component) -> str:
    """The full license text(s) of a component, as far as the installed files hold them (blocking)."""
    if component.name == "Qt" or component.distribution in ("PySide6_Essentials", "shiboken6"):
        return _qt_license_text()
    texts: list[str] = []
    if component.distribution is not None and component.license_files:
        dist = metadata.distribution(component.distribution)
        for relative in component.license_files:
            try:
                body = Path(str(dist.locate_file(relative))).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            texts.append(f"── {relative.split('/', 1)[-1]} ──\n{body.strip()}\n")
    if texts:
        return "\n".join(texts)
    if component.fallback_text:
        return component.fallback_text
    if component.distribution == "batchgui":
        return f"batchgui is licensed under the Apache License, Version 2.0: {APACHE_URL}"
    return (
        f"{component.name} is licensed under {component.license}. Its package ships no license file; "
        f"see {component.homepage}"
    )


class AppInfo:
    """The About box's facade: the components and their license texts, read on a worker."""

    def __init__(self, runner: Runner, qt_version: str = "") -> None:
        self._runner = runner
        self._qt_version = qt_version

    async def components(self) -> list[Component]:
        return await self._runner.run(bundled_components, self._qt_version)

    async def license_text(self, component: Component) -> str:
        return await self._runner.run(license_text, component)
