from __future__ import annotations

import math
from pathlib import Path

from batchgui.domain.batch import Platform
from batchgui.domain.connection import ConnectionKind, ConnectionSpec
from batchgui.domain.history import History
from batchgui.domain.samples import QUEUE_FIELDS, CapacitySample, QueueSample, Sample
from batchgui.services.sample_store import SampleStore, store_path


def sample(t: float, running: float = 1.0) -> Sample:
    values = [float(i) for i in range(len(QUEUE_FIELDS))]
    values[QUEUE_FIELDS.index("status_RUNNING")] = running
    values[QUEUE_FIELDS.index("oldest_runnable_created")] = math.nan
    return Sample(
        t,
        5.0,
        (QueueSample("q", tuple(values), "job-1", "waiting"), QueueSample("other", tuple(values))),
        (CapacitySample("ce", Platform.EC2, 16.0, math.nan, ("q", "other")),),
    )


def test_samples_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "monitor" / "x.sqlite3"
    store = SampleStore(path)
    for i in range(5):
        store.append(sample(1000 + 5 * i, running=i))
    store.close()
    reopened = SampleStore(path)
    loaded = reopened.load(0)
    reopened.close()
    assert [s.t for s in loaded] == [1000, 1005, 1010, 1015, 1020]
    first = loaded[0]
    expected = sample(1000, running=0)
    assert first.queues[0].values[:-1] == expected.queues[0].values[:-1]
    assert math.isnan(first.queues[0].values[-1])
    assert [q.queue for q in first.queues] == ["q", "other"]
    assert first.queues[0].oldest_runnable_reason == "waiting"
    assert math.isnan(first.capacity[0].desired_vcpus)
    assert first.capacity[0].queues == ("q", "other")


def test_load_drops_what_is_older_than_the_window(tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite3")
    for t in (10.0, 20.0, 30.0):
        store.append(sample(t))
    assert [s.t for s in store.load(15)] == [20.0, 30.0]
    assert store.count() == 2
    store.close()


def test_restored_history_has_a_gap_where_the_app_was_closed(tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite3")
    for t in (0.0, 5.0, 10.0, 500.0, 505.0):
        store.append(sample(t))
    history = History()
    history.extend(store.load(0))
    store.close()
    running = history.view().series("status_RUNNING")
    assert len(running) == 6
    assert math.isnan(running[3])


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = SampleStore(path)
    store.append(sample(1.0))
    assert store.count() == 1
    store.close()


def test_one_file_per_connection(tmp_path: Path) -> None:
    local = store_path(tmp_path, ConnectionSpec.local())
    prod = store_path(tmp_path, ConnectionSpec(ConnectionKind.PROFILE, "eu-west-1", "prod"))
    other = store_path(tmp_path, ConnectionSpec(ConnectionKind.PROFILE, "eu-west-1", "prod", "http://x"))
    odd = store_path(tmp_path, ConnectionSpec(ConnectionKind.PROFILE, "eu-west-1", "../../etc"))
    assert len({local, prod, other, odd}) == 4
    assert all(p.parent == tmp_path / "monitor" for p in (local, prod, other, odd))
    assert "prod-eu-west-1" in prod.name
