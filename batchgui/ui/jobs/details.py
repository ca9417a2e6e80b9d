"""The details of one job: status, attempts, container, parameters, dependencies, array children, tags.

Dependencies, array children and retries (`batchgui:retry-of` / `retried-by` tags) are links
(`job:<id>`): clicking one asks the panel to show that job; a child's "log" link (`log:<id>`) opens
it on the Log tab. A refresh keeps the scroll position.
Secret-looking environment values and `secrets` entries are masked until "Reveal secrets" is ticked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from batchgui.domain.array_retry import RETRIED_BY_TAG, RETRY_OF_TAG
from batchgui.domain.batch import JobSummary
from batchgui.domain.job_detail import MASK, JobDetail
from batchgui.ui.jobs.columns import definition_name, format_duration, format_time
from batchgui.ui.jobs.cost import cost_line
from batchgui.ui.jobs.runnable_pane import is_waiting, start_cell

CHILDREN_SHOWN = 200


def _row(key: str, value: str, raw_html: bool = False) -> str:
    shown = value if raw_html else escape(value).replace("\n", "<br>")
    head = f"<th align='left' valign='top' style='padding-right:12px'>{escape(key)}</th>"
    return f"<tr>{head}<td>{shown}</td></tr>"


def _section(title: str) -> str:
    return f"<tr><td colspan='2'><h4 style='margin:8px 0 2px 0'>{escape(title)}</h4></td></tr>"


def _link(job_id: str, text: str | None = None, scheme: str = "job") -> str:
    return f"<a href='{scheme}:{escape(job_id)}'>{escape(text or job_id)}</a>"


def _child_link(child: JobSummary) -> str:
    return (
        _link(child.job_id, f"#{child.array_index} {child.status.value}")
        + " "
        + _link(child.job_id, "log", "log")
    )


def details_html(
    detail: JobDetail,
    children: list[JobSummary] | None = None,
    reveal: bool = False,
    log_group: str = "",
    *,
    extra: Mapping[str, str] | None = None,
    instance_types: Mapping[str, str] | None = None,
) -> str:
    """`extra`: rows filled in later ("Estimated start" once asked for), by row name;
    `instance_types`: the EC2 type of each container instance ECS has named (for the cost)."""
    extra = extra or {}
    s = detail.summary
    rows = [
        _row("Name", s.name),
        _row("Job id", s.job_id),
        _row("ARN", s.job_arn),
        *(
            [_row("Array job", _link(s.job_id.rsplit(":", 1)[0]) + f" (child #{s.array_index})", True)]
            if s.array_index is not None
            else []
        ),
        _row("Status", s.status.value + (f" — {s.status_reason}" if s.status_reason else "")),
        _row("Queue", s.queue),
        _row("Definition", definition_name(s.job_definition)),
        _row("Platform", detail.platform),
        _row("Created", format_time(s.created_at)),
        _row("Started", format_time(s.started_at)),
        _row("Stopped", format_time(s.stopped_at)),
        _row("Duration", format_duration(s.duration_s)),
        _row("Cost", cost_line(detail, instance_types)),
        *(
            [_row("Estimated start", start_cell(detail, extra.get("Estimated start")), True)]
            if is_waiting(detail)
            else []
        ),
        _row("Exit code", "" if s.exit_code is None else str(s.exit_code)),
    ]
    if detail.retry_attempts:
        rows.append(_row("Retries", f"up to {detail.retry_attempts} attempts"))
    if detail.timeout_s:
        rows.append(_row("Timeout", f"{detail.timeout_s} s per attempt"))
    rows.append(_section(f"Attempts ({len(detail.attempts)})"))
    for number, attempt in enumerate(detail.attempts, 1):
        parts = [
            f"start {format_time(attempt.started_at) or '—'}",
            f"stop {format_time(attempt.stopped_at) or '—'}",
            f"exit {attempt.exit_code if attempt.exit_code is not None else '—'}",
        ]
        if attempt.reason:
            parts.append(attempt.reason)
        if attempt.log_stream:
            parts.append(f"log {attempt.log_stream}")
        rows.append(_row(f"#{number}", "\n".join(parts)))
    rows.append(_section("Container"))
    rows.append(_row("Image", detail.image))
    rows.append(_row("Command", " ".join(detail.command)))
    rows.append(_row("vCPU / memory", f"{detail.vcpus or '—'} vCPU / {detail.memory_mib or '—'} MiB"))
    if detail.log_stream:
        rows.append(_row("Log", f"{log_group or detail.log_group} : {detail.log_stream}"))
    environment = detail.masked_environment(reveal)
    if environment:
        rows.append(_row("Environment", "\n".join(f"{n}={v}" for n, v in environment)))
    if detail.secrets:
        rows.append(_row("Secrets", "\n".join(f"{n} ← {v if reveal else MASK}" for n, v in detail.secrets)))
    if detail.parameters:
        rows.append(_section("Parameters"))
        rows.extend(_row(k, v) for k, v in sorted(detail.parameters.items()))
    if detail.depends_on:
        rows.append(_section("Depends on"))
        rows.append(
            _row(
                "Jobs",
                "<br>".join(
                    _link(d.job_id) + (f" ({escape(d.type)})" if d.type else "") for d in detail.depends_on
                ),
                raw_html=True,
            )
        )
    if detail.is_array_parent:
        rows.append(_section(f"Array of {detail.summary.array_size}"))
        summary = detail.array_status_summary
        if children:
            summary = dict(Counter(c.status.value for c in children))
        if summary:
            rows.append(_row("Children", ", ".join(f"{k} {v}" for k, v in sorted(summary.items()) if v)))
        if children:
            links = [_child_link(c) for c in children[:CHILDREN_SHOWN]]
            more = len(children) - CHILDREN_SHOWN
            rows.append(_row("List", " · ".join(links) + (f" … and {more} more" if more > 0 else ""), True))
    retry_of, retried_by = detail.tags.get(RETRY_OF_TAG, ""), detail.tags.get(RETRIED_BY_TAG, "").split()
    if retry_of or retried_by:
        rows.append(_section("Retries"))
        if retry_of:
            rows.append(_row("Retry of", _link(retry_of) + " (its failed children)", raw_html=True))
        if retried_by:
            rows.append(_row("Retried by", "<br>".join(_link(i) for i in retried_by), raw_html=True))
    if detail.tags:
        rows.append(_section("Tags"))
        rows.extend(_row(k, v) for k, v in sorted(detail.tags.items()))
    return f"<table cellspacing='2'>{''.join(rows)}</table>"


class JobDetailsView(QWidget):
    """Shows one JobDetail; emits `job_clicked(job_id)` for dependency and child links, `log_clicked`
    for a child's log link."""

    job_clicked = Signal(str)
    log_clicked = Signal(str)
    start_requested = Signal(str)  # the "Estimated start" link of a waiting job (runnable_pane.py)
    shown = Signal(object)  # a JobDetail of another job than before (ui/jobs/cost.py looks up its EC2 type)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setObjectName("jobDetails")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._anchor)
        self.reveal_box = QCheckBox("Reveal secrets")
        self.reveal_box.setToolTip("Show environment values whose names look like secrets")
        self.reveal_box.toggled.connect(lambda _on: self._render())
        self.hint = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.reveal_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)
        self._detail: JobDetail | None = None
        self._children: list[JobSummary] | None = None
        self._log_group = ""
        self._extra: dict[str, dict[str, str]] = {}
        self._instance_types: dict[str, str] = {}

    def add_instance_types(self, found: Mapping[str, str]) -> None:
        """containerInstanceArn -> EC2 type, as ECS named them: the cost is then one figure."""
        self._instance_types.update(found)
        if found:
            self._render()

    def set_extra(self, job_id: str, row: str, text: str) -> None:
        self._extra.setdefault(job_id, {})[row] = text
        if self._detail is not None and self._detail.job_id == job_id:
            self._render()

    @property
    def detail(self) -> JobDetail | None:
        return self._detail

    def show_detail(self, detail: JobDetail | None, log_group: str = "") -> None:
        same_job = detail is not None and self._detail is not None and detail.job_id == self._detail.job_id
        if not same_job:
            self._children = None
            self.reveal_box.setChecked(False)
        self._detail = detail
        self._log_group = log_group or self._log_group if same_job else log_group
        self._render(keep_scroll=same_job)
        if detail is not None and not same_job:
            self.shown.emit(detail)

    def show_message(self, text: str) -> None:
        self._detail = None
        self._children = None
        self.browser.setHtml(f"<p>{escape(text)}</p>")

    def set_children(self, children: list[JobSummary]) -> None:
        self._children = children
        self._render()

    def text(self) -> str:
        return self.browser.toPlainText()

    def _render(self, keep_scroll: bool = True) -> None:
        """Show the detail again; the same job keeps its scroll position (a refresh must not jump)."""
        if self._detail is None:
            self.browser.clear()
            return
        bar = self.browser.verticalScrollBar()
        scroll = bar.value() if keep_scroll else 0
        self.browser.setHtml(
            details_html(
                self._detail,
                self._children,
                self.reveal_box.isChecked(),
                self._log_group,
                extra=self._extra.get(self._detail.job_id),
                instance_types=self._instance_types,
            )
        )
        bar.setValue(scroll)
        if bar.value() != scroll:
            # Not laid out to that height yet (a hidden tab, a long document): once it is.
            job_id = self._detail.job_id
            QTimer.singleShot(0, lambda: self._restore_scroll(job_id, scroll))

    def _restore_scroll(self, job_id: str, scroll: int) -> None:
        if self._detail is not None and self._detail.job_id == job_id:
            self.browser.verticalScrollBar().setValue(scroll)

    def _anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("job:"):
            self.job_clicked.emit(text[4:])
        elif text.startswith("log:"):
            self.log_clicked.emit(text[4:])
        elif text.startswith("start:"):
            self.start_requested.emit(text[6:])
