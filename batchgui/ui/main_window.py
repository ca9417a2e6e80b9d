"""The main window: connection bar, navigation, panels, status bar and the message area."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import metadata

from PySide6.QtCore import QByteArray, QSize, Qt, QUrl, Signal, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from batchgui.domain.connection import CallerIdentity, ConnectionInfo
from batchgui.services.app_info import AppInfo
from batchgui.ui.connection_bar import ConnectionBar
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.shortcuts import ShortcutsDialog, collect_shortcuts
from batchgui.ui.widgets.icons import icon, panel_icon
from batchgui.ui.widgets.links import PanelLink
from batchgui.ui.widgets.notifications import NotificationArea
from batchgui.ui.widgets.panel import ListPanel, Panel, PanelServices

FALLBACK_URLS = {
    "Homepage": "https://github.com/batchgui/batchgui",
    "Issues": "https://github.com/batchgui/batchgui/issues",
}


def project_url(label: str) -> str:
    """A URL the package declares (pyproject's [project.urls]), e.g. "Issues"."""
    try:
        entries = metadata.metadata("batchgui").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        entries = []
    for entry in entries:
        name, _, url = entry.partition(",")
        if name.strip().lower() == label.lower():
            return str(url).strip()
    return FALLBACK_URLS[label]


# The sidebar may be dragged this narrow (labels elide, with tooltips) and this much wider than its labels.
NAVIGATION_MIN_WIDTH = 120
NAVIGATION_SLACK = 60
# The sidebar width someone dragged to, in pixels (0 or absent: fitted to the labels at each start).
# It replaces "window/splitter", the splitter's saved state, which is no longer read.
SIDEBAR_WIDTH_KEY = "window/sidebar_width"


def navigation_width(navigation: QListWidget) -> int:
    """The width that shows every item of `navigation` uncut: the widest item as the list's delegate
    lays it out (icon, text and their margins, in the list's own font and style), the list's spacing
    either side, its frame, and a vertical scroll bar should one appear."""
    widest = navigation.sizeHintForColumn(0)
    margins = 2 * navigation.spacing() + 2 * navigation.frameWidth()
    scroll_bar = navigation.style().pixelMetric(navigation.style().PixelMetric.PM_ScrollBarExtent)
    return max(widest, 0) + margins + scroll_bar


class MainWindow(QMainWindow):
    first_painted = Signal()
    closing = Signal()

    def __init__(
        self,
        services: PanelServices,
        panels: Sequence[Panel],
        notifications: NotificationArea,
        connection_bar: ConnectionBar,
        parent: QWidget | None = None,
        *,
        app_info: AppInfo,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        # Qt adds the application's display name ("batchgui") itself: the title says where you are.
        self.setWindowTitle("AWS Batch")
        self.resize(1280, 800)
        self._services = services
        self._app_info = app_info
        self._painted = False
        self._shown = False
        # How links leave the app (the system browser); a test replaces it.
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.panels = list(panels)
        self.notifications = notifications
        self.connection_bar = connection_bar

        bar = QToolBar("Connection")
        bar.setObjectName("connectionToolbar")
        bar.setMovable(False)
        bar.addWidget(connection_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setSpacing(3)
        # Names are elided (with the whole name in a tooltip) rather than scrolled sideways when
        # someone drags the sidebar narrower than its labels.
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.stack = QStackedWidget()
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setAccessibleName("Panels")
        for panel in self.panels:
            item = QListWidgetItem(panel_icon(panel.panel_id), panel.title)
            item.setToolTip(panel.title)
            self.navigation.addItem(item)
            self.stack.addWidget(panel)
            links = getattr(panel, "link_activated", None)
            if isinstance(links, SignalInstance):
                links.connect(self.follow_link)
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.navigation)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        # The width someone dragged the sidebar to (0: none), kept this session and the next. Until
        # then the sidebar is fitted to its labels at each start: the splitter state an older version
        # saved (180 px) cut "Compute environme…" at every start after.
        self._sidebar_chosen = 0
        self.splitter.splitterMoved.connect(self._sidebar_dragged)
        self._size_sidebar()
        self.setCentralWidget(self.splitter)

        self.messages_dock = QDockWidget("Messages", self)
        self.messages_dock.setObjectName("messagesDock")
        self.messages_dock.setWidget(notifications)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.messages_dock)
        self.messages_dock.hide()

        self.connection_label = QLabel("Not connected")
        self.account_label = QLabel("")
        self.in_flight_label = QLabel("")
        self.messages_button = QToolButton()
        self.messages_button.setText("No messages")
        self.messages_button.setAutoRaise(True)
        self.messages_button.clicked.connect(self.toggle_messages)
        status = self.statusBar()
        status.addWidget(self.connection_label)
        status.addWidget(self.account_label)
        status.addPermanentWidget(self.in_flight_label)
        status.addPermanentWidget(self.messages_button)
        notifications.count_changed.connect(self._messages_counted)
        services.calls_in_flight.add(self._in_flight)
        services.connections.info_changed.add(self._connection_changed)
        services.connections.status.add(self._connection_status)
        services.connections.identity_known.add(self._identity)
        self._panel_status: QWidget | None = None
        self.navigation.currentRowChanged.connect(self._show_panel_status)
        self._build_menus()
        self.navigation.setCurrentRow(0)

    # --- menus and shortcuts ------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        connect = QAction(icon("connect"), "&Connect", self)
        connect.setShortcut(QKeySequence("Ctrl+Shift+C"))
        connect.triggered.connect(self.connection_bar.connect_button.click)
        file_menu.addAction(connect)
        file_menu.addSeparator()
        quit_action = QAction(icon("quit"), "&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        refresh = QAction(icon("refresh"), "&Refresh", self)
        refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        refresh.triggered.connect(self.refresh_current)
        view_menu.addAction(refresh)
        find = QAction(icon("filter"), "&Filter", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.current_panel().focus_filter())
        view_menu.addAction(find)
        view_menu.addSeparator()
        for number, panel in enumerate(self.panels, start=1):
            action = QAction(panel_icon(panel.panel_id), panel.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, p=panel.panel_id: self.show_panel(p))
            view_menu.addAction(action)
        view_menu.addSeparator()
        messages = QAction(icon("messages"), "&Messages", self)
        messages.setShortcut(QKeySequence("Ctrl+M"))
        messages.triggered.connect(self.toggle_messages)
        view_menu.addAction(messages)

        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = QAction(icon("help"), "&Keyboard shortcuts", self)
        shortcuts.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        if shortcuts.shortcut().isEmpty():
            shortcuts.setShortcut(QKeySequence(Qt.Key.Key_F1))
        shortcuts.triggered.connect(self.show_shortcuts)
        help_menu.addAction(shortcuts)
        documentation = QAction("&Documentation", self)
        documentation.triggered.connect(lambda: self.open_url(QUrl(project_url("Homepage") + "#readme")))
        help_menu.addAction(documentation)
        report = QAction("&Report a problem…", self)
        report.triggered.connect(lambda: self.open_url(QUrl(project_url("Issues"))))
        help_menu.addAction(report)
        help_menu.addSeparator()
        about = QAction(icon("info"), "&About batchgui", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = self.findChild(ShortcutsDialog)
        if dialog is None:
            dialog = ShortcutsDialog(collect_shortcuts(self, [(p.title, p) for p in self.panels]), self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _about(self) -> None:
        from batchgui.ui.about import AboutDialog

        dialog = self.findChild(AboutDialog)
        if dialog is None:
            dialog = AboutDialog(self._app_info, self._services.tasks, self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    # --- panels -------------------------------------------------------------------------------
    def current_panel(self) -> Panel:
        return self.panels[self.stack.currentIndex()]

    def panel(self, panel_id: str) -> Panel:
        for panel in self.panels:
            if panel.panel_id == panel_id:
                return panel
        raise KeyError(panel_id)

    def show_panel(self, panel_id: str) -> Panel:
        panel = self.panel(panel_id)
        self.navigation.setCurrentRow(self.panels.index(panel))
        return panel

    def follow_link(self, link: PanelLink) -> Panel:
        """Show the panel a link names, filtered as it says (a queue and status tab in Jobs, the
        filter text in a list panel)."""
        panel = self.show_panel(link.panel_id)
        if isinstance(panel, JobsPanel):
            panel.set_status_tab(link.status)
            panel.select_queues([link.queue] if link.queue else [])
            if link.job_id:
                panel.show_job(link.job_id)
        elif isinstance(panel, ListPanel):
            panel.filter_edit.setText(link.filter_text)
        return panel

    def refresh_current(self) -> None:
        self.current_panel().refresh()

    def toggle_messages(self) -> None:
        self.messages_dock.setVisible(not self.messages_dock.isVisible())

    def report_error(self, what: str, error: BaseException) -> None:
        self.notifications.notify_error(what, error)
        self.statusBar().showMessage(f"{what} failed — see Messages (Ctrl+M)", 8000)

    # --- status -------------------------------------------------------------------------------
    def _messages_counted(self, count: int) -> None:
        self.messages_button.setText(
            f"{count} message{'s' if count != 1 else ''}" if count else "No messages"
        )

    def _in_flight(self, count: int) -> None:
        self.in_flight_label.setText(f"{count} call{'s' if count != 1 else ''} in flight" if count else "")

    def _show_panel_status(self, row: int) -> None:
        """The shown panel's status line (Panel.status_widget) in the status bar, the last one's out."""
        status = self.statusBar()
        if self._panel_status is not None:
            status.removeWidget(self._panel_status)
        widget = self.panels[row].status_widget if 0 <= row < len(self.panels) else None
        self._panel_status = widget
        if widget is not None:
            status.addWidget(widget, 1)
            widget.show()

    def _connection_changed(self, connection: ConnectionInfo | None) -> None:
        self.connection_label.setText(connection.label if connection else "Not connected")
        self.account_label.setText("")

    def _connection_status(self, text: str) -> None:
        self.connection_bar.set_status(text)

    def _identity(self, identity: CallerIdentity) -> None:
        self.account_label.setText(f"Account {identity.account}")
        self.account_label.setToolTip(identity.arn)

    # --- layout persistence -------------------------------------------------------------------
    def restore_layout(self) -> None:
        settings = self._services.settings
        geometry = settings.bytes_value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.bytes_value("window/state")
        if state is not None:
            self.restoreState(state)
        self._sidebar_chosen = max(0, settings.int_value(SIDEBAR_WIDTH_KEY, 0))
        last_panel = settings.str_value("window/panel")
        if last_panel:
            try:
                self.show_panel(last_panel)
            except KeyError:
                pass
        for panel in self.panels:
            panel.restore_state(settings)

    def save_layout(self) -> None:
        settings = self._services.settings
        settings.set_bytes_value("window/geometry", QByteArray(self.saveGeometry()))
        settings.set_bytes_value("window/state", QByteArray(self.saveState()))
        settings.set_int_value(SIDEBAR_WIDTH_KEY, self._sidebar_chosen)
        settings.set_str_value("window/panel", self.current_panel().panel_id)
        for panel in self.panels:
            panel.save_state(settings)
        settings.sync()

    def _size_sidebar(self) -> None:
        """The sidebar as wide as its longest label needs, whatever the font and style.

        Called again when the window is first shown, once the splitter has its real width and the
        last session's state is back: a width someone chose by dragging stays as it was."""
        fitted = navigation_width(self.navigation)
        self.navigation.setMinimumWidth(min(fitted, NAVIGATION_MIN_WIDTH))
        self.navigation.setMaximumWidth(fitted + NAVIGATION_SLACK)
        sidebar = self._sidebar_chosen or fitted
        # In pixels of the width the splitter has now (setSizes shares out by proportion).
        total = max(self.splitter.width(), sidebar + 1) - self.splitter.handleWidth()
        self.splitter.setSizes([sidebar, total - sidebar])

    def _sidebar_dragged(self, position: int, index: int) -> None:
        if index == 1:  # the handle between the sidebar and the panels
            self._sidebar_chosen = max(1, position)

    # --- events -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        if not self._shown:  # the layout has given the splitter its real width by now
            self._shown = True
            self._size_sidebar()
        super().showEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.closing.emit()
        super().closeEvent(event)
