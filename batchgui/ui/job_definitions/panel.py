"""Job definitions grouped by name with their revisions: register from a form or JSON, new revision,
compare revisions, deregister, tags, and submit a job from a definition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QWidget

from batchgui.domain.batch import JobDefinition
from batchgui.ui.dialogs import confirm
from batchgui.ui.job_definitions.form import (
    JobDefinitionDialog,
    RevisionDiffDialog,
    request_from_definition,
    starter_request,
)
from batchgui.ui.widgets.actions import (
    action_bar,
    add_action,
    add_filter_combo,
    admin_gateway,
    edit_tags,
    tell,
)
from batchgui.ui.widgets.panel import ListPanel, PanelServices
from batchgui.ui.widgets.table_model import Column

STATUS_CHOICES = ["Active", "Inactive", "All statuses"]


def _float(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


class JobDefinitionsPanel(ListPanel[JobDefinition]):
    panel_id = "job-definitions"
    title = "Job definitions"

    def __init__(self, services: PanelServices, parent: QWidget | None = None) -> None:
        self._revision_counts: Counter[str] = Counter()
        columns: list[Column[JobDefinition]] = [
            Column("Name", lambda d: d.name, lambda d: (d.name, -d.revision), width=180),
            Column("Revision", lambda d: str(d.revision), lambda d: d.revision, align_right=True, width=65),
            Column(
                "Revisions",
                lambda d: str(self._revision_counts[d.name]),
                lambda d: self._revision_counts[d.name],
                align_right=True,
                width=65,
            ),
            Column("Status", lambda d: d.status, width=75),
            Column("Platform", lambda d: d.platform, width=75),
            Column("Image", lambda d: d.image, tooltip=lambda d: d.image, width=200),
            Column("vCPU", lambda d: d.vcpus or "", lambda d: _float(d.vcpus), align_right=True, width=50),
            Column(
                "Memory (MiB)",
                lambda d: d.memory_mib or "",
                lambda d: _float(d.memory_mib),
                align_right=True,
                width=90,
            ),
            Column("GPU", lambda d: d.gpus or "", lambda d: _float(d.gpus), align_right=True, width=40),
            Column(
                "Command", lambda d: " ".join(d.command), tooltip=lambda d: " ".join(d.command), width=200
            ),
            Column(
                "Timeout (s)",
                lambda d: str(d.timeout_s or ""),
                lambda d: d.timeout_s,
                align_right=True,
                width=80,
            ),
            Column(
                "Retries",
                lambda d: str(d.retry_attempts or ""),
                lambda d: d.retry_attempts,
                align_right=True,
                width=55,
            ),
            Column("Log driver", lambda d: d.log_driver, width=80),
        ]
        super().__init__(services, columns, lambda d: d.arn, parent)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.status_filter = add_filter_combo(self, "Status", STATUS_CHOICES)
        self.status_filter.currentTextChanged.connect(lambda _text: self.refresh())
        self.latest_only = QCheckBox("Latest revision only")
        self.latest_only.setObjectName("job-definitions-latest-only")
        self.latest_only.toggled.connect(self._apply_filters)
        action_bar(self).addWidget(self.latest_only)
        action_bar(self).addSeparator()
        add_action(
            self,
            "Register…",
            self.register_new,
            shortcut="Ctrl+Shift+N",
            tooltip="Register a new definition",
            needs_selection=False,
        )
        revision = add_action(
            self, "New revision…", self.new_revision, shortcut="Ctrl+E", tooltip="Register a changed copy"
        )
        compare = add_action(
            self, "Compare…", self.compare, shortcut="Ctrl+D", tooltip="Diff two revisions side by side"
        )
        self.submit_button = add_action(
            self, "Submit job…", self.submit_job, tooltip="Submit a job from this definition"
        )
        tags = add_action(self, "Tags…", self.tags, shortcut="Ctrl+T", tooltip="View and edit tags")
        deregister = add_action(
            self,
            "Deregister…",
            self.deregister,
            shortcut=QKeySequence.StandardKey.Delete,
            tooltip="Mark INACTIVE",
        )
        # The same actions in the right-click menu, with their shortcuts and enabled state.
        self.row_actions = [revision, compare, self.submit_button, tags, deregister]
        self.dialog: JobDefinitionDialog | None = None
        self.diff_dialog: RevisionDiffDialog | None = None
        # Set by the composition root to open the Submit job dialog for a definition.
        self.on_submit: Callable[[JobDefinition], None] | None = None

    async def load(self) -> None:
        backend = self.backend
        assert backend is not None  # refresh() loads only while connected
        choice = self.status_filter.currentText()
        status = None if choice.startswith("All") else choice.upper()
        batch = await self.services.runner.run(lambda: backend.batch)
        rows = await self.services.runner.run(batch.describe_job_definitions, status)
        self._revision_counts = Counter(d.name for d in rows)
        self.model.set_rows(rows)
        self._apply_filters()

    def _apply_filters(self, *_args: object) -> None:
        if not self.latest_only.isChecked():
            self.model.set_row_filter(None)
            return
        latest: dict[str, int] = {}
        for d in self.model.all_rows():
            latest[d.name] = max(latest.get(d.name, 0), d.revision)
        self.model.set_row_filter(lambda d: latest.get(d.name) == d.revision)

    def row_details(self, row: JobDefinition) -> list[tuple[str, str]]:
        return [
            ("Name:revision", row.name_revision),
            ("ARN", row.arn),
            ("Status", row.status),
            ("Platform", row.platform),
            ("Image", row.image),
            ("vCPU / memory (MiB) / GPU", f"{row.vcpus} / {row.memory_mib} / {row.gpus or 0}"),
            ("Command", " ".join(row.command)),
            ("Timeout (s)", str(row.timeout_s or "")),
            ("Retry attempts", str(row.retry_attempts or "")),
            ("Log driver", row.log_driver),
            ("Log options", "\n".join(f"{k}={v}" for k, v in sorted(row.log_options.items()))),
            ("Parameters", "\n".join(f"{k}={v}" for k, v in sorted(row.parameters.items()))),
            ("Tags", "\n".join(f"{k}={v}" for k, v in sorted(row.tags.items()))),
        ]

    # --- register -----------------------------------------------------------------------------
    def register_new(self) -> None:
        self.spawn(self._register(None), "Register job definition")

    def new_revision(self) -> None:
        definition = self.selected_row()
        if definition is not None:
            self.spawn(self._register(definition), f"New revision of {definition.name}")

    async def _register(self, base: JobDefinition | None) -> None:
        backend = self.backend
        if backend is None:
            return
        try:
            iam = await self.services.runner.run(lambda: backend.iam)
            roles = [r.arn for r in await self.services.runner.run(iam.list_roles)]
        except Exception:
            roles = []  # no IAM access: the role fields stay free text
        request = request_from_definition(base) if base else starter_request(roles[0] if roles else "")
        title = f"New revision of {base.name}" if base else "Register job definition"

        async def send(body: dict[str, Any]) -> None:
            admin = await admin_gateway(self, backend)
            await self.services.runner.run(admin.register_job_definition, body)

        self.dialog = JobDefinitionDialog(request, send, roles, title, self)
        try:
            if await self.dialog.ask():
                self.refresh()
        finally:
            self.dialog.deleteLater()
            self.dialog = None

    # --- compare ------------------------------------------------------------------------------
    def compare(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.spawn(self._compare(rows), f"Compare revisions of {rows[0].name}")

    async def _compare(self, rows: list[JobDefinition]) -> None:
        backend = self.backend
        if backend is None:
            return
        first = rows[0]
        admin = await admin_gateway(self, backend)
        revisions = await self.services.runner.run(admin.job_definition_revisions, first.name)
        if len(revisions) < 2:
            await tell(self, "Compare revisions", f"{first.name} has only one revision.")
            return
        picked = sorted(r.revision for r in rows if r.name == first.name)
        if len(picked) >= 2:
            left, right = picked[0], picked[-1]
        else:
            older = [r.revision for r in revisions if r.revision < first.revision]
            left, right = (max(older), first.revision) if older else (first.revision, revisions[0].revision)
        self.diff_dialog = RevisionDiffDialog(revisions, left, right, self)
        self.diff_dialog.setModal(False)
        self.diff_dialog.finished.connect(self.diff_dialog.deleteLater)
        self.diff_dialog.show()

    # --- deregister ---------------------------------------------------------------------------
    def deregister(self) -> None:
        rows = [d for d in self.selected_rows() if d.status == "ACTIVE"]
        if rows:
            self.spawn(self._deregister(rows), "Deregister job definitions")

    async def _deregister(self, rows: list[JobDefinition]) -> None:
        backend = self.backend
        if backend is None:
            return
        names = "\n".join(f"  • {d.name_revision}" for d in rows)
        text = (
            f"Deregister {len(rows)} revision(s)?\n\n{names}\n\n"
            "They become INACTIVE: new jobs can't use them; jobs already submitted keep running. "
            "This can't be undone (register a new revision instead)."
        )
        if not await confirm(self, "Deregister job definition", text, "Deregister"):
            return
        admin = await admin_gateway(self, backend)
        for d in rows:
            await self.services.runner.run(admin.deregister_job_definition, d.arn)
        self.refresh()

    # --- others -------------------------------------------------------------------------------
    def tags(self) -> None:
        definition = self.selected_row()
        if definition is not None:
            self.spawn(edit_tags(self, definition.arn), f"Tags of {definition.name_revision}")

    def submit_job(self) -> None:
        definition = self.selected_row()
        if definition is None:
            return
        if self.on_submit is None:
            self.spawn(tell(self, "Submit job", "Submitting is not available in this window."), "Submit job")
            return
        self.on_submit(definition)
