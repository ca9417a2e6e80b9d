"""Tags on compute environments, queues, job definitions, scheduling policies and jobs
(TagResource, UntagResource, ListTagsForResource); at most 50 per resource."""

from __future__ import annotations

import json
from collections.abc import Callable

from batchgui.sandbox import sql
from batchgui.sandbox.api.common import ARN_PREFIX, ClientError, Context, Json, Operation, dumps

MAX_TAGS = 50


def tag_target(resource: str) -> tuple[str, str, str]:
    """(select, update, key) of the JSON that holds the resource's tags."""
    if not resource.startswith(ARN_PREFIX):
        raise ClientError(f"Invalid resource ARN {resource!r}")
    kind, _, ident = resource[len(ARN_PREFIX) :].partition("/")
    queries = sql.TAGGED.get(kind)
    if queries is None:
        raise ClientError(f"Resource type {kind!r} can't be tagged")
    return queries[0], queries[1], ident if kind == "job" else resource


def edit_tags(ctx: Context, resource: str, edit: Callable[[dict[str, str]], None]) -> None:
    select, update, key = tag_target(resource)
    with ctx.store.write() as conn:
        row = conn.execute(select, (key,)).fetchone()
        if row is None or row[0] is None:
            raise ClientError(f"Resource {resource} does not exist")
        data = json.loads(row[0])
        tags = dict(data.get("tags") or {})
        edit(tags)
        if len(tags) > MAX_TAGS:
            raise ClientError("A resource can have at most 50 tags")
        data["tags"] = tags
        conn.execute(update, (dumps(data), key))


def tag_resource(ctx: Context, p: Json) -> Json:
    edit_tags(ctx, p["resourceArn"], lambda tags: tags.update(p["tags"]))
    return {}


def untag_resource(ctx: Context, p: Json) -> Json:
    def drop(tags: dict[str, str]) -> None:
        for k in p["tagKeys"]:
            tags.pop(k, None)

    edit_tags(ctx, p["resourceArn"], drop)
    return {}


def list_tags_for_resource(ctx: Context, p: Json) -> Json:
    select, _update, key = tag_target(p["resourceArn"])
    with ctx.store.read() as conn:
        row = conn.execute(select, (key,)).fetchone()
    if row is None or row[0] is None:
        raise ClientError(f"Resource {p['resourceArn']} does not exist")
    return {"tags": dict(json.loads(row[0]).get("tags") or {})}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
