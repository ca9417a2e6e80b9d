from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from batchgui.app import Application
from batchgui.ui.job_definitions.form import JobDefinitionDialog, RevisionDiffDialog, side_by_side_html
from batchgui.ui.widgets.json_editor import JsonEditor
from batchgui.ui.widgets.pairs import PairsModel, tag_problems
from tests.support import MotoEndpoint, endpoint_client, seed_batch
from tests.ui.admin_support import SandboxEndpoint, answer, open_panel, select_row

pytestmark = pytest.mark.timeout(120)

ROLE = "arn:aws:iam::123456789012:role/exec"


def count_register_calls(app: Application) -> list[str]:
    """Every RegisterJobDefinition request the app's client sends, recorded before it leaves."""
    sent: list[str] = []
    backend = app.connections.backend
    assert backend is not None
    client = backend.connection.client("batch")
    client.meta.events.register(
        "before-send.batch.RegisterJobDefinition", lambda request, **_: sent.append(request.body)
    )
    return sent


def open_register(panel: Any, wait_until: Callable[..., None], revision: bool = False) -> JobDefinitionDialog:
    (panel.new_revision if revision else panel.register_new)()
    wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), what="the definition dialog")
    dialog: JobDefinitionDialog = panel.dialog
    return dialog


def definition_json(memory: str, name: str = "from-json") -> str:
    return json.dumps(
        {
            "jobDefinitionName": name,
            "type": "container",
            "platformCapabilities": ["FARGATE"],
            "containerProperties": {
                "image": "busybox",
                "command": ["echo", "one"],
                "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": memory}],
                "executionRoleArn": ROLE,
            },
        },
        indent=2,
    )


def register_flow(app: Application, panel: Any, wait_until: Callable[..., None]) -> None:
    """Register from JSON with an error (refused, path shown, nothing sent), fix it, new revision, diff."""
    sent = count_register_calls(app)
    dialog = open_register(panel, wait_until)
    dialog.set_json(definition_json("1000"))
    dialog.start_apply()
    texts = dialog.problems.texts()
    assert any(t.startswith("containerProperties.resourceRequirements[0]: With 1 vCPU") for t in texts), texts
    assert "nothing was sent" in dialog.status.text()
    # The editor jumped to the problem's line.
    assert '"type": "VCPU"' in dialog.editor.textCursor().block().text()
    # A JSON syntax error: its line is shown.
    dialog.editor.setPlainText(definition_json("2048").replace('"busybox",', '"busybox"'))
    dialog.start_apply()
    # Said plainly, at the end of the value that lacks its comma (not the line after it).
    assert dialog.problems.texts()[0].startswith("Line "), dialog.problems.texts()
    assert "expected ','" in dialog.problems.texts()[0]
    assert "@line" not in dialog.problems.texts()[0]
    assert dialog.editor.textCursor().block().text().rstrip().endswith('"busybox"')
    assert sent == []
    dialog.editor.setPlainText(definition_json("2048"))
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="registered")
    assert len(sent) == 1
    wait_until(lambda: any(d.name == "from-json" for d in panel.model.all_rows()), what="the new row")

    # A new revision from the form: change the command.
    select_row(panel, "from-json")
    dialog = open_register(panel, wait_until, revision=True)
    assert dialog.form.name.text() == "from-json"
    dialog.form.command.setPlainText("echo two")
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="second revision")
    wait_until(lambda: sum(d.name == "from-json" for d in panel.model.all_rows()) == 2, what="two revisions")

    panel.table.clearSelection()
    for row in range(panel.model.rowCount()):
        if panel.model.index(row, 0).data() == "from-json":
            panel.table.selectionModel().select(
                panel.model.index(row, 0),
                panel.table.selectionModel().SelectionFlag.Select
                | panel.table.selectionModel().SelectionFlag.Rows,
            )
    panel.compare()
    wait_until(lambda: panel.diff_dialog is not None and panel.diff_dialog.isVisible(), what="the diff")
    diff: RevisionDiffDialog = panel.diff_dialog
    assert diff.changes >= 1
    assert "two" in diff.right_view.toPlainText()
    assert "one" in diff.left_view.toPlainText()
    diff.reject()

    # Two different definitions: their JSON side by side (it said "has only one revision").
    other = next(d for d in panel.model.all_rows() if d.name != "from-json")
    panel.table.clearSelection()
    for row in range(panel.model.rowCount()):
        name = panel.model.index(row, 0).data()
        if name == other.name or (name == "from-json" and panel.model.index(row, 1).data() == "2"):
            panel.table.selectionModel().select(
                panel.model.index(row, 0),
                panel.table.selectionModel().SelectionFlag.Select
                | panel.table.selectionModel().SelectionFlag.Rows,
            )
    panel.diff_dialog = None
    panel.compare()
    wait_until(lambda: panel.diff_dialog is not None and panel.diff_dialog.isVisible(), what="the diff")
    diff = panel.diff_dialog
    assert diff.windowTitle().startswith("Compare ")
    assert {diff.left_combo.currentData(), diff.right_combo.currentData()} == {
        "from-json:2",
        other.name_revision,
    }
    assert diff.changes >= 1
    assert other.name in diff.left_view.toPlainText() + diff.right_view.toPlainText()
    assert (
        f"and {other.name_revision}" in diff.summary.text()
        or f"{other.name_revision} and" in diff.summary.text()
    )
    diff.reject()


def test_register_fix_revise_diff_and_deregister_on_moto(
    make_app: Callable[..., Application],
    moto: MotoEndpoint,
    wait_until: Callable[..., None],
    qtmodeltester: Any,
) -> None:
    seed_batch(moto)
    app, panel = open_panel(make_app, moto, "job-definitions", wait_until)
    qtmodeltester.check(panel.model)
    register_flow(app, panel, wait_until)
    qtmodeltester.check(panel.model)
    panel.latest_only.setChecked(True)
    assert sorted(d.revision for d in panel.model.visible_rows() if d.name == "from-json") == [2]
    panel.latest_only.setChecked(False)

    select_row(panel, "from-json")
    panel.deregister()
    assert "Deregister 1 revision(s)?" in answer(wait_until)
    wait_until(
        lambda: sum(d.name == "from-json" for d in panel.model.all_rows()) == 1, what="one left active"
    )
    panel.status_filter.setCurrentText("All statuses")
    wait_until(lambda: any(d.status == "INACTIVE" for d in panel.model.all_rows()), what="inactive shown")


def test_register_on_the_sandbox(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "job-definitions", wait_until)
    register_flow(app, panel, wait_until)


def test_form_and_json_stay_in_step(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    seed_batch(moto)
    _app, panel = open_panel(make_app, moto, "job-definitions", wait_until)
    dialog = open_register(panel, wait_until)
    dialog.form.name.setText("formed")
    dialog.form.platform.setCurrentText("EC2")
    dialog.form.gpus.setValue(1)
    dialog.form.environment.setPlainText("A=1\nbroken line")
    _request, problems = dialog.request()
    assert any("line 2: write it as NAME=value" in p.message for p in problems)
    dialog.tabs.setCurrentIndex(dialog.JSON_TAB)
    data = json.loads(dialog.editor.toPlainText())
    assert data["platformCapabilities"] == ["EC2"]
    assert {"type": "GPU", "value": "1"} in data["containerProperties"]["resourceRequirements"]
    assert "networkConfiguration" not in data["containerProperties"]
    # Extra fields typed in the JSON survive a trip through the form.
    data["parameters"] = {"kept": "yes"}
    dialog.editor.setPlainText(json.dumps(data, indent=2))
    dialog.tabs.setCurrentIndex(dialog.FORM_TAB)
    typed, problems = dialog.request()
    assert typed is not None
    assert problems == []
    request = typed.to_api()
    assert request["parameters"] == {"kept": "yes"}
    assert request["containerProperties"]["environment"] == [{"name": "A", "value": "1"}]
    dialog.reject()
    wait_until(lambda: panel.dialog is None, what="closed")


def test_json_editor_finds_paths(qtbot: Any) -> None:
    editor = JsonEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(definition_json("1000"))
    line = editor.line_of_path("containerProperties.resourceRequirements[1].value")
    assert line is not None
    assert (
        '"MEMORY"' in editor.toPlainText().splitlines()[line - 1]
        or "1000" in editor.toPlainText().splitlines()[line - 1]
    )
    assert editor.line_of_path("nope") is None
    assert editor.line_number_width() > 0


def test_side_by_side_marks_changes() -> None:
    left, right, changes = side_by_side_html("a\nb\nc", "a\nB\nc\nd")
    assert changes == 2
    assert "#ffd7d5" in left
    assert "#ccffd8" in right


def test_pairs_model_and_tag_rules(qtmodeltester: Any) -> None:
    model = PairsModel(("Key", "Value"), [("a", "1")])
    qtmodeltester.check(model)
    model.add_row("b", "2")
    model.setData(model.index(1, 1), "3")
    assert model.pairs() == [("a", "1"), ("b", "3")]
    model.remove_rows([0])
    assert model.pairs() == [("b", "3")]
    qtmodeltester.check(model)
    problems = tag_problems([("aws:x", "1"), ("", "v"), ("k", "v"), ("k", "w")])
    assert any("reserved" in str(p) for p in problems)
    assert any("no key" in str(p) for p in problems)
    assert any("twice" in str(p) for p in problems)


def test_submit_job_from_a_definition(
    make_app: Callable[..., Application], moto: MotoEndpoint, wait_until: Callable[..., None]
) -> None:
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    from batchgui.ui.jobs.submit_dialog import SubmitJobDialog

    ids = seed_batch(moto)
    app, panel = open_panel(make_app, moto, "job-definitions", wait_until)
    select_row(panel, "demo-definition")
    panel.submit_job()

    def dialogs() -> list[SubmitJobDialog]:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, SubmitJobDialog) and w.isVisible()]

    wait_until(lambda: bool(dialogs()), what="the submit dialog")
    assert app.window.current_panel().panel_id == "jobs"
    dialog = dialogs()[0]
    assert dialog.definition_combo.currentText() == "demo-definition:1"
    dialog.name_edit.setText("from-definition")
    dialog.queue_combo.setCurrentText("demo-queue")
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    batch = moto.client("batch")
    wait_until(
        lambda: any(
            j["jobName"] == "from-definition"
            for j in batch.list_jobs(jobQueue=ids["queue"])["jobSummaryList"]
        ),
        what="the job",
    )


def test_json_syntax_errors_read_plainly_at_the_line_to_fix(qtbot: Any) -> None:
    from batchgui.ui.job_definitions.form import parse_request
    from batchgui.ui.widgets.forms import ProblemList

    text = '{\n  "image": "busybox"\n  "command": ["echo"]\n}'
    request, problems = parse_request(text)
    assert request is None
    # The comma is missing at the end of line 2 (Python reports line 3, where the next key starts).
    assert problems[0].path == "@line:2:21"  # just after "busybox"
    assert problems[0].message == "Line 2: expected ',' after this value"
    shown = ProblemList()
    shown.show_problems(problems)
    assert shown.texts() == ["Line 2: expected ',' after this value"]
    _request, problems = parse_request('{"a": 1,}')
    assert problems[0].message.startswith("Line 1: expected a key in double quotes")


def test_the_form_registers_the_consumable_resources_a_job_needs(
    make_app: Callable[..., Application], sandbox: Any, wait_until: Callable[..., None]
) -> None:
    """The form's "Consumable resources" lines become consumableResourceProperties; bad lines are
    refused with the line to fix and nothing sent; a revision shows them back in the form."""
    batch = endpoint_client("batch", sandbox)
    for name in ("licence", "gpu-slot"):  # a definition may only name resources that exist
        batch.create_consumable_resource(consumableResourceName=name, totalQuantity=4)
    app, panel = open_panel(make_app, SandboxEndpoint(sandbox), "job-definitions", wait_until)
    sent = count_register_calls(app)
    dialog = open_register(panel, wait_until)
    dialog.tabs.setCurrentIndex(dialog.FORM_TAB)
    dialog.form.name.setText("needs-licence")
    dialog.form.platform.setCurrentText("EC2")  # no execution role needed
    dialog.form.image.setText("busybox")
    dialog.form.command.setPlainText("echo hi")
    dialog.form.consumables.setPlainText("licence=0\nno quantity")
    dialog.start_apply()
    texts = dialog.problems.texts()
    assert any("line 1: the quantity of licence must be a whole number ≥ 1" in t for t in texts), texts
    assert any("line 2: write it as resource=quantity" in t for t in texts), texts
    assert sent == []
    dialog.form.consumables.setPlainText("licence=2\n\ngpu-slot=1")
    dialog.start_apply()
    wait_until(lambda: panel.dialog is None, what="registered")
    assert len(sent) == 1
    stored = batch.describe_job_definitions(jobDefinitionName="needs-licence", status="ACTIVE")
    [definition] = stored["jobDefinitions"]
    assert definition["consumableResourceProperties"]["consumableResourceList"] == [
        {"consumableResource": "licence", "quantity": 2},
        {"consumableResource": "gpu-slot", "quantity": 1},
    ]
    wait_until(lambda: any(d.name == "needs-licence" for d in panel.model.all_rows()), what="the new row")
    select_row(panel, "needs-licence")
    dialog = open_register(panel, wait_until, revision=True)
    dialog.tabs.setCurrentIndex(dialog.FORM_TAB)
    assert dialog.form.consumables.toPlainText() == "licence=2\ngpu-slot=1"
    dialog.reject()
