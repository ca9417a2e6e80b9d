"""The seeded demo's CSV row processor: S3 -> (this job) -> DynamoDB.

Run by job definition `csv-row-processor` (and `csv-row-processor-ec2`) as
`python -m batchgui.sandbox.demo.processor --bucket Ref::bucket --key Ref::key ...`; in the sandbox a
bare `python` is the sandbox's own interpreter. Job parameters (the `Ref::` names):

- `bucket`          S3 bucket holding the CSV (default `batchgui-demo`)
- `key`             object key of the CSV (default `input/sample.csv`); first line is the header
- `rows_per_child`  data rows each job handles; 0 means all rows (default `50`)
- `first_row`       0-based data row the slices start at (default `0`); child i of an array job
                    handles rows `first_row + i*rows_per_child` up to the next slice
- `table`           DynamoDB table for results (default `batchgui-demo-results`)
- `submission_id`   partition key value grouping one submission's results (default `demo`)
- `delay_ms`        simulated work per row in milliseconds (default `20`)

Each row becomes one item `{submission_id (S, partition key), row_number (N, sort key, 0-based data
row), job_id, array_index, processed_at, <every CSV column as a string>}`, written with
batch_write_item, at most 25 items per call, retrying UnprocessedItems with backoff. Progress is
logged to stdout (so to CloudWatch Logs). Exit codes: 0 done (also when the slice is past the end
of the file), 1 failure (missing object or table, items left unprocessed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

BATCH_LIMIT = 25


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="batchgui.sandbox.demo.processor")
    parser.add_argument("--bucket", default="batchgui-demo")
    parser.add_argument("--key", default="input/sample.csv")
    parser.add_argument("--rows-per-child", type=int, default=50)
    parser.add_argument("--first-row", type=int, default=0)
    parser.add_argument("--table", default="batchgui-demo-results")
    parser.add_argument("--submission-id", default="demo")
    parser.add_argument("--delay-ms", type=float, default=20.0)
    return parser.parse_args(argv)


def row_range(first_row: int, rows_per_child: int, index: int) -> tuple[int, int | None]:
    """[start, stop) data rows for array child `index`; stop None means to the end."""
    if rows_per_child <= 0:
        return first_row, None
    start = first_row + index * rows_per_child
    return start, start + rows_per_child


def _lines(body: Any) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in body.iter_chunks(64 * 1024):
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def write_items(client: Any, table: str, items: list[dict[str, Any]], max_attempts: int = 8) -> None:
    """batch_write_item in groups of 25, retrying UnprocessedItems with exponential backoff."""
    for start in range(0, len(items), BATCH_LIMIT):
        request: dict[str, Any] = {
            table: [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_LIMIT]]
        }
        for attempt in range(max_attempts):
            response = client.batch_write_item(RequestItems=request)
            request = response.get("UnprocessedItems") or {}
            if not request:
                break
            time.sleep(min(2.0, 0.05 * 2**attempt))
        if request:
            raise RuntimeError(f"{sum(len(v) for v in request.values())} items still unprocessed")


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    import boto3

    from batchgui.domain.array_retry import original_index  # a retry of failed children maps its index

    index = original_index(os.environ)
    job_id = os.environ.get("AWS_BATCH_JOB_ID", "local")
    start, stop = row_range(args.first_row, args.rows_per_child, index)
    print(
        f"job {job_id} child {index}: rows {start}..{'end' if stop is None else stop - 1} of "
        f"s3://{args.bucket}/{args.key} -> {args.table}",
        flush=True,
    )
    s3 = boto3.client("s3")
    dynamodb = boto3.client("dynamodb")
    try:
        body = s3.get_object(Bucket=args.bucket, Key=args.key)["Body"]
    except Exception as exc:  # the job's log says what went wrong; the exit code says it failed
        print(f"ERROR reading s3://{args.bucket}/{args.key}: {exc}", flush=True)
        return 1
    reader = csv.reader(_lines(body))
    header = next(reader, None)
    if not header:
        print("ERROR: the CSV is empty", flush=True)
        return 1
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items: list[dict[str, Any]] = []
    done = 0
    for number, row in enumerate(reader):
        if number < start:
            continue
        if stop is not None and number >= stop:
            break
        time.sleep(max(0.0, args.delay_ms) / 1000.0)
        item: dict[str, Any] = {
            "submission_id": {"S": args.submission_id},
            "row_number": {"N": str(number)},
            "job_id": {"S": job_id},
            "array_index": {"N": str(index)},
            "processed_at": {"S": stamp},
        }
        for name, value in zip(header, row, strict=False):
            if name and name not in item:
                item[name] = {"S": value}
        items.append(item)
        done += 1
        if len(items) >= BATCH_LIMIT:
            try:
                write_items(dynamodb, args.table, items)
            except Exception as exc:
                print(f"ERROR writing to {args.table}: {exc}", flush=True)
                return 1
            items = []
            print(f"processed {done} rows (last row {number})", flush=True)
    try:
        write_items(dynamodb, args.table, items)
    except Exception as exc:
        print(f"ERROR writing to {args.table}: {exc}", flush=True)
        return 1
    if done == 0:
        print("no rows in this slice: nothing to do", flush=True)
    print(f"done: {done} rows written to {args.table} (submission {args.submission_id})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
