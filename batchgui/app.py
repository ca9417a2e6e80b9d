"""Composition root: builds the QApplication, the qasync loop, the services and the window.

Import order matters for start-up time: nothing here imports boto3; the SDK loads on a worker
thread when the first connection opens, after the window has painted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QStandardPaths, QTimer, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from batchgui import resources
from batchgui.domain.batch import JobDefinition
from batchgui.domain.connection import ConnectionKind, ConnectionSpec, LocalEndpoint
from batchgui.domain.job_requests import SubmitJobRequest
from batchgui.services.app_info import AppInfo
from batchgui.services.connections import ConnectionManager
from batchgui.services.consumables import ConsumablesService
from batchgui.services.container import Services
from batchgui.services.files import FileService
from batchgui.services.inventory import InventoryService
from batchgui.services.job_monitor import JobMonitor
from batchgui.services.jobs import JobsService
from batchgui.services.journal import Journal
from batchgui.services.memory import freeze_long_lived
from batchgui.services.pricing import PricingService
from batchgui.services.runnable import RunnableService
from batchgui.services.runner import Runner
from batchgui.services.submission import SubmissionsService
from batchgui.services.tasks import TaskSet
from batchgui.services.training import TrainingService
from batchgui.services.upload import PendingUploads, UploadsService
from batchgui.ui.compute_envs.panel import ComputeEnvironmentsPanel
from batchgui.ui.connection_bar import ConnectionBar
from batchgui.ui.consumable_resources.panel import ConsumableResourcesPanel
from batchgui.ui.csv_wizard import CsvWizardLauncher
from batchgui.ui.dialogs import ask_mfa_code
from batchgui.ui.job_definitions.panel import JobDefinitionsPanel
from batchgui.ui.jobs.cost import InstanceLookup
from batchgui.ui.jobs.panel import JobsPanel
from batchgui.ui.jobs.runnable_pane import RunnableOpener
from batchgui.ui.main_window import MainWindow
from batchgui.ui.monitor.panel import MonitorPanel
from batchgui.ui.overview.panel import OverviewPanel
from batchgui.ui.queues.panel import JobQueuesPanel
from batchgui.ui.quota_shares.panel import QuotaSharesPanel
from batchgui.ui.scheduling_policies.panel import SchedulingPoliciesPanel
from batchgui.ui.service_environments.panel import ServiceEnvironmentsPanel
from batchgui.ui.service_jobs.panel import ServiceJobsPanel
from batchgui.ui.settings import AppSettings
from batchgui.ui.submissions.panel import SubmissionsPanel
from batchgui.ui.theme import Theme
from batchgui.ui.widgets.notifications import NotificationArea
from batchgui.ui.widgets.panel import Panel, PanelServices

log = logging.getLogger("batchgui")

PANEL_IDS = (
    "overview",
    "compute-environments",
    "job-queues",
    "job-definitions",
    "jobs",
    "monitor",
    "submissions",
    "scheduling-policies",
    "consumable-resources",
    "service-environments",
    "quota-shares",
    "service-jobs",
)
SHUTDOWN_BUDGET_S = 1.5
# On quit, how long the job history's last writes (behind a listing) may take to finish.
HISTORY_WAIT_S = 5.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="batchgui", description="A desktop app for AWS Batch.")
    where = parser.add_argument_group("connection (default: the last one used, else the local sandbox)")
    where.add_argument("--profile", help="AWS profile from your config/credentials files")
    where.add_argument("--region", help="AWS region, e.g. eu-west-1")
    where.add_argument("--endpoint-url", help="custom endpoint for every service")
    where.add_argument("--local", action="store_true", help="use the embedded local sandbox")
    shot = parser.add_argument_group("screenshot")
    shot.add_argument("--screenshot", metavar="PATH", type=Path, help="save a PNG of the window and exit")
    shot.add_argument("--panel", choices=PANEL_IDS, help="panel to show first")
    shot.add_argument("--after", type=float, default=2.0, metavar="SECONDS", help="wait before the shot")
    shot.add_argument(
        "--size", default="1280x800", metavar="WxH", help="window size for the shot (default 1280x800)"
    )
    paths = parser.add_argument_group("paths")
    paths.add_argument("--config-dir", type=Path, help="where settings are kept")
    paths.add_argument("--data-dir", type=Path, help="where the sandbox and history data are kept")
    paths.add_argument(
        "--no-job-history",
        action="store_true",
        help="keep no local history of finished jobs: every queue is listed from AWS in full",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser.parse_args(argv)


def initial_spec(args: argparse.Namespace, settings: AppSettings) -> ConnectionSpec:
    if args.local:
        return ConnectionSpec.local()
    if args.profile or args.region or args.endpoint_url:
        return ConnectionSpec(
            ConnectionKind.PROFILE,
            args.region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1",
            args.profile,
            args.endpoint_url,
        )
    if args.screenshot is not None:
        return ConnectionSpec.local()
    return settings.last_connection() or ConnectionSpec.local()


@dataclass
class LocalSandbox:
    """Starts the embedded sandbox on first use (on a worker thread) and stops it at exit."""

    data_dir: Path
    running: Any = field(default=None)

    def start(self) -> LocalEndpoint:
        from batchgui.sandbox import start_in_process

        self.running = start_in_process(self.data_dir)
        return LocalEndpoint(
            endpoint_url=self.running.endpoint_url,
            region=self.running.region,
            access_key_id=self.running.access_key_id,
            secret_access_key=self.running.secret_access_key,
        )

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


def _standard_dir(kind: QStandardPaths.StandardLocation) -> Path:
    return Path(QStandardPaths.writableLocation(kind))


def _setup_logging(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(data_dir / "batchgui.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # botocore logs request bodies at DEBUG; keep it quiet so nothing sensitive reaches the file.
    logging.getLogger("botocore").setLevel(logging.WARNING)


class Application:
    """Everything the running app is made of, wired together."""

    def __init__(
        self,
        args: argparse.Namespace,
        qt_app: QApplication,
        start_local: Callable[[], LocalEndpoint] | None = None,
    ) -> None:
        self.args = args
        self.qt_app = qt_app
        config_dir = args.config_dir or _standard_dir(QStandardPaths.StandardLocation.AppConfigLocation)
        self.data_dir: Path = args.data_dir or _standard_dir(QStandardPaths.StandardLocation.AppDataLocation)
        self.settings = AppSettings(config_dir / "batchgui.ini")
        self.sandbox = LocalSandbox(self.data_dir / "sandbox")
        self.runner = Runner()
        self.notifications = NotificationArea()
        self.tasks = TaskSet(self._report_error)
        self.connections = ConnectionManager(
            self.runner,
            start_local or self.sandbox.start,
            ask_mfa_code=lambda prompt: ask_mfa_code(self.window, prompt),
        )
        self.services = PanelServices(
            self.tasks,
            self.connections,
            self.settings,
            FileService(self.runner),
            self.runner.in_flight_changed,
        )
        self.inventory = InventoryService(self.runner, self.connections)
        self.connection_bar = ConnectionBar()
        # CSV submissions: the journal lives in the data folder so a crash or restart can resume.
        journal = Journal(self.data_dir / "submissions.sqlite3")
        self.facades = Services(
            self.runner,
            self.tasks,
            self.connections,
            inventory=self.inventory,
            # The gc.freeze policy is decided here, once, for the jobs table and the monitor.
            jobs=JobsService(
                self.runner,
                self.connections,
                freeze=freeze_long_lived,
                history_dir=None if args.no_job_history else self.data_dir,
            ),
            monitor=JobMonitor(
                self.runner,
                self.connections,
                self.data_dir,
                spawn=self.tasks.spawn,
                freeze=freeze_long_lived,
            ),
            app_info=AppInfo(self.runner, qVersion()),
            submissions=SubmissionsService(self.runner, self.connections, journal),
            uploads=UploadsService(
                self.runner, self.connections, PendingUploads(self.data_dir / "uploads.json")
            ),
            runnable=RunnableService(self.runner, self.connections),
            pricing=PricingService(
                self.runner, self.connections, self.data_dir / "prices", history_dir=self.data_dir
            ),
            consumables=ConsumablesService(self.runner, self.connections),
            training=TrainingService(self.runner, self.connections),
        )
        self.panels: list[Panel] = [
            OverviewPanel(
                self.services, self.facades.monitor, self.inventory, submissions=self.facades.submissions
            ),
            ComputeEnvironmentsPanel(self.services, self.inventory),
            JobQueuesPanel(self.services, self.inventory),
            JobDefinitionsPanel(self.services, self.inventory),
            SchedulingPoliciesPanel(self.services, self.inventory),
            ConsumableResourcesPanel(self.services, self.inventory, self.facades.consumables),
            ServiceEnvironmentsPanel(self.services, self.inventory, self.facades.training),
            QuotaSharesPanel(self.services, self.inventory, self.facades.training),
            ServiceJobsPanel(self.services, self.inventory, self.facades.training),
            JobsPanel(self.services, self.facades.jobs, self.facades.monitor.store),
            MonitorPanel(self.services, self.facades.monitor),
            SubmissionsPanel(self.services, self.facades.submissions),
        ]
        self.window = MainWindow(
            self.services,
            self.panels,
            self.notifications,
            self.connection_bar,
            app_info=self.facades.app_info,
        )
        self.window.setWindowIcon(QIcon(str(resources.path("icons/batchgui.svg"))))
        self.connection_bar.connect_requested.connect(self.connect)
        self.window.closing.connect(self.shutdown)
        self._wire_submit_from_definition()
        self._wire_why_runnable()
        self.csv_wizard = CsvWizardLauncher(
            self.window,
            self.services,
            self.facades.uploads,
            self.facades.submissions,
            self._follow_submission,
            pricing=self.facades.pricing,
        )
        next(p for p in self.panels if isinstance(p, SubmissionsPanel)).set_empty_action(
            self.csv_wizard.action
        )
        self.connect_task: asyncio.Task[Any] | None = None
        self._shut_down = False

    def _wire_submit_from_definition(self) -> None:
        """'Submit job…' on a job definition opens the Jobs panel's Submit dialog for it."""
        definitions = next(p for p in self.panels if isinstance(p, JobDefinitionsPanel))
        jobs = next(p for p in self.panels if isinstance(p, JobsPanel))

        def submit(definition: JobDefinition) -> None:
            self.window.show_panel(jobs.panel_id)
            prefill = SubmitJobRequest(job_definition=definition.name_revision)
            jobs.spawn(jobs.submit_new(prefill), "Submit job")

        definitions.on_submit = submit
        submissions = next(p for p in self.panels if isinstance(p, SubmissionsPanel))

        def open_job(job_id: str, log: bool) -> None:
            self.window.show_panel(jobs.panel_id)
            jobs.open_job(job_id, log)

        submissions.on_open_job = open_job  # a Submissions row opens its job (and log) in Jobs
        submissions.cost_line.pricing = self.facades.pricing  # its cost line (ui/submissions/cost.py)
        submissions.cost_line.spawn = self.tasks.spawn

    def _wire_why_runnable(self) -> None:
        """The Jobs context menu, the Monitor's oldest-RUNNABLE tile and the Service jobs panel open the
        "Why?" pane."""
        opener = RunnableOpener(self.facades.runnable, self.tasks.spawn, self.window)
        for panel in self.panels:
            if isinstance(panel, JobsPanel):
                panel.on_why_runnable = opener.open
                opener.serve_details(panel.details)
                lookup = InstanceLookup(self.facades.pricing, self.tasks.spawn)
                lookup.serve_details(panel.details)
                lookup.serve_table(panel.model)
            elif isinstance(panel, MonitorPanel):
                panel.why_runnable.open_pane = opener.open
                panel.cost.runnable = self.facades.runnable  # fair-share usage for the share plot
                panel.cost.pricing = self.facades.pricing  # cost per day from the local jobs history
            elif isinstance(panel, ServiceJobsPanel):
                panel.on_why_runnable = opener.open_service_job

    def _follow_submission(self, submission_id: str) -> None:
        panel = self.window.show_panel("submissions")
        if isinstance(panel, SubmissionsPanel):
            panel.refresh()
            panel.select(submission_id)

    def _report_error(self, what: str, error: BaseException) -> None:
        self.window.report_error(what, error)
        if what.startswith("Connect"):
            # Without a connection nothing else works: show why right away, not only in the status bar.
            self.window.messages_dock.show()

    def connect(self, spec: ConnectionSpec) -> None:
        if self.connect_task is not None and not self.connect_task.done():
            self.connect_task.cancel()
        self.connect_task = self.tasks.spawn(self._connect(spec), f"Connect to {spec.label}")

    async def _connect(self, spec: ConnectionSpec) -> None:
        await self.connections.connect(spec)
        # Remembered only once it worked, so a broken profile is not what the next start opens.
        self.settings.set_last_connection(spec)

    async def load_choices(self) -> None:
        """Profiles and regions for the connection bar, read on a worker (botocore parses files)."""
        profiles = await self.connections.profiles()
        self.connection_bar.set_profiles(profiles)
        self.connection_bar.set_regions(await self.connections.regions())

    def start(self, spec: ConnectionSpec) -> None:
        self.window.restore_layout()
        if self.args.screenshot is not None:
            # A screenshot is the same size whatever the last session's window was.
            width, _, height = str(self.args.size).partition("x")
            self.window.resize(int(width), int(height))
        if self.args.panel:
            self.window.show_panel(self.args.panel)
        self.connection_bar.show_spec(spec)
        self.window.show()
        # After the first paint: open the connection and read profiles, off the critical path.
        QTimer.singleShot(0, lambda: self.connect(spec))
        QTimer.singleShot(0, lambda: self.tasks.spawn(self.load_choices(), "Read AWS profiles"))

    def shutdown(self) -> None:
        """Stop everything within SHUTDOWN_BUDGET_S, even with calls in flight."""
        if self._shut_down:
            return
        self._shut_down = True
        self.facades.monitor.stop()
        self.tasks.cancel_all()
        self.connections.close()
        self.facades.jobs.close()
        self.runner.close(timeout_s=0.3)
        stopper = threading.Thread(target=self.sandbox.stop, name="sandbox-stop", daemon=True)
        stopper.start()
        stopper.join(SHUTDOWN_BUDGET_S)


async def take_screenshot(app: Application, path: Path, after_s: float) -> int:
    """Wait for the connection and the shown panel's first load, then save the window as PNG."""
    deadline = time.monotonic() + 60
    while app.connect_task is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if app.connect_task is not None:
        await asyncio.wait([app.connect_task], timeout=max(1.0, deadline - time.monotonic()))
    panel = app.window.current_panel()
    while panel.load_count == 0 and time.monotonic() < deadline and not app.notifications.notifications():
        await asyncio.sleep(0.05)
    await asyncio.sleep(after_s)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = app.window.grab().save(str(path))
    print(f"screenshot: {path}" if saved else f"screenshot: could not write {path}", flush=True)
    return 0 if saved else 1


def _install_exception_hooks(app: Application, loop: asyncio.AbstractEventLoop) -> None:
    def excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught exception", exc_info=(kind, error, tb))
        try:
            app.window.notifications.notify(
                "Unexpected error", f"{kind.__name__}: {error}", "".join(traceback.format_tb(tb))
            )
            app.window.statusBar().showMessage(
                "Unexpected error — the app keeps running; details in Messages (Ctrl+M)", 10000
            )
        except Exception:
            traceback.print_exception(kind, error, tb)

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            excepthook(type(error), error, error.__traceback__)
        else:
            log.error("event loop: %s", context.get("message"))

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)


def _report_first_rows(app: Application, report: Callable[[], None]) -> None:
    """launch_to_job_rows_s: `report` once the shown Jobs panel has painted its first rows."""
    panel = app.window.current_panel()
    if isinstance(panel, JobsPanel) and panel.model.rowCount() > 0:
        panel.table.viewport().repaint()
        report()
    else:
        QTimer.singleShot(5, lambda: _report_first_rows(app, report))


def run(argv: list[str] | None = None) -> int:
    started = time.time()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        from batchgui import __version__

        print(f"batchgui {__version__}")
        return 0
    from batchgui.ui.event_loop import EventLoop

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("batchgui")
    qt_app.setOrganizationName("batchgui")
    qt_app.setApplicationDisplayName("batchgui")
    # Light or dark, following the system's colour scheme unless BATCHGUI_THEME says light/dark.
    Theme(qt_app, os.environ.get("BATCHGUI_THEME", "system"))
    from batchgui.ui.about import APP_ID

    # Wayland compositors match the window to its .desktop entry (name, icon) by this id.
    qt_app.setDesktopFileName(APP_ID)
    loop = EventLoop(qt_app)
    asyncio.set_event_loop(loop)
    app = Application(args, qt_app)
    _setup_logging(app.data_dir)
    _install_exception_hooks(app, loop)
    exit_code = 0
    if os.environ.get("BATCHGUI_EXIT_AFTER_FIRST_PAINT"):
        # Start-up benchmarks: report how long until the window first painted (or, with "rows", the
        # Jobs panel's first rows), then leave.
        def painted() -> None:
            print(f"first-paint-s {time.time() - started:.4f} epoch {time.time():.4f}", flush=True)
            QTimer.singleShot(0, app.window.close)

        rows = os.environ["BATCHGUI_EXIT_AFTER_FIRST_PAINT"] == "rows"
        app.window.first_painted.connect(lambda: _report_first_rows(app, painted) if rows else painted())
    closed = asyncio.Event()
    qt_app.aboutToQuit.connect(closed.set)
    qt_app.lastWindowClosed.connect(closed.set)
    app.start(initial_spec(args, app.settings))
    with loop:
        if args.screenshot is not None:
            exit_code = loop.run_until_complete(take_screenshot(app, args.screenshot, args.after))
            app.window.close()
        else:
            loop.run_until_complete(closed.wait())
        # The job history is written behind each listing: let the last writes finish (bounded).
        with contextlib.suppress(TimeoutError):
            loop.run_until_complete(asyncio.wait_for(app.facades.jobs.history_written(), HISTORY_WAIT_S))
    app.shutdown()
    return exit_code
