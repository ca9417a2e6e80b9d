"""The journal's schema version: a file of the previous layout opens, migrates and keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from batchgui.services.journal import SCHEMA_VERSION, Journal, Unit

# The layout before the journal carried a version (services/submission.py at commit d1d36e0).
PREVIOUS_LAYOUT = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    file_path TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_sha256 TEXT NOT NULL,
    s3_uri TEXT NOT NULL,
    mode TEXT NOT NULL,
    queue TEXT NOT NULL,
    definition TEXT NOT NULL,
    job_name TEXT NOT NULL,
    name_prefix TEXT NOT NULL,
    rows INTEGER NOT NULL,
    rows_per_child INTEGER NOT NULL,
    connection TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    results_table TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS items (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    array_size INTEGER,
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
CREATE INDEX IF NOT EXISTS items_state ON items (submission_id, state);
CREATE TABLE IF NOT EXISTS units (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    first_row INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    log_stream TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    PRIMARY KEY (submission_id, seq, idx)
);
"""


def old_journal(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(PREVIOUS_LAYOUT)
    db.execute(
        "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            "old1",
            100.0,
            "/data/a.csv",
            10,
            "ab" * 32,
            "s3://b/a.csv",
            "per_row",
            "q",
            "d:1",
            "a",
            "a-old1",
            2,
            1,
            "Local sandbox",
            "",
            "submitted",
            "results",
            "",
        ),
    )
    db.executemany(
        "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [("old1", n, n, 1, f"a-old1-r{n}", "{}", "submitted", f"job-{n}", "", None, 100.0) for n in (0, 1)],
    )
    db.execute(
        "INSERT INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        ("old1", 1, -1, "job-1", 1, 1, "FAILED", 1, "boom", "", 100.0),
    )
    db.commit()
    db.close()


def test_a_journal_of_the_previous_layout_opens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "submissions.sqlite3"
    old_journal(path)
    journal = Journal(path)
    [sub] = journal.submissions()
    assert (sub.id, sub.file_path, sub.rows, sub.state, sub.connection) == (
        "old1",
        "/data/a.csv",
        2,
        "submitted",
        "Local sandbox",
    )
    assert sub.counts == {"submitted": 2}
    assert sub.changes == ""
    assert journal.job_ids("old1") == ["job-0", "job-1"]
    assert journal.units("old1") == [Unit("old1", 1, -1, "job-1", 1, 1, "FAILED", 1, "boom", "")]
    journal.remember_choice("Local sandbox", "q", "d:1")  # a table the old layout did not have
    assert journal.last_choice("Local sandbox") == ("q", "d:1")
    journal.close()
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION


def test_a_new_journal_is_made_at_the_current_version_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    journal = Journal(path)
    assert journal.submissions() == []
    journal.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    again = Journal(path)
    assert again.last_choice("x") is None
    again.close()


def test_a_journal_from_a_newer_app_is_refused_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        Journal(path).submissions()
