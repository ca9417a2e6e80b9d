"""Every SQL statement the sandbox runs: the schema, its
migrations and the queries, as named constants, plus builders for the few whose WHERE clause
depends on the request. Callers pass these to `conn.execute`; nothing else writes SQL text.

Columns a query returns are listed in its text, so a caller unpacking a row reads them here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

# ---- connections and transactions --------------------------------------------------------------
CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL in WAL mode: a commit survives a crash of this process (not a power cut) and costs
    # no fsync, which is what lets SubmitJob commit before answering at hundreds of calls/s.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA cache_size=-16000",
    "PRAGMA temp_store=MEMORY",
)
QUERY_ONLY = "PRAGMA query_only=ON"
BEGIN = "BEGIN IMMEDIATE"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
DATABASE_FILE = "SELECT file FROM pragma_database_list WHERE name = 'main'"

# ---- schema and migrations ---------------------------------------------------------------------
# PRAGMA user_version is the layout's number. 0 is a database made before it was kept (it may lack
# the later columns); each migration brings the file from one version to the next.
BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS compute_environments (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    transition_at REAL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_queues (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    transition_at REAL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_definitions (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (name, revision)
);
CREATE TABLE IF NOT EXISTS scheduling_policies (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    created_at INTEGER NOT NULL,
    runnable_at INTEGER,
    started_at INTEGER,
    stopped_at INTEGER,
    job_def TEXT NOT NULL,
    child INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT,
    array_index INTEGER,
    array_size INTEGER,
    vcpus REAL NOT NULL,
    memory INTEGER NOT NULL,
    attempts TEXT NOT NULL DEFAULT '[]',
    exit_code INTEGER,
    container_reason TEXT,
    log_stream TEXT,
    task_arn TEXT,
    ce TEXT,
    instance TEXT,
    is_cancelled INTEGER NOT NULL DEFAULT 0,
    is_terminated INTEGER NOT NULL DEFAULT 0,
    pending_deps INTEGER NOT NULL DEFAULT 0,
    spec TEXT
);
CREATE INDEX IF NOT EXISTS jobs_queue_status ON jobs (queue, status, seq, child);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs (parent_id, array_index) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_deps (
    job_id TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    type TEXT,
    PRIMARY KEY (job_id, depends_on)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS job_deps_target ON job_deps (depends_on);
CREATE TABLE IF NOT EXISTS array_summary (
    parent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (parent_id, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_groups (
    name TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    retention INTEGER,
    log_class TEXT NOT NULL DEFAULT 'STANDARD'
);
CREATE TABLE IF NOT EXISTS log_streams (
    id INTEGER PRIMARY KEY,
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    first_ts INTEGER,
    last_ts INTEGER,
    last_ingest INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_name, name)
);
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    ingest INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_stream ON log_events (stream_id, id);
"""
TABLE_COLUMNS = "SELECT name FROM pragma_table_info(?)"
GET_USER_VERSION = "PRAGMA user_version"
# PRAGMA takes no parameters: the version is a trusted integer from store.MIGRATIONS.
SET_USER_VERSION = "PRAGMA user_version = {version:d}"
# (version, table, column, declaration): columns added after the first layout.
ADDED_COLUMNS: tuple[tuple[int, str, str, str], ...] = (
    (2, "jobs", "share", "TEXT"),  # fair-share identifier
    # The running attempt's process group (its leader's pid) and that leader's start time
    # (/proc/PID/stat), so a restart can kill what is left of it and never a reused pid.
    (3, "jobs", "pid", "INTEGER"),
    (3, "jobs", "pid_start", "INTEGER"),
    # 1 while a service job can still change what settling admits (api/service_jobs.py `_settle`).
    (6, "service_objects", "open", "INTEGER"),
)
# (version, CREATE statement): tables added after the first layout.
ADDED_TABLES: tuple[tuple[int, str], ...] = (
    (
        4,
        "CREATE TABLE IF NOT EXISTS consumable_resources "
        "(name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, data TEXT NOT NULL)",
    ),
    # Service environments and service jobs (SageMaker Training through Batch, simulated).
    (
        4,
        "CREATE TABLE IF NOT EXISTS service_objects "
        "(arn TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL,"
        " data TEXT NOT NULL)",
    ),
)

# (version, CREATE INDEX statement): indexes added after the first layout.
ADDED_INDEXES: tuple[tuple[int, str], ...] = (
    # Filtered ListJobs (any status, newest first): AFTER_CREATED_AT / BEFORE_CREATED_AT read a
    # range of the queue's created-at order; JOB_NAME (exact or prefix, case-insensitive as AWS
    # matches it) a range of its names. Array children are never listed by queue: not indexed.
    # `child` is a column too, so the page's keys are read from the index alone (covering).
    (5, "CREATE INDEX IF NOT EXISTS jobs_queue_created ON jobs (queue, created_at, child) WHERE child = 0"),
    (
        5,
        "CREATE INDEX IF NOT EXISTS jobs_queue_name ON jobs (queue, name COLLATE NOCASE, created_at, child) "
        "WHERE child = 0",
    ),
    # The service jobs settling reads: only the open ones, not every job ever submitted.
    (
        6,
        "CREATE INDEX IF NOT EXISTS service_jobs_open ON service_objects (kind, created) WHERE open = 1",
    ),
)
# (version, UPDATE statement): values a new column takes in rows written before it existed.
BACKFILLS: tuple[tuple[int, str], ...] = (
    (
        6,
        "UPDATE service_objects SET open = 1 WHERE kind = 'service-job'"
        " AND json_extract(data, '$.status') NOT IN ('SUCCEEDED', 'FAILED')",
    ),
)


def add_column(table: str, column: str, declaration: str) -> str:
    return f"ALTER TABLE {table} ADD COLUMN {column} {declaration}"


# ---- meta ---------------------------------------------------------------------------------------
META_GET = "SELECT value FROM meta WHERE key = ?"
META_SET = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
META_SET_DEFAULT = "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)"
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"
# The writer never checkpoints on commit (SQLite's default does, every 1000 pages, with an fsync,
# inside whichever API call commits then): the store's checkpoint thread does it (store.py).
NO_AUTOCHECKPOINT = "PRAGMA wal_autocheckpoint=0"

# ---- array summaries ----------------------------------------------------------------------------
SUMMARY_DECREMENT = "UPDATE array_summary SET n = n - 1 WHERE parent_id = ? AND status = ?"
SUMMARY_INCREMENT = (
    "INSERT INTO array_summary (parent_id, status, n) VALUES (?, ?, 1) "
    "ON CONFLICT (parent_id, status) DO UPDATE SET n = n + 1"
)
SUMMARY_OF = "SELECT status, n FROM array_summary WHERE parent_id = ?"

# ---- compute environments and queues ------------------------------------------------------------
CE_BY_ARN = "SELECT data FROM compute_environments WHERE arn = ?"
CE_BY_NAME = "SELECT data FROM compute_environments WHERE name = ?"
QUEUE_BY_ARN = "SELECT data FROM job_queues WHERE arn = ?"
QUEUE_BY_NAME = "SELECT data FROM job_queues WHERE name = ?"
CE_SAVE = (
    "INSERT OR REPLACE INTO compute_environments (name, arn, status, transition_at, data) VALUES (?,?,?,?,?)"
)
QUEUE_SAVE = "INSERT OR REPLACE INTO job_queues (name, arn, status, transition_at, data) VALUES (?,?,?,?,?)"
CES_LIVE = "SELECT data FROM compute_environments WHERE status != 'DELETED'"
CES_LIVE_BY_NAME = CES_LIVE + " ORDER BY name"
QUEUES_LIVE = "SELECT data FROM job_queues WHERE status != 'DELETED'"
QUEUES_LIVE_BY_NAME = QUEUES_LIVE + " ORDER BY name"
QUEUE_ARNS = "SELECT arn FROM job_queues"
CE_SET_DATA = "UPDATE compute_environments SET data = ? WHERE arn = ?"
# Status transitions due (CREATING -> VALID, DELETING -> DELETED ...), per table.
CE_TRANSITIONS_DUE = (
    "SELECT name, status, data FROM compute_environments "
    "WHERE transition_at IS NOT NULL AND transition_at <= ?"
)
QUEUE_TRANSITIONS_DUE = (
    "SELECT name, status, data FROM job_queues WHERE transition_at IS NOT NULL AND transition_at <= ?"
)
CE_TRANSITION_DONE = (
    "UPDATE compute_environments SET status = ?, transition_at = NULL, data = ? WHERE name = ?"
)
QUEUE_TRANSITION_DONE = "UPDATE job_queues SET status = ?, transition_at = NULL, data = ? WHERE name = ?"
NEXT_TRANSITION = (
    "SELECT MIN(t) FROM (SELECT MIN(transition_at) AS t FROM compute_environments "
    "WHERE transition_at IS NOT NULL"
    " UNION ALL SELECT MIN(transition_at) FROM job_queues WHERE transition_at IS NOT NULL)"
)
CE_TRANSITION_NOW = "UPDATE compute_environments SET transition_at = 0 WHERE name = ?"
QUEUE_TRANSITION_NOW = "UPDATE job_queues SET transition_at = 0 WHERE name = ?"

# ---- job definitions ----------------------------------------------------------------------------
JOBDEF_BY_ARN = "SELECT data FROM job_definitions WHERE arn = ?"
JOBDEF_BY_REVISION = "SELECT data FROM job_definitions WHERE name = ? AND revision = ?"
JOBDEF_LATEST_ACTIVE = (
    "SELECT data FROM job_definitions WHERE name = ? AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1"
)
JOBDEF_NEXT_REVISION = "SELECT COALESCE(MAX(revision), 0) + 1 FROM job_definitions WHERE name = ?"
JOBDEF_INSERT = "INSERT INTO job_definitions (arn, name, revision, status, data) VALUES (?,?,?,?,?)"
JOBDEF_DEACTIVATE = "UPDATE job_definitions SET status = 'INACTIVE', data = ? WHERE arn = ?"
JOBDEF_NAMES = "SELECT DISTINCT name FROM job_definitions"


def describe_job_definitions(
    refs: Sequence[str], name: str | None, status: str | None
) -> tuple[str, list[Any]]:
    """DescribeJobDefinitions: by ARN, name:revision or name (any of `refs`), name and status."""
    where: list[str] = []
    args: list[Any] = []
    if refs:
        by_ref: list[str] = []
        for ref in refs:
            if ref.startswith("arn:"):
                by_ref.append("arn = ?")
                args.append(ref)
            elif ":" in ref:
                base, _, rev = ref.rpartition(":")
                by_ref.append("(name = ? AND revision = ?)")
                args += [base, int(rev) if rev.isdigit() else -1]
            else:
                by_ref.append("name = ?")
                args.append(ref)
        where.append("(" + " OR ".join(by_ref) + ")")
    if name is not None:
        where.append("name = ?")
        args.append(name)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    text = "SELECT data FROM job_definitions"
    if where:
        text += " WHERE " + " AND ".join(where)
    return text + " ORDER BY name, revision", args


# ---- scheduling policies ------------------------------------------------------------------------
POLICY_BY_ARN = "SELECT data FROM scheduling_policies WHERE arn = ?"
POLICY_EXISTS = "SELECT 1 FROM scheduling_policies WHERE arn = ?"
POLICY_NAME_EXISTS = "SELECT 1 FROM scheduling_policies WHERE name = ?"
POLICY_INSERT = "INSERT INTO scheduling_policies (arn, name, data) VALUES (?,?,?)"
POLICY_SET_DATA = "UPDATE scheduling_policies SET data = ? WHERE arn = ?"
POLICY_DELETE = "DELETE FROM scheduling_policies WHERE arn = ?"
POLICY_ARNS = "SELECT arn FROM scheduling_policies ORDER BY name"

# ---- tags: (select, update) of the JSON that holds a resource's tags, per ARN resource type -----
TAGGED: dict[str, tuple[str, str]] = {
    "compute-environment": (CE_BY_ARN, "UPDATE compute_environments SET data = ? WHERE arn = ?"),
    "job-queue": (QUEUE_BY_ARN, "UPDATE job_queues SET data = ? WHERE arn = ?"),
    "job-definition": (JOBDEF_BY_ARN, "UPDATE job_definitions SET data = ? WHERE arn = ?"),
    "scheduling-policy": (POLICY_BY_ARN, POLICY_SET_DATA),
    "job": ("SELECT spec FROM jobs WHERE job_id = ?", "UPDATE jobs SET spec = ? WHERE job_id = ?"),
}

# ---- jobs ---------------------------------------------------------------------------------------
JOB_SPEC = "SELECT spec FROM jobs WHERE job_id = ?"
JOB_ATTEMPTS = "SELECT attempts FROM jobs WHERE job_id = ?"
JOB_STATUS_ATTEMPTS = "SELECT status, attempts FROM jobs WHERE job_id = ?"
JOB_STATUS_PARENT = "SELECT status, parent_id FROM jobs WHERE job_id = ?"
JOB_STATUS_ARRAY = "SELECT status, array_size, child FROM jobs WHERE job_id = ?"
JOB_ARRAY_SIZE = "SELECT array_size FROM jobs WHERE job_id = ?"
JOB_MARK_TERMINATED = "UPDATE jobs SET is_terminated = 1 WHERE job_id = ?"
JOB_MARK_STOPPED = "UPDATE jobs SET is_cancelled = ?, is_terminated = ? WHERE job_id = ?"
JOB_SET_REASON = "UPDATE jobs SET status_reason = ? WHERE job_id = ?"
# Job lifecycle (lifecycle.py): status changes, dependencies, array children.
JOB_LIFECYCLE = "SELECT status, parent_id, array_size, child FROM jobs WHERE job_id = ?"
JOB_DEPS_STATUS = (
    "SELECT j.status FROM job_deps d LEFT JOIN jobs j ON j.job_id = d.depends_on WHERE d.job_id = ?"
)
JOB_ARRAY_TEMPLATE = (
    "SELECT spec, queue, job_def, name, vcpus, memory, created_at, share FROM jobs WHERE job_id = ?"
)
CHILD_INSERT = (
    "INSERT INTO jobs (job_id, name, queue, status, created_at, runnable_at, job_def, child, parent_id, "
    "array_index, vcpus, memory, share) VALUES (?,?,?,?,?,?,?,1,?,?,?,?,?)"
)
SUMMARY_SET = "INSERT OR REPLACE INTO array_summary (parent_id, status, n) VALUES (?,?,?)"
JOB_DEPENDENTS = "SELECT job_id FROM job_deps WHERE depends_on = ?"
JOB_STATUS_SIZE = "SELECT status, array_size FROM jobs WHERE job_id = ?"
CHILDREN_FIRST_START = "SELECT MIN(started_at) FROM jobs WHERE parent_id = ?"


@functools.cache
def set_job_status(columns: tuple[str, ...], guarded: bool) -> str:
    """UPDATE of a job's status and `columns` (names from lifecycle.py's callers, never from a
    request); `guarded`: only while it still has the old status (one more `?`)."""
    assigns = ", ".join(["status = ?", *(f"{column} = ?" for column in columns)])
    return f"UPDATE jobs SET {assigns} WHERE job_id = ?" + (" AND status = ?" if guarded else "")


JOB_INSERT = (
    "INSERT INTO jobs (job_id, name, queue, status, created_at, job_def, child, array_size, vcpus, memory,"
    " pending_deps, spec, share) VALUES (?,?,?,?,?,?,0,?,?,?,?,?,?)"
)
DEPS_INSERT = "INSERT OR IGNORE INTO job_deps (job_id, depends_on, type) VALUES (?,?,?)"
CHILDREN_IN = "SELECT job_id FROM jobs WHERE parent_id = ? AND status IN (?,?,?,?,?)"
JOBS_ACTIVE_IN_QUEUE = (
    "SELECT job_id, parent_id, status, attempts, started_at, log_stream, task_arn, ce, pid, pid_start "
    "FROM jobs WHERE queue = ? AND status IN ('STARTING', 'RUNNING')"
)
JOBS_IN_QUEUE_WITH_STATUS = "SELECT job_id, parent_id FROM jobs WHERE queue = ? AND status = ?"
# SUBMITTED jobs to move on, with whether each is an array parent and has dependencies: a plain job
# without any goes straight to RUNNABLE (one UPDATE, no more queries).
JOBS_SUBMITTED = (
    "SELECT job_id, array_size, EXISTS (SELECT 1 FROM job_deps d WHERE d.job_id = jobs.job_id) FROM jobs"
    " WHERE queue = ? AND status = 'SUBMITTED' ORDER BY seq LIMIT 2000"
)
JOBS_RUNNABLE_SINCE = (
    "SELECT job_id, parent_id FROM jobs WHERE queue = ? AND status = 'RUNNABLE' "
    "AND runnable_at <= ? AND status_reason LIKE ?"
)
# The front of a queue, FIFO, as placement reads it.
JOBS_RUNNABLE_FRONT = (
    "SELECT job_id, parent_id, array_index, vcpus, memory, status_reason, share FROM jobs "
    "WHERE queue = ? AND status = 'RUNNABLE' ORDER BY seq LIMIT 300"
)
SHARE_USAGE = "SELECT share, SUM(vcpus) FROM jobs WHERE queue = ? AND status = ? GROUP BY share"
QUEUE_SNAPSHOT = (
    "SELECT job_id, COALESCE(runnable_at, created_at) FROM jobs WHERE queue = ? AND status = 'RUNNABLE' "
    "ORDER BY seq LIMIT 100"
)
DESCRIBE_COLUMNS = (
    "job_id, name, queue, status, status_reason, created_at, started_at, stopped_at, job_def, child, "
    "parent_id, array_index, array_size, attempts, exit_code, container_reason, log_stream, task_arn, "
    "instance, is_cancelled, is_terminated, spec"
)
SUMMARY_COLUMNS = (
    "seq, job_id, name, status, status_reason, created_at, started_at, stopped_at, job_def, "
    "child, array_index, array_size, exit_code, container_reason, is_cancelled, is_terminated"
)


def describe_jobs(count: int) -> str:
    return f"SELECT {DESCRIBE_COLUMNS} FROM jobs WHERE job_id IN ({','.join('?' * count)})"


def list_jobs(where: Sequence[str], order: str) -> str:
    """ListJobs: `where` are terms from `list_jobs_term` and the fixed ones below; `order` one of
    LIST_BY_SEQ / LIST_BY_INDEX."""
    return f"SELECT {SUMMARY_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"


def list_filtered_jobs(where: Sequence[str], by_name: bool) -> str:
    """A filtered ListJobs page (newest first): the page's keys from one of the queue's indexes
    (`by_name`: the name index, for JOB_NAME; else the created-at one), then only those rows."""
    index = "jobs_queue_name" if by_name else "jobs_queue_created"
    keys = (
        f"SELECT seq FROM jobs INDEXED BY {index} WHERE {' AND '.join(where)} "
        f"ORDER BY {LIST_BY_CREATED} LIMIT ?"
    )
    return f"SELECT {SUMMARY_COLUMNS} FROM jobs WHERE seq IN ({keys}) ORDER BY {LIST_BY_CREATED}"


LIST_BY_SEQ = "seq DESC"
LIST_BY_CREATED = "created_at DESC, seq DESC"
LIST_BEFORE_CREATED_SEQ = "(created_at, seq) < (?, ?)"
LIST_BY_INDEX = "array_index ASC"
LIST_CHILDREN_OF = "parent_id = ?"
LIST_AFTER_INDEX = "array_index > ?"
LIST_IN_QUEUE = "queue = ? AND child = 0"
LIST_BEFORE_SEQ = "seq < ?"
LIST_STATUS = "status = ?"
LIST_NAME = "name = ? COLLATE NOCASE"
LIST_NAME_RANGE = "name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE"
LIST_JOB_DEF = "job_def = ?"
LIST_JOB_DEF_PREFIX = "job_def LIKE ? ESCAPE '\\'"
LIST_CREATED_BEFORE = "created_at < ?"
LIST_CREATED_AFTER = "created_at > ?"


def name_prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds of the names starting with `prefix` (compared with COLLATE NOCASE, as LIST_NAME_RANGE)."""
    return prefix, prefix + "\U0010ffff"


def like_prefix(prefix: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching strings that start with `prefix`."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# ---- CloudWatch Logs ----------------------------------------------------------------------------
GROUP_ENSURE = "INSERT OR IGNORE INTO log_groups (name, created) VALUES (?, ?)"
GROUP_EXISTS = "SELECT 1 FROM log_groups WHERE name = ?"
GROUP_INSERT = "INSERT INTO log_groups (name, created, log_class) VALUES (?, ?, ?)"
GROUP_DELETE = "DELETE FROM log_groups WHERE name = ?"
STREAM_ID = "SELECT id FROM log_streams WHERE group_name = ? AND name = ?"
STREAM_INSERT = "INSERT INTO log_streams (group_name, name, created) VALUES (?, ?, ?)"
STREAM_IDS_OF_GROUP = "SELECT id FROM log_streams WHERE group_name = ?"
STREAMS_DELETE_OF_GROUP = "DELETE FROM log_streams WHERE group_name = ?"
STREAM_DELETE = "DELETE FROM log_streams WHERE id = ?"
EVENTS_DELETE_OF_STREAM = "DELETE FROM log_events WHERE stream_id = ?"
EVENTS_INSERT = "INSERT INTO log_events (stream_id, ts, ingest, message) VALUES (?, ?, ?, ?)"
STREAM_STATS_ADD = (
    "UPDATE log_streams SET first_ts = MIN(COALESCE(first_ts, ?), ?), "
    "last_ts = MAX(COALESCE(last_ts, ?), ?), "
    "last_ingest = ?, stored_bytes = stored_bytes + ? WHERE id = ?"
)
EVENTS_LAST_ID = "SELECT MAX(id) FROM log_events WHERE stream_id = ?"
# Terms for the builders below.
NAME_PREFIX = "substr({col}, 1, ?) = ?"
GROUP_NAME_CONTAINS = "instr(name, ?) > 0"
GROUP_NAME_AFTER = "name > ?"
EVENT_FROM = "{alias}ts >= ?"
EVENT_BEFORE = "ts < ?"
EVENT_UNTIL = "e.ts <= ?"
EVENT_AFTER_ID = "id > ?"
EVENT_BEFORE_ID = "id < ?"
EVENT_AFTER_POSITION = "(e.ts > ? OR (e.ts = ? AND e.id > ?))"
EVENT_CONTAINS = "instr(e.message, ?) > 0"


def names_in(column: str, count: int) -> str:
    return f"{column} IN ({','.join('?' * count)})"


def log_groups(where: Sequence[str]) -> str:
    return (
        "SELECT g.name, g.created, g.retention, g.log_class, "
        "(SELECT COALESCE(SUM(stored_bytes), 0) FROM log_streams s WHERE s.group_name = g.name) "
        f"FROM log_groups g WHERE {' AND '.join(['1=1', *where])} ORDER BY name LIMIT ?"
    )


def log_streams(where: Sequence[str], by_last_event: bool, descending: bool) -> str:
    key = "COALESCE(last_ts, 0)" if by_last_event else "name"
    return (
        "SELECT name, created, first_ts, last_ts, last_ingest, stored_bytes FROM log_streams "
        f"WHERE {' AND '.join(['group_name = ?', *where])} "
        f"ORDER BY {key} {'DESC' if descending else 'ASC'}, id "
        "LIMIT ? OFFSET ?"
    )


def stream_names(where: Sequence[str]) -> str:
    terms = " AND ".join(["group_name = ?", *where])
    return f"SELECT name FROM log_streams WHERE {terms} ORDER BY name LIMIT 100"


def stream_events(where: Sequence[str], forward: bool) -> str:
    return (
        f"SELECT id, ts, message, ingest FROM log_events WHERE {' AND '.join(['stream_id = ?', *where])} "
        f"ORDER BY id {'' if forward else 'DESC '}LIMIT ?"
    )


def filtered_events(where: Sequence[str]) -> str:
    return (
        "SELECT e.id, e.ts, e.message, e.ingest, s.name FROM log_events e JOIN log_streams s "
        f"ON s.id = e.stream_id WHERE {' AND '.join(['s.group_name = ?', *where])} "
        "ORDER BY e.ts, e.id LIMIT ?"
    )


# ---- queue utilization (GetJobQueueSnapshot): array parents hold nothing themselves ---------------
QUEUE_SHARE_USAGE = (
    "SELECT COALESCE(share, ''), SUM(vcpus) FROM jobs WHERE queue = ? AND status IN ('STARTING', 'RUNNING')"
    " AND NOT (child = 0 AND array_size IS NOT NULL) GROUP BY COALESCE(share, '')"
)

# ---- multi-node jobs (node_groups.py) -----------------------------------------------------------
ACTIVE_MULTINODE = (
    "SELECT job_id FROM jobs WHERE child = 0 AND status IN ('PENDING', 'RUNNABLE', 'STARTING', 'RUNNING')"
    " AND json_extract(spec, '$.nodeProperties') IS NOT NULL"
)
MULTINODE_PARENT = "SELECT status, spec FROM jobs WHERE job_id = ?"
MULTINODE_MAIN_NODE = "SELECT status, status_reason, exit_code, container_reason FROM jobs WHERE job_id = ?"
NODES_ACTIVE = "SELECT job_id FROM jobs WHERE parent_id = ? AND status IN (?,?,?,?,?)"
MULTINODE_FIRST_START = "SELECT MIN(started_at) FROM jobs WHERE parent_id = ?"
MULTINODE_SET_ENDED = "UPDATE jobs SET exit_code = ?, container_reason = ? WHERE job_id = ?"
NODES_RUNNABLE = "SELECT COUNT(*) FROM jobs WHERE parent_id = ? AND status = 'RUNNABLE'"

# ---- service environments and service jobs (api/service_jobs.py) --------------------------------
SERVICE_GET = "SELECT data FROM service_objects WHERE arn = ?"
SERVICE_BY_NAME = "SELECT data FROM service_objects WHERE kind = ? AND name = ?"
SERVICE_ALL = "SELECT data FROM service_objects WHERE kind = ? ORDER BY name"
SERVICE_JOBS_NEWEST = "SELECT data FROM service_objects WHERE kind = 'service-job' ORDER BY created DESC"
# Service jobs that may still change what settling admits (open = 1; the service_jobs_open index).
SERVICE_JOBS_OPEN = (
    "SELECT data FROM service_objects INDEXED BY service_jobs_open WHERE kind = 'service-job' AND open = 1"
    " ORDER BY created"
)
SERVICE_JOB_CLOSE = "UPDATE service_objects SET open = 0 WHERE arn = ?"
SERVICE_SAVE = (
    "INSERT OR REPLACE INTO service_objects (arn, kind, name, created, data) VALUES (?, ?, ?, ?, ?)"
)
SERVICE_JOB_SAVE = (
    "INSERT OR REPLACE INTO service_objects (arn, kind, name, created, data, open) VALUES (?, ?, ?, ?, ?, ?)"
)
