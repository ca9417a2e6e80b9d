"""Screenshots of every panel (each sidebar entry), every dialog and every wizard page at 1024x700,
1280x800 and 1920x1080, light and dark, opened through the panels on the embedded local sandbox
(real choices, real data).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.screenshots OUTDIR

The main window is shot at each size with each panel shown: OUTDIR/panel-<panel>-<size>-<theme>.png.
Each dialog is shown filling a screen of that size (what a maximised dialog looks like, and the
worst case for the smallest screen); one PNG per dialog page, size and theme:
OUTDIR/<dialog>-<page>-<size>-<theme>.png. OUTDIR/sheets/ holds a contact sheet per panel or dialog
page (its six shots: sizes across, light above dark) to look at many at once. Look at them: nothing
cut, overlapped or unreadable.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QTabWidget, QWidget, QWizard

from batchgui.app import Application, parse_args
from batchgui.ui.theme import Theme

SIZES = ((1024, 700), (1280, 800), (1920, 1080))
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


async def each_size_and_theme(
    widget: QWidget, theme: Theme, out: Path, stem: str, settle_s: float = 0.15
) -> list[Path]:
    """`widget` resized to each of SIZES and shot in each of THEMES: OUTDIR/<stem>-<size>-<theme>.png."""
    written = []
    for width, height in SIZES:
        widget.resize(width, height)
        for scheme in THEMES:
            theme.set_choice(scheme)
            await asyncio.sleep(settle_s)
            path = out / f"{stem}-{width}x{height}-{scheme}.png"
            widget.grab().save(str(path))
            written.append(path)
    return written


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
        written.extend(await each_size_and_theme(dialog, theme, out, f"{name}-{page}"))
    return written


async def panels(window: Any, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    """The main window at each size and theme with each sidebar entry's panel shown, once loaded."""
    written: list[Path] = []
    for panel in window.panels:
        window.show_panel(panel.panel_id)

        def loaded(shown: Any = panel) -> bool:
            return bool(getattr(shown, "load_count", 1) > 0)

        try:
            await wait_for(loaded, 20)
        except TimeoutError:
            print(f"{panel.panel_id}: not loaded after 20 s; shot as it is")
        # A panel made of tabs (the Monitor's Activity and Cost & shares) is shot on each tab.
        tabs = panel.findChild(QTabWidget, "monitorTabs")
        for tab in range(tabs.count() if tabs is not None else 1):
            if tabs is not None:
                tabs.setCurrentIndex(tab)
            suffix = f"-tab{tab + 1}" if tab else ""
            stem = f"panel-{panel.panel_id}{suffix}"
            written.extend(await each_size_and_theme(window, theme, out, stem, settle_s=0.25))
        if tabs is not None:
            tabs.setCurrentIndex(0)
    window.resize(1280, 800)
    return written


async def run(app: Application, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    window = app.window
    written: list[Path] = []
    written.extend(await panels(window, qt, theme, out))

    async def through_panel(panel_id: str, opener: str, attribute: str, name: str) -> None:
        panel = window.show_panel(panel_id)
        await wait_for(lambda: panel.load_count > 0)
        getattr(panel, opener)()
        await wait_for(lambda: isinstance(getattr(panel, attribute, None), QDialog))
        dialog = getattr(panel, attribute)
        await wait_for(lambda: getattr(dialog, "choices_loaded", True))
        written.extend(await shoot(qt, theme, name, dialog, out))
        dialog.reject()
        await wait_for(lambda: getattr(panel, attribute, None) is None, 10)

    await through_panel("job-queues", "create_new", "dialog", "job-queue")
    await through_panel("job-definitions", "register_new", "dialog", "job-definition")
    await through_panel("scheduling-policies", "create_new", "dialog", "scheduling-policy")
    await through_panel("consumable-resources", "create_new", "dialog", "consumable-resource")
    await through_panel("service-environments", "create_new", "dialog", "service-environment")
    await through_panel("quota-shares", "create_new", "dialog", "quota-share")
    await through_panel("service-jobs", "submit_new", "dialog", "service-job")
    definitions: Any = window.show_panel("job-definitions")
    definitions.table.selectAll()
    definitions.compare()
    await wait_for(lambda: isinstance(getattr(definitions, "diff_dialog", None), QDialog), 10)
    written.extend(await shoot(qt, theme, "compare", definitions.diff_dialog, out))
    definitions.diff_dialog.reject()
    jobs: Any = window.show_panel("jobs")
    submit = await jobs.make_submit_dialog()
    written.extend(await shoot(qt, theme, "submit-job", submit, out))
    submit.reject()
    submit.deleteLater()
    written.extend(await shoot(qt, theme, "shortcuts", window.show_shortcuts(), out))
    from batchgui.ui.about import AboutDialog

    window._about()
    about = window.findChild(AboutDialog)
    assert about is not None, "Help > About opened no dialog"
    written.extend(await shoot(qt, theme, "about", about, out))
    about.reject()
    written.extend(await compute_env_wizard_pages(window, qt, theme, out))
    written.extend(await csv_wizard_pages(app, qt, theme, out))
    return written


async def compute_env_wizard_pages(window: Any, qt: QApplication, theme: Theme, out: Path) -> list[Path]:
    """The compute-environment wizard filled in as a person does, on both of its paths: Fargate
    (advisor as it opens, settings, review) and EC2 (advisor with GPUs, settings, EC2 instances,
    review), each page shot with its content; nothing is created."""
    written: list[Path] = []
    panel = window.show_panel("compute-environments")
    await wait_for(lambda: panel.load_count > 0)

    async def opened() -> Any:
        await wait_for(lambda: getattr(panel, "wizard", None) is None, 10)
        panel.create_new()
        await wait_for(lambda: isinstance(getattr(panel, "wizard", None), QDialog))
        wizard = panel.wizard
        await wait_for(lambda: getattr(wizard, "choices_loaded", True))
        return wizard

    async def here(path: str, page: str) -> None:
        shown = [(page, lambda: None)]
        written.extend(await shoot(qt, theme, f"compute-env-wizard-{path}", wizard, out, shown=shown))

    def fill_settings(name: str) -> None:
        wizard.settings.name.setText(name)
        wizard.settings.extra_subnets.setText("subnet-0sandbox")
        wizard.settings.extra_groups.setText("sg-0sandbox")

    wizard = await opened()
    await here("fargate", "advisor")
    wizard.next()
    fill_settings("fargate-environment")
    await here("fargate", "settings")
    wizard.next()
    assert wizard.currentId() == wizard.review_id, "the Fargate path did not reach its review"
    await here("fargate", "review")
    wizard.reject()

    wizard = await opened()
    wizard.advisor.gpu.setChecked(True)
    await here("ec2", "advisor")
    wizard.next()
    fill_settings("gpu-environment")
    await here("ec2", "settings")
    wizard.next()
    wizard.ec2.instance_types.setText("optimal")
    await here("ec2", "ec2")
    wizard.next()
    assert wizard.currentId() == wizard.review_id, "the EC2 path did not reach its review"
    await here("ec2", "review")
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


SHEET_ROW_HEIGHT = 560


def contact_sheets(written: list[Path], out: Path) -> list[Path]:
    """One sheet per panel or dialog page: its sizes side by side, light above dark, each scaled to
    SHEET_ROW_HEIGHT and labelled with its file name."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    groups: dict[str, dict[tuple[str, str], Path]] = {}
    for path in written:
        stem, size, scheme = path.stem.rsplit("-", 2)
        groups.setdefault(stem, {})[(size, scheme)] = path
    folder = out / "sheets"
    folder.mkdir(exist_ok=True)
    sheets = []
    label = 22
    for stem, shots in groups.items():
        images = {key: QImage(str(path)) for key, path in shots.items()}
        scaled = {
            key: image.scaledToHeight(SHEET_ROW_HEIGHT, Qt.TransformationMode.SmoothTransformation)
            for key, image in images.items()
        }
        sizes = sorted({size for size, _ in shots}, key=lambda s: int(s.split("x")[0]))
        widths = [max(scaled[(size, t)].width() for t in THEMES if (size, t) in scaled) for size in sizes]
        height = 2 * (SHEET_ROW_HEIGHT + label)
        sheet = QImage(sum(widths) + 8 * len(sizes), height, QImage.Format.Format_RGB32)
        sheet.fill(QColor("#808080"))
        painter = QPainter(sheet)
        x = 0
        for size, width in zip(sizes, widths, strict=True):
            for row, scheme in enumerate(THEMES):
                image = scaled.get((size, scheme))
                if image is None:
                    continue
                y = row * (SHEET_ROW_HEIGHT + label)
                painter.drawText(x + 4, y + label - 6, f"{stem} {size} {scheme}")
                painter.drawImage(x, y + label, image)
            x += width + 8
        painter.end()
        path = folder / f"{stem}.png"
        sheet.save(str(path))
        sheets.append(path)
    return sheets


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
    sheets = contact_sheets(written, out)
    print(f"{len(written)} screenshots in {out}, {len(sheets)} contact sheets in {out / 'sheets'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
