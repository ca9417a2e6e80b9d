"""S3 gateway: buckets and objects for the CSV wizard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Gateway:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client

    def list_buckets(self) -> list[str]:
        return sorted(b["Name"] for b in self._client.list_buckets().get("Buckets", []) if "Name" in b)
