"""Screenshots of every dialog and wizard page at 1024x700, 1440x900 and 1920x1080, light and dark,
opened through the panels on the embedded local sandbox (real choices, real data).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.screenshots OUTDIR

Each dialog is shown filling a screen of that size (what a maximised dialog looks like, and the
worst case for the smallest screen); one PNG per dialog page, size and theme:
OUTDIR/<dialog>-<page>-<size>-<theme>.png. Look at them: nothing cut, overlapped or unreadable.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QTabWidget, QWizard

from batchgui.app import Application, parse_args
from batchgui.ui.theme import Theme

SIZES = ((1024, 700), (1440, 900), (1920, 1080))
THEMES = ("light", "dark")


async def wait_for(check: Callable[[], object], timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError("waited too long")
        await asyncio.sleep(0.05)


def pages(dialog: QDialog) -> list[tuple[str, Callable[[], None]]]:
    """How to show each page of `dialog`: wizard pages in order, tabs, or the dialog itself."""
    if isinstance(dialog, QWizard):
        ids = dialog.pageIds()

        def show(page_id: int) -> Callable[[], None]:
            def go() -> None:
                while dialog.currentId() != page_id and dialog.currentId() in ids:
                    before = dialog.currentId()
                    if ids.index(before) < ids.index(page_id):
                        dialog.next()
                    else:
                        dialog.back()
                    if dialog.currentId() == before:
                        break  # a page that will not go on without input: shoot where it stopped

            return go

        return [(f"page{n + 1}", show(page_id)) for n, page_id in enumerate(ids)]
    tabs = dialog.findChild(QTabWidget)
    if tabs is not None and tabs.count() > 1:

        def tab(number: int) -> Callable[[], None]:
            return lambda: tabs.setCurrentIndex(number)

        return [(f"tab{n + 1}", tab(n)) for n in range(tabs.count())]
    return [("main", lambda: None)]


async def shoot(
    qt: QApplication,
    theme: Theme,
    name: str,
    dialog: QDialog,
    out: Path,
    *,
    shown: list[tuple[str, Callable[[], None]]] | None = None,
) -> list[Path]:
    written = []
    for page, show in pages(dialog) if shown is None else shown:
        show()
        for width, height in SIZES:
            dialog.resize(width, height)
            for scheme in THEMES:
                theme.set_choice(scheme)
                await asyncio.sleep(0.15)
                path = out / f"{name}-{page}-{width}x{height}-{scheme}.png"
                dialog.grab().save(str(path))
                written.append(path)
    return written


async def run(app: Application, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    window = app.window
    written: list[Path] = []

    async def through_panel(panel_id: str, opener: str, attribute: str, name: str) -> None:
        panel = window.show_panel(panel_id)
        await wait_for(lambda: panel.load_count > 0)
        getattr(panel, opener)()
        await wait_for(lambda: isinstance(getattr(panel, attribute, None), QDialog))
        dialog = getattr(panel, attribute)
        await wait_for(lambda: getattr(dialog, "choices_loaded", True))
        written.extend(await shoot(qt, theme, name, dialog, out))
        dialog.reject()

    await through_panel("compute-environments", "create_new", "wizard", "compute-env-wizard")
    await through_panel("job-queues", "create_new", "dialog", "job-queue")
    await through_panel("job-definitions", "register_new", "dialog", "job-definition")
    await through_panel("scheduling-policies", "create_new", "dialog", "scheduling-policy")
    definitions: Any = window.show_panel("job-definitions")
    definitions.table.selectAll()
    definitions.compare()
    await wait_for(lambda: isinstance(getattr(definitions, "diff_dialog", None), QDialog), 10)
    written.extend(await shoot(qt, theme, "compare", definitions.diff_dialog, out))
    definitions.diff_dialog.reject()
    written.extend(await shoot(qt, theme, "shortcuts", window.show_shortcuts(), out))
    written.extend(await compute_env_wizard_pages(window, qt, theme, out))
    written.extend(await csv_wizard_pages(app, qt, theme, out))
    return written


async def compute_env_wizard_pages(window: Any, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    """The compute-environment wizard's EC2 path filled in as a person does (advisor with GPUs,
    settings, EC2 instances, review), each page shot with its content; nothing is created."""
    written: list[Path] = []
    panel = window.show_panel("compute-environments")
    await wait_for(lambda: panel.load_count > 0)
    panel.create_new()
    await wait_for(lambda: isinstance(getattr(panel, "wizard", None), QDialog))
    wizard = panel.wizard
    await wait_for(lambda: getattr(wizard, "choices_loaded", True))

    async def here(page: str) -> None:
        written.extend(
            await shoot(qt, theme, "compute-env-wizard-ec2", wizard, out, shown=[(page, lambda: None)])
        )

    wizard.advisor.gpu.setChecked(True)
    await here("advisor")
    wizard.next()
    wizard.settings.name.setText("gpu-environment")
    wizard.settings.extra_subnets.setText("subnet-0sandbox")
    wizard.settings.extra_groups.setText("sg-0sandbox")
    await here("settings")
    wizard.next()
    wizard.ec2.instance_types.setText("optimal")
    await here("ec2")
    wizard.next()
    await here("review")
    wizard.reject()
    return written


async def csv_wizard_pages(app: Application, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    """The CSV wizard walked as a person does (the sample CSV: check, upload, jobs, review), each page
    shot when it shows its content; the submit page is left out (it would submit jobs)."""
    from batchgui import resources
    from batchgui.domain.csv_plan import SplitMode

    written: list[Path] = []

    async def here(page: str, dialog: QDialog | None = None) -> None:
        target = dialog if dialog is not None else wizard
        written.extend(await shoot(qt, theme, "csv-wizard", target, out, shown=[(page, lambda: None)]))

    empty = app.csv_wizard.open()
    await here("file-empty", empty)
    empty.reject()
    wizard = app.csv_wizard.open(resources.path("sample.csv"))
    check = wizard.check_page
    await wait_for(lambda: check.result is not None or bool(check.message.text()))
    await here("check")
    wizard.next()
    upload = wizard.upload_page
    await wait_for(lambda: upload.bucket.findText("batchgui-demo") >= 0)
    upload.bucket.setCurrentText("batchgui-demo")
    await here("upload")
    upload.upload_button.click()
    await wait_for(upload.isComplete)
    await here("uploaded")
    wizard.next()
    jobs = wizard.jobs
    await wait_for(lambda: bool(jobs.definitions))
    jobs.choose("fargate-queue", "csv-row-processor")
    jobs.set_mode(SplitMode.ARRAY)
    await here("jobs")
    wizard.next()
    await wait_for(lambda: "aws batch submit-job" in wizard.review.cli.toPlainText())
    await here("review")
    wizard.reject()
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots/dialogs")
    out.mkdir(parents=True, exist_ok=True)
    from batchgui.ui.event_loop import EventLoop

    qt = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qt, QApplication)
    theme = Theme(qt, "light")
    loop = EventLoop(qt)
    asyncio.set_event_loop(loop)
    home = Path(tempfile.mkdtemp(prefix="batchgui-shots-"))
    args = parse_args(["--config-dir", str(home / "config"), "--data-dir", str(home / "data"), "--local"])
    app = Application(args, qt)
    from batchgui.domain.connection import ConnectionSpec

    app.start(ConnectionSpec.local())
    app.window.resize(1280, 800)
    with loop:
        written = loop.run_until_complete(run(app, qt, theme, out))
    app.window.close()
    app.shutdown()
    print(f"{len(written)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
