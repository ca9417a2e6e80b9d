"""The store's commits never checkpoint the WAL themselves: a thread of its own does, so no API
call pays for copying pages back and an fsync. A commit still survives the process (in the WAL)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from batchgui.sandbox import sql
from batchgui.sandbox.store import CHECKPOINT_EVERY_S, Store

pytestmark = pytest.mark.timeout(60)


def test_commits_leave_checkpoints_to_the_store_thread(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    store = Store(path)
    try:
        with store.write() as conn:
            assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for number in range(300):  # well over SQLite's 1000-page automatic checkpoint
            with store.write() as conn:
                conn.execute(sql.META_SET, (f"key-{number}", "x" * 20_000))
        deadline = time.monotonic() + 10 * CHECKPOINT_EVERY_S
        while store.checkpoints == 0:
            assert time.monotonic() < deadline, "the checkpoint thread never ran"
            time.sleep(0.05)
        # What the WAL held is in the database file now: a plain reader of the file sees it all.
        other = sqlite3.connect(path)
        try:
            assert other.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'key-%'").fetchone()[0] == 300
        finally:
            other.close()
    finally:
        store.close()
    assert not store._checkpointer.is_alive()  # close() stops it


def test_a_commit_survives_without_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    store = Store(path)
    store._stop_checkpoints.set()  # as if the process died before the thread's next round
    store._checkpointer.join(5)
    with store.write() as conn:
        conn.execute(sql.META_SET, ("kept", "yes"))
    # No close (it would checkpoint): another connection, as a restarted sandbox, reads the WAL.
    reopened = Store(path)
    try:
        assert reopened.meta_get("kept") == "yes"
    finally:
        reopened.close()
        store.close()
