"""The Monitor panel on a stub facade: built with no server, queue rows appear, controls call it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from batchgui.domain.samples import QUEUE_FIELDS, QueueSample, Sample
from batchgui.services.job_monitor import MonitorSettings
from batchgui.ui.monitor.panel import MonitorPanel
from tests.ui.jobs_stubs import FakeMonitor, panel_services

pytestmark = pytest.mark.timeout(60)


def test_queue_rows_samples_and_controls(
    tmp_path: Path, wait_until: Callable[..., None], qtmodeltester: Any
) -> None:
    errors: list[BaseException] = []
    fake = FakeMonitor(["q1", "q2"])
    panel = MonitorPanel(panel_services(tmp_path, errors), cast(Any, fake))
    # The panel gives the monitor its saved options, as typed settings.
    assert fake.settings
    assert isinstance(fake.settings[0], MonitorSettings)
    assert fake.settings[0].interval_s == 5.0
    panel.refresh()
    wait_until(lambda: panel.load_count >= 1, what="loaded")
    assert "start" in fake.calls
    assert [r.queue for r in panel.model.all_rows()] == ["q1", "q2"]
    qtmodeltester.check(panel.model)

    values = [0.0] * len(QUEUE_FIELDS)
    values[QUEUE_FIELDS.index("status_RUNNING")] = 3
    values[QUEUE_FIELDS.index("oldest_runnable_created")] = math.nan
    fake.samples.emit(Sample(time.time(), 5.0, (QueueSample("q1", tuple(values)),), ()))
    rows = panel.model.all_rows()
    assert [r.queue for r in rows] == ["q1"]
    assert rows[0].counts[4] == 3  # RUNNING

    panel.interval_spin.setValue(7)
    assert fake.settings[-1].interval_s == 7.0
    panel.pause_button.click()
    panel.pause_button.click()
    assert fake.calls[-2:] == ["pause", "resume"]
    task = panel.export_csv_to(tmp_path / "m.csv")
    wait_until(task.done, what="export")
    assert fake.exports[0][0] == tmp_path / "m.csv"
    assert errors == []
    panel.deleteLater()
