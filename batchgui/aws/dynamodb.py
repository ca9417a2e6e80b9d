"""DynamoDB gateway: reads the results a pipeline wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDbGateway:
    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client

    def list_tables(self) -> list[str]:
        names: list[str] = []
        for page in self._client.get_paginator("list_tables").paginate():
            names.extend(page.get("TableNames", []))
        return names
