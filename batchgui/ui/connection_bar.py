"""The bar at the top: which AWS profile (or the local sandbox), region and endpoint to talk to."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from batchgui.domain.connection import ConnectionKind, ConnectionSpec, ProfileInfo

LOCAL_KEY = "\x00local"


class ConnectionBar(QWidget):
    connect_requested = Signal(object)  # ConnectionSpec

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._profiles: dict[str, ProfileInfo] = {}
        self.target = QComboBox()
        self.target.setObjectName("connectionTarget")
        self.target.setMinimumWidth(170)
        self.target.setToolTip("The local sandbox, or a profile from your AWS config and credentials files")
        self.target.addItem("Local sandbox", LOCAL_KEY)
        self.region = QComboBox()
        self.region.setObjectName("connectionRegion")
        self.region.setEditable(True)
        self.region.setMinimumWidth(110)
        self.region.addItem("us-east-1")
        self.endpoint = QLineEdit()
        self.endpoint.setObjectName("connectionEndpoint")
        self.endpoint.setPlaceholderText("endpoint URL (optional)")
        self.endpoint.setClearButtonEnabled(True)
        self.endpoint.setToolTip("Leave empty for AWS's endpoints (or the profile's endpoint_url)")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setToolTip("Connect (Ctrl+Shift+C)")
        self.connect_button.clicked.connect(self._emit_connect)
        self.status = QLabel("Not connected")
        self.status.setObjectName("connectionStatus")
        # Screen readers name each control; the labels are buddies so Alt+letter jumps to them.
        self.target.setAccessibleName("Connection")
        self.region.setAccessibleName("Region")
        self.endpoint.setAccessibleName("Endpoint URL")
        self.connect_button.setAccessibleName("Connect")
        self.status.setAccessibleName("Connection status")
        target_label = QLabel("C&onnection:")
        target_label.setBuddy(self.target)
        region_label = QLabel("&Region:")
        region_label.setBuddy(self.region)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(target_label)
        layout.addWidget(self.target)
        layout.addWidget(region_label)
        layout.addWidget(self.region)
        layout.addWidget(self.endpoint, 1)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.status)
        self.target.currentIndexChanged.connect(self._target_changed)
        self._target_changed()
        # One stop per control, left to right.
        QWidget.setTabOrder(self.target, self.region)
        QWidget.setTabOrder(self.region, self.endpoint)
        QWidget.setTabOrder(self.endpoint, self.connect_button)

    def set_profiles(self, profiles: list[ProfileInfo]) -> None:
        current = self.target.currentData()
        self._profiles = {p.name: p for p in profiles}
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItem("Local sandbox", LOCAL_KEY)
        for profile in profiles:
            self.target.addItem(f"{profile.name}  ({profile.source.value})", profile.name)
        index = self.target.findData(current)
        self.target.setCurrentIndex(max(0, index))
        self.target.blockSignals(False)
        self._target_changed()

    def set_regions(self, regions: list[str]) -> None:
        current = self.region.currentText()
        self.region.clear()
        self.region.addItems(regions)
        self.region.setCurrentText(current or "us-east-1")

    def show_spec(self, spec: ConnectionSpec) -> None:
        """Reflect a connection made elsewhere (the remembered one, or the command line)."""
        if spec.kind is ConnectionKind.LOCAL:
            self.target.setCurrentIndex(0)
        else:
            index = self.target.findData(spec.profile)
            if index < 0:
                self.target.addItem(spec.profile or "default", spec.profile)
                index = self.target.count() - 1
            self.target.setCurrentIndex(index)
            self.region.setCurrentText(spec.region)
            self.endpoint.setText(spec.endpoint_url or "")

    def current_spec(self) -> ConnectionSpec:
        key = self.target.currentData()
        if key == LOCAL_KEY:
            return ConnectionSpec.local()
        region = self.region.currentText().strip() or "us-east-1"
        endpoint = self.endpoint.text().strip() or None
        return ConnectionSpec(ConnectionKind.PROFILE, region, str(key), endpoint)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _target_changed(self) -> None:
        is_local = self.target.currentData() == LOCAL_KEY
        self.region.setEnabled(not is_local)
        self.endpoint.setEnabled(not is_local)
        profile = self._profiles.get(str(self.target.currentData()))
        if profile is not None:
            if profile.region:
                self.region.setCurrentText(profile.region)
            self.endpoint.setPlaceholderText(profile.endpoint_url or "endpoint URL (optional)")

    def _emit_connect(self) -> None:
        self.connect_requested.emit(self.current_spec())
