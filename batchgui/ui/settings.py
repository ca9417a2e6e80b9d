"""Remembered state: last connection, window layout, refresh interval. One INI file, path injected.

Credentials are never stored here: a connection is remembered as profile + region + endpoint only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from batchgui.domain.connection import ConnectionKind, ConnectionSpec

DEFAULT_REFRESH_S = 15


class AppSettings:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qsettings = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> Path:
        return Path(self._qsettings.fileName())

    def sync(self) -> None:
        self._qsettings.sync()

    # --- connection ---------------------------------------------------------------------------
    def last_connection(self) -> ConnectionSpec | None:
        kind = str(self._qsettings.value("connection/kind", "", str))
        if kind not in (k.value for k in ConnectionKind):
            return None
        region = str(self._qsettings.value("connection/region", "us-east-1", str))
        if kind == ConnectionKind.LOCAL:
            return ConnectionSpec.local()
        profile = str(self._qsettings.value("connection/profile", "", str)) or None
        endpoint = str(self._qsettings.value("connection/endpoint_url", "", str)) or None
        return ConnectionSpec(ConnectionKind.PROFILE, region, profile, endpoint)

    def set_last_connection(self, spec: ConnectionSpec) -> None:
        self._qsettings.setValue("connection/kind", spec.kind.value)
        self._qsettings.setValue("connection/region", spec.region)
        self._qsettings.setValue("connection/profile", spec.profile or "")
        self._qsettings.setValue("connection/endpoint_url", spec.endpoint_url or "")

    # --- layout -------------------------------------------------------------------------------
    def bytes_value(self, key: str) -> QByteArray | None:
        value = self._qsettings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_bytes_value(self, key: str, value: QByteArray) -> None:
        self._qsettings.setValue(key, value)

    def str_value(self, key: str, default: str = "") -> str:
        return str(self._qsettings.value(key, default, str))

    def set_str_value(self, key: str, value: str) -> None:
        self._qsettings.setValue(key, value)

    def int_value(self, key: str, default: int) -> int:
        try:
            return int(str(self._qsettings.value(key, default)))
        except (TypeError, ValueError):
            return default

    def set_int_value(self, key: str, value: int) -> None:
        self._qsettings.setValue(key, value)

    @property
    def refresh_interval_s(self) -> int:
        return max(2, self.int_value("refresh/interval_s", DEFAULT_REFRESH_S))

    @refresh_interval_s.setter
    def refresh_interval_s(self, value: int) -> None:
        self.set_int_value("refresh/interval_s", value)
