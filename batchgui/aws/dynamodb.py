"""DynamoDB gateway: reads the results a pipeline wrote."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from batchgui.aws.gateway import Gateway

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # noqa: F401 - named in the base class below


class DynamoDbGateway(Gateway["DynamoDBClient"]):
    def list_tables(self) -> list[str]:
        return [str(name) for name in self._paged("list_tables", "TableNames")]

    def submission_items(
        self,
        table: str,
        submission_id: str,
        partition_key: str = "submission_id",
        limit: int = 100_000,
        *,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[dict[str, str]]:
        """The result items a submission's jobs wrote (one per CSV row), as plain strings.

        Queried by partition key, so only this submission's items are read, page by page;
        `progress(items so far)` after each page; `cancelled()` stops before the next page.
        """
        items: list[dict[str, str]] = []
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=table,
            KeyConditionExpression="#pk = :id",
            ExpressionAttributeNames={"#pk": partition_key},
            ExpressionAttributeValues={":id": {"S": submission_id}},
        )
        for page in pages:
            for item in page.get("Items", []):
                items.append({name: plain_value(value) for name, value in item.items()})
                if len(items) >= limit:
                    return items
            if progress is not None:
                progress(len(items))
            if cancelled is not None and cancelled():
                break
        return items


def plain_value(value: Mapping[str, Any]) -> str:
    """A DynamoDB attribute value ({"S": "x"}, {"N": "1"}, …) as display text."""
    for kind in ("S", "N", "BOOL"):
        if kind in value:
            return str(value[kind]).lower() if kind == "BOOL" else str(value[kind])
    if "NULL" in value:
        return ""
    if "L" in value:
        return json.dumps([plain_value(v) for v in value["L"]])
    if "M" in value:
        return json.dumps({k: plain_value(v) for k, v in value["M"].items()})
    if "SS" in value or "NS" in value:
        return json.dumps(list(value.get("SS") or value.get("NS") or []))
    return json.dumps(value, default=str)
