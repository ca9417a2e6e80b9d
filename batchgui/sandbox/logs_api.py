"""CloudWatch Logs (json protocol, `X-Amz-Target: Logs_20140328.<Operation>`) over the Store.

Jobs' output lands here while they run (the engine writes it in small batches). Operations:
CreateLogGroup, CreateLogStream, PutLogEvents, DescribeLogGroups, DescribeLogStreams, GetLogEvents
(startFromHead, forward/backward tokens as AWS forms them,
at most 10,000 events or 1 MB an answer), FilterLogEvents (plain terms and quoted
phrases; every term must occur), DeleteLogGroup, DeleteLogStream. Others get an AWS-style error.

Event ids are SQLite rowids, increasing in ingestion order; a token `f/<id>` continues forward after
event `id`, `b/<id>` continues backward before it, and a forward token at the end of a stream is
handed back unchanged, which is how AWS tells a follower there is nothing new yet.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from batchgui.domain.job_logs import MAX_PAGE_BYTES, MAX_PAGE_EVENTS, event_bytes
from batchgui.sandbox import sql
from batchgui.sandbox.json_api import Json, JsonApi, JsonApiError
from batchgui.sandbox.settings import ACCOUNT_ID, REGION
from batchgui.sandbox.store import Store

TARGET_PREFIX = "Logs_20140328."
GROUP_RE = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
STREAM_RE = re.compile(r"^[^:*]{1,512}$")
MAX_EVENTS = MAX_PAGE_EVENTS


class LogsError(JsonApiError):
    pass


def now_ms() -> int:
    return int(time.time() * 1000)


def group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}"


def ensure_group(conn: sqlite3.Connection, name: str, now: int) -> None:
    conn.execute(sql.GROUP_ENSURE, (name, now))


def ensure_stream(conn: sqlite3.Connection, group: str, stream: str, now: int) -> int:
    ensure_group(conn, group, now)
    row = conn.execute(sql.STREAM_ID, (group, stream)).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute(sql.STREAM_INSERT, (group, stream, now))
    return int(cur.lastrowid or 0)


def append_events(
    conn: sqlite3.Connection, stream_id: int, events: list[tuple[int, str]], ingest: int
) -> None:
    """Store `(timestamp, message)` events in one stream and update its statistics."""
    if not events:
        return
    conn.executemany(sql.EVENTS_INSERT, [(stream_id, ts, ingest, msg) for ts, msg in events])
    first = min(ts for ts, _ in events)
    last = max(ts for ts, _ in events)
    size = sum(len(msg) for _, msg in events)
    conn.execute(sql.STREAM_STATS_ADD, (first, first, last, last, ingest, size, stream_id))


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _untoken(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise LogsError("InvalidParameterException", "The specified nextToken is invalid.") from None


class LogsApi(JsonApi):
    service = "logs"
    target_prefix = TARGET_PREFIX
    not_implemented = "InvalidOperationException"
    message_key = "message"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ops: dict[str, Callable[[Json], Json]] = {
            "CreateLogGroup": self.create_log_group,
            "CreateLogStream": self.create_log_stream,
            "PutLogEvents": self.put_log_events,
            "DescribeLogGroups": self.describe_log_groups,
            "DescribeLogStreams": self.describe_log_streams,
            "GetLogEvents": self.get_log_events,
            "FilterLogEvents": self.filter_log_events,
            "DeleteLogGroup": self.delete_log_group,
            "DeleteLogStream": self.delete_log_stream,
        }

    def handlers(self) -> dict[str, Callable[[Json], Json]]:
        return self._ops

    # ---- groups and streams ---------------------------------------------------------------------
    def create_log_group(self, p: Json) -> Json:
        name = p["logGroupName"]
        if not GROUP_RE.match(name):
            raise LogsError("InvalidParameterException", f"Invalid log group name {name!r}")
        with self.store.write() as conn:
            if conn.execute(sql.GROUP_EXISTS, (name,)).fetchone():
                raise LogsError("ResourceAlreadyExistsException", "The specified log group already exists")
            conn.execute(sql.GROUP_INSERT, (name, now_ms(), p.get("logGroupClass", "STANDARD")))
        return {}

    def create_log_stream(self, p: Json) -> Json:
        group, name = p["logGroupName"], p["logStreamName"]
        if not STREAM_RE.match(name):
            raise LogsError("InvalidParameterException", f"Invalid log stream name {name!r}")
        with self.store.write() as conn:
            self._require_group(conn, group)
            if conn.execute(sql.STREAM_ID, (group, name)).fetchone():
                raise LogsError("ResourceAlreadyExistsException", "The specified log stream already exists")
            conn.execute(sql.STREAM_INSERT, (group, name, now_ms()))
        return {}

    def put_log_events(self, p: Json) -> Json:
        events = p["logEvents"]
        if not events:
            raise LogsError("InvalidParameterException", "logEvents must contain at least one event")
        if len(events) > MAX_EVENTS:
            raise LogsError("InvalidParameterException", "At most 10,000 events per PutLogEvents call")
        stamps = [e["timestamp"] for e in events]
        if stamps != sorted(stamps):
            raise LogsError(
                "InvalidParameterException",
                "Log events in a single PutLogEvents request must be in chronological order.",
            )
        with self.store.write() as conn:
            sid = self._stream_id(conn, p["logGroupName"], p["logStreamName"])
            append_events(conn, sid, [(e["timestamp"], e["message"]) for e in events], now_ms())
        return {}

    def delete_log_group(self, p: Json) -> Json:
        with self.store.write() as conn:
            self._require_group(conn, p["logGroupName"])
            ids = [r[0] for r in conn.execute(sql.STREAM_IDS_OF_GROUP, (p["logGroupName"],))]
            conn.executemany(sql.EVENTS_DELETE_OF_STREAM, [(i,) for i in ids])
            conn.execute(sql.STREAMS_DELETE_OF_GROUP, (p["logGroupName"],))
            conn.execute(sql.GROUP_DELETE, (p["logGroupName"],))
        return {}

    def delete_log_stream(self, p: Json) -> Json:
        with self.store.write() as conn:
            sid = self._stream_id(conn, p["logGroupName"], p["logStreamName"])
            conn.execute(sql.EVENTS_DELETE_OF_STREAM, (sid,))
            conn.execute(sql.STREAM_DELETE, (sid,))
        return {}

    @staticmethod
    def _require_group(conn: sqlite3.Connection, group: str) -> None:
        if conn.execute(sql.GROUP_EXISTS, (group,)).fetchone() is None:
            raise LogsError("ResourceNotFoundException", "The specified log group does not exist.")

    def _stream_id(self, conn: sqlite3.Connection, group: str, stream: str) -> int:
        self._require_group(conn, group)
        row = conn.execute(sql.STREAM_ID, (group, stream)).fetchone()
        if row is None:
            raise LogsError("ResourceNotFoundException", "The specified log stream does not exist.")
        return int(row[0])

    @staticmethod
    def _group_name(p: Json) -> str:
        name = p.get("logGroupName")
        ident = p.get("logGroupIdentifier")
        if name and ident:
            raise LogsError(
                "InvalidParameterException", "Specify logGroupName or logGroupIdentifier, not both"
            )
        if ident:
            return str(ident).split(":log-group:", 1)[-1].removesuffix(":*")
        if not name:
            raise LogsError("InvalidParameterException", "logGroupName or logGroupIdentifier is required")
        return str(name)

    def describe_log_groups(self, p: Json) -> Json:
        limit = int(p.get("limit", 50))
        if not 1 <= limit <= 50:
            raise LogsError("InvalidParameterException", "limit must be between 1 and 50")
        where, args = _prefix_term(p, "logGroupNamePrefix", "name")
        if "logGroupNamePattern" in p:
            where.append(sql.GROUP_NAME_CONTAINS)
            args.append(p["logGroupNamePattern"])
        if "nextToken" in p:
            where.append(sql.GROUP_NAME_AFTER)
            args.append(_untoken(p["nextToken"]))
        with self.store.read() as conn:
            rows = conn.execute(sql.log_groups(where), [*args, limit + 1]).fetchall()
        groups = []
        for name, created, retention, log_class, stored in rows[:limit]:
            g: Json = {
                "logGroupName": name,
                "creationTime": created,
                "metricFilterCount": 0,
                "arn": group_arn(name) + ":*",
                "storedBytes": stored,
                "logGroupClass": log_class,
                "logGroupArn": group_arn(name),
            }
            if retention is not None:
                g["retentionInDays"] = retention
            groups.append(g)
        out: Json = {"logGroups": groups}
        if len(rows) > limit:
            out["nextToken"] = _token(rows[limit - 1][0])
        return out

    def describe_log_streams(self, p: Json) -> Json:
        group = self._group_name(p)
        limit = int(p.get("limit", 50))
        if not 1 <= limit <= 50:
            raise LogsError("InvalidParameterException", "limit must be between 1 and 50")
        order_by = p.get("orderBy", "LogStreamName")
        if order_by == "LastEventTime" and "logStreamNamePrefix" in p:
            raise LogsError(
                "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix."
            )
        desc = bool(p.get("descending", False))
        start = int(_untoken(p["nextToken"])) if "nextToken" in p else 0
        where, args = _prefix_term(p, "logStreamNamePrefix", "name")
        query = sql.log_streams(where, by_last_event=order_by != "LogStreamName", descending=desc)
        with self.store.read() as conn:
            self._require_group(conn, group)
            rows = conn.execute(query, [group, *args, limit + 1, start]).fetchall()
        streams = []
        for name, created, first, last, ingest, stored in rows[:limit]:
            s: Json = {
                "logStreamName": name,
                "creationTime": created,
                "storedBytes": stored,
                "arn": f"{group_arn(group)}:log-stream:{name}",
            }
            if first is not None:
                s["firstEventTimestamp"] = first
                s["lastEventTimestamp"] = last
                s["lastIngestionTime"] = ingest
                s["uploadSequenceToken"] = str(ingest)
            streams.append(s)
        out: Json = {"logStreams": streams}
        if len(rows) > limit:
            out["nextToken"] = _token(start + limit)
        return out

    # ---- events ---------------------------------------------------------------------------------
    def get_log_events(self, p: Json) -> Json:
        group = self._group_name(p)
        limit = int(p.get("limit", MAX_EVENTS))
        if not 1 <= limit <= MAX_EVENTS:
            raise LogsError("InvalidParameterException", "limit must be between 1 and 10000")
        token = p.get("nextToken")
        where: list[str] = []
        with self.store.read() as conn:
            sid = self._stream_id(conn, group, p["logStreamName"])
            args: list[Any] = [sid]
            _time_terms(p, where, args, sql.EVENT_FROM.format(alias=""), sql.EVENT_BEFORE)
            forward = bool(p.get("startFromHead", False))
            anchor: int | None = None
            if token:
                direction, _, num = str(token).partition("/")
                if direction not in ("f", "b") or not num.isdigit():
                    raise LogsError("InvalidParameterException", "The specified nextToken is invalid.")
                forward = direction == "f"
                anchor = int(num)
            if anchor is not None:
                where.append(sql.EVENT_AFTER_ID if forward else sql.EVENT_BEFORE_ID)
                args.append(anchor)
            rows = _within_page_bytes(
                conn.execute(sql.stream_events(where, forward), [*args, limit]).fetchall()
            )
            if not forward:
                rows.reverse()  # read newest first, so a capped backward page keeps the events nearest
        events = [{"timestamp": ts, "message": msg, "ingestionTime": ing} for _, ts, msg, ing in rows]
        if rows:
            fwd, back = rows[-1][0], rows[0][0]
        elif anchor is not None:
            fwd = back = anchor
        else:
            fwd, back = 0, 0
            if not forward:  # empty tail read: a follower continues after everything seen so far
                with self.store.read() as conn:
                    row = conn.execute(sql.EVENTS_LAST_ID, (sid,)).fetchone()
                fwd = int(row[0] or 0)
                back = fwd + 1
        return {
            "events": events,
            "nextForwardToken": f"f/{fwd:056d}",
            "nextBackwardToken": f"b/{back:056d}",
        }

    def _searched(self, group: str, p: Json) -> list[Json]:
        """The deprecated searchedLogStreams list: every stream the filter looked at."""
        where, args = _stream_terms(p, "name")
        with self.store.read() as conn:
            rows = conn.execute(sql.stream_names(where), [group, *args]).fetchall()
        return [{"logStreamName": r[0], "searchedCompletely": True} for r in rows]

    def filter_log_events(self, p: Json) -> Json:
        group = self._group_name(p)
        limit = int(p.get("limit", MAX_EVENTS))
        if not 1 <= limit <= MAX_EVENTS:
            raise LogsError("InvalidParameterException", "limit must be between 1 and 10000")
        if "logStreamNames" in p and "logStreamNamePrefix" in p:
            raise LogsError(
                "InvalidParameterException", "Specify logStreamNames or logStreamNamePrefix, not both"
            )
        where, args = _stream_terms(p, "s.name")
        _time_terms(p, where, args, sql.EVENT_FROM.format(alias="e."), sql.EVENT_UNTIL)
        if "nextToken" in p:
            ts, eid = _untoken(p["nextToken"])
            where.append(sql.EVENT_AFTER_POSITION)
            args += [ts, ts, eid]
        for phrase in _filter_terms(str(p.get("filterPattern", ""))):
            where.append(sql.EVENT_CONTAINS)
            args.append(phrase)
        with self.store.read() as conn:
            self._require_group(conn, group)
            rows = conn.execute(sql.filtered_events(where), [group, *args, limit + 1]).fetchall()
        kept = _within_page_bytes(rows[:limit])
        events = [
            {
                "logStreamName": name,
                "timestamp": ts,
                "message": msg,
                "ingestionTime": ing,
                "eventId": f"{eid:056d}",
            }
            for eid, ts, msg, ing, name in kept
        ]
        out: Json = {"events": events, "searchedLogStreams": self._searched(group, p)}
        if len(rows) > len(kept):
            last = kept[-1]
            out["nextToken"] = _token([last[1], last[0]])
        return out


def _within_page_bytes(rows: list[Any], message_at: int = 2) -> list[Any]:
    """The leading rows that fit in one answer's 1 MB (each event counts its UTF-8 message plus 26
    bytes, as CloudWatch Logs counts them); at least one."""
    total = 0
    for count, row in enumerate(rows):
        total += event_bytes(row[message_at])
        if total > MAX_PAGE_BYTES and count:
            return rows[:count]
    return rows


def _time_terms(p: Json, where: list[str], args: list[Any], from_term: str, end_term: str) -> None:
    """The startTime / endTime terms of GetLogEvents and FilterLogEvents (their end differs)."""
    for key, term in (("startTime", from_term), ("endTime", end_term)):
        if key in p:
            where.append(term)
            args.append(p[key])


def _prefix_term(p: Json, key: str, column: str) -> tuple[list[str], list[Any]]:
    """A name-prefix condition when the request has `key`."""
    if key not in p:
        return [], []
    return [sql.NAME_PREFIX.format(col=column)], [len(p[key]), p[key]]


def _stream_terms(p: Json, column: str) -> tuple[list[str], list[Any]]:
    """logStreamNames / logStreamNamePrefix conditions on the stream name `column`."""
    where, args = _prefix_term(p, "logStreamNamePrefix", column)
    if p.get("logStreamNames"):
        where.insert(0, sql.names_in(column, len(p["logStreamNames"])))
        args[:0] = p["logStreamNames"]
    return where, args


# Compiled once (re's shared cache of patterns is evicted by moto's and botocore's).
_FILTER_TERM = re.compile(r'"([^"]*)"|(\S+)')


def _filter_terms(pattern: str) -> list[str]:
    """Terms of a CloudWatch filter pattern: quoted phrases and bare words, all required."""
    pattern = pattern.strip()
    if not pattern:
        return []
    return [a or b for a, b in _FILTER_TERM.findall(pattern)]
