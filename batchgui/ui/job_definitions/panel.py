"""Job definitions grouped by name with their revisions: register from a form or JSON, new revision,
compare revisions, deregister, tags, and submit a job from a definition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox

from batchgui.domain.batch import JobDefinition
from batchgui.domain.definition_request import JobDefinitionRequest
from batchgui.ui.job_definitions.form import JobDefinitionDialog, RevisionDiffDialog
from batchgui.ui.widgets.actions import InventoryPanel, action_bar, add_filter_combo, tags_text, tell
from batchgui.ui.widgets.table_model import Column

SortKey = Callable[[JobDefinition], Any]
STATUS_CHOICES = ["Active", "Inactive", "All statuses"]


def _float(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


class JobDefinitionsPanel(InventoryPanel[JobDefinition]):
    panel_id = "job-definitions"
    title = "Job definitions"

    # Revisions per definition name, for the Revisions column (replaced by each load).
    _revision_counts: Counter[str] = Counter()
    dialog: JobDefinitionDialog | None = None
    diff_dialog: RevisionDiffDialog | None = None
    # Set by the composition root to open the Submit job dialog for a definition.
    on_submit: Callable[[JobDefinition], None] | None = None

    def make_columns(self) -> list[Column[JobDefinition]]:
        def right(
            title: str, text: Callable[[JobDefinition], str], key: SortKey, width: int
        ) -> Column[JobDefinition]:
            return Column(title, text, key, align_right=True, width=width)

        def command(d: JobDefinition) -> str:
            return " ".join(d.command)

        return [
            Column("Name", lambda d: d.name, lambda d: (d.name, -d.revision), width=180),
            right("Revision", lambda d: str(d.revision), lambda d: d.revision, 65),
            right(
                "Revisions",
                lambda d: str(self._revision_counts[d.name]),
                lambda d: self._revision_counts[d.name],
                65,
            ),
            Column("Status", lambda d: d.status, width=75),
            Column("Platform", lambda d: d.platform, width=75),
            Column("Image", lambda d: d.image, tooltip=lambda d: d.image, width=200),
            right("vCPU", lambda d: d.vcpus or "", lambda d: _float(d.vcpus), 50),
            right("Memory (MiB)", lambda d: d.memory_mib or "", lambda d: _float(d.memory_mib), 90),
            right("GPU", lambda d: d.gpus or "", lambda d: _float(d.gpus), 40),
            Column("Command", command, tooltip=command, width=200),
            right("Timeout (s)", lambda d: str(d.timeout_s or ""), lambda d: d.timeout_s, 80),
            right("Retries", lambda d: str(d.retry_attempts or ""), lambda d: d.retry_attempts, 55),
            Column("Log driver", lambda d: d.log_driver, width=80),
        ]

    def add_actions(self) -> None:
        self.status_filter = add_filter_combo(self, "Status", STATUS_CHOICES)
        self.status_filter.currentTextChanged.connect(lambda _text: self.refresh())
        self.latest_only = QCheckBox("Latest revision only")
        self.latest_only.setObjectName("job-definitions-latest-only")
        self.latest_only.toggled.connect(self._apply_filters)
        action_bar(self).addWidget(self.latest_only)
        action_bar(self).addSeparator()
        self.add_create_action("Register…", self.register_new, "Register a new definition")
        self.add_row_action("New revision…", self.new_revision, "Register a changed copy", "Ctrl+E")
        self.add_row_action(
            "Compare…", self.compare, "Diff two revisions, or two definitions, side by side", "Ctrl+D"
        )
        self.submit_button = self.add_row_action(
            "Submit job…", self.submit_job, "Submit a job from this definition"
        )
        self.add_tags_action()
        self.add_delete_action("Mark INACTIVE", "Deregister…")

    async def load(self) -> None:
        choice = self.status_filter.currentText()
        rows = await self.inventory.job_definitions(None if choice.startswith("All") else choice.upper())
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

    def detail_name(self, row: JobDefinition) -> tuple[str, str]:
        return "Name:revision", row.name_revision

    def more_details(self, row: JobDefinition) -> list[tuple[str, str]]:
        return [
            ("Status", row.status),
            ("Platform", row.platform),
            ("Image", row.image),
            ("vCPU / memory (MiB) / GPU", f"{row.vcpus} / {row.memory_mib} / {row.gpus or 0}"),
            ("Command", " ".join(row.command)),
            ("Timeout (s)", str(row.timeout_s or "")),
            ("Retry attempts", str(row.retry_attempts or "")),
            ("Log driver", row.log_driver),
            ("Log options", "\n".join(f"{k}={v}" for k, v in sorted(row.log_options.items()))),
            ("Parameters", tags_text(row.parameters)),
        ]

    # --- register -----------------------------------------------------------------------------
    def register_new(self) -> None:
        self.spawn(self._register(None), "Register job definition")

    def new_revision(self) -> None:
        self.for_selected(self._register, "New revision of")

    async def _register(self, base: JobDefinition | None) -> None:
        roles = await self.inventory.role_arns()
        if base is not None:
            request, title = JobDefinitionRequest.from_definition(base), f"New revision of {base.name}"
        else:
            request, title = (
                JobDefinitionRequest.starter(roles[0] if roles else ""),
                "Register job definition",
            )
        dialog = JobDefinitionDialog(
            request,
            self.inventory.register_job_definition,
            self.inventory.job_definition_problems,
            roles=roles,
            title=title,
            parent=self,
        )
        await self.show_dialog("dialog", dialog)

    # --- compare ------------------------------------------------------------------------------
    def compare(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.spawn(self._compare(rows), f"Compare revisions of {rows[0].name}")

    async def _compare(self, rows: list[JobDefinition]) -> None:
        """Two different definitions selected: the two side by side (with every revision of both
        in the pickers). One definition: two of its revisions (the selected ones, or the selected
        one and the one before it)."""
        first = rows[0]
        other = next((r for r in rows if r.name != first.name), None)
        if other is not None:
            definitions = [
                *await self.inventory.job_definition_revisions(first.name),
                *await self.inventory.job_definition_revisions(other.name),
            ]
            self._show_diff(definitions or [first, other], first.name_revision, other.name_revision)
            return
        revisions = await self.inventory.job_definition_revisions(first.name)
        if len(revisions) < 2:
            await tell(
                self,
                "Compare",
                f"{first.name} has only one revision. Select two definitions (Ctrl+click) to compare them.",
            )
            return
        picked = sorted(r.revision for r in rows)
        if len(picked) >= 2:
            left, right = picked[0], picked[-1]
        else:
            older = [r.revision for r in revisions if r.revision < first.revision]
            left, right = (max(older), first.revision) if older else (first.revision, revisions[0].revision)
        self._show_diff(revisions, f"{first.name}:{left}", f"{first.name}:{right}")

    def _show_diff(self, definitions: list[JobDefinition], left: str, right: str) -> None:
        self.diff_dialog = RevisionDiffDialog(definitions, left, right, self)
        self.diff_dialog.setModal(False)
        self.diff_dialog.finished.connect(self.diff_dialog.deleteLater)
        self.diff_dialog.show()

    # --- deregister ---------------------------------------------------------------------------
    def delete(self) -> None:
        self.deregister()

    def deregister(self) -> None:
        rows = [d for d in self.selected_rows() if d.status == "ACTIVE"]
        if rows:
            self.spawn(self._deregister(rows), "Deregister job definitions")

    async def _deregister(self, rows: list[JobDefinition]) -> None:
        names = "\n".join(f"  • {d.name_revision}" for d in rows)
        text = (
            f"Deregister {len(rows)} revision(s)?\n\n{names}\n\n"
            "They become INACTIVE: new jobs can't use them; jobs already submitted keep running. "
            "This can't be undone (register a new revision instead)."
        )

        async def deregister_all() -> None:
            for d in rows:
                await self.inventory.deregister_job_definition(d.arn)

        await self.confirmed("Deregister job definition", text, "Deregister", deregister_all)

    # --- others -------------------------------------------------------------------------------
    def submit_job(self) -> None:
        definition = self.selected_row()
        if definition is None:
            return
        if self.on_submit is None:
            self.spawn(tell(self, "Submit job", "Submitting is not available in this window."), "Submit job")
            return
        self.on_submit(definition)
