"""The finished jobs the local jobs history holds (services/job_history.py's file of a connection),
read for their cost per day.

The file is opened read-only (SQLite `mode=ro`), apart from JobHistory, which owns its layout and
writes it: this module reads only the columns every layout has (version 1 and on), and a file that
is missing, locked or not a database reads as no runs. Array parents (their children are not kept)
and multi-node parents are left out: their run time is not one job's. Called on a worker thread.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from batchgui.domain.cost_rollup import FinishedRun

log = logging.getLogger(__name__)

_FINISHED = (
    "SELECT job_id, queue, job_definition, started_at, stopped_at FROM jobs "
    "WHERE started_at IS NOT NULL AND stopped_at IS NOT NULL AND array_size IS NULL "
    "AND stopped_at >= ? ORDER BY started_at"
)
_NODES = " AND num_nodes IS NULL"


def finished_runs(path: Path, since_ms: int = 0) -> list[FinishedRun]:
    """The history's finished jobs (plain jobs and array children) that stopped at or after `since_ms`."""
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as error:
        log.info("jobs history %s not opened: %s", path, error)
        return []
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        query = _FINISHED.replace(" ORDER BY", _NODES + " ORDER BY") if "num_nodes" in columns else _FINISHED
        return [
            FinishedRun(str(job_id), str(queue), str(definition), int(started), int(stopped))
            for job_id, queue, definition, started, stopped in db.execute(query, (since_ms,))
        ]
    except sqlite3.Error as error:
        log.info("jobs history %s not read: %s", path, error)
        return []
    finally:
        db.close()
