"""The AWS Price List API (json protocol, `X-Amz-Target: AWSPriceListService.<Operation>`), answered
from the price snapshot the app ships (resources/aws-prices.json), so the app's pricing code path is
the one it uses against AWS.

Operations: GetProducts (ServiceCode AmazonEC2 or AmazonECS; TERM_MATCH/EQUALS, CONTAINS, ANY_OF and
NONE_OF filters on product attributes; MaxResults up to 100; NextToken), and DescribeServices for
those two service codes. Requests are checked against botocore's model; PriceList entries are JSON
strings, as AWS sends them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property

from batchgui import resources
from batchgui.domain.pricing import (
    EC2_SERVICE,
    FARGATE_SERVICE,
    book_from_snapshot,
    matches,
    product_documents,
)
from batchgui.sandbox.json_api import Json, JsonApi, JsonApiError

TARGET_PREFIX = "AWSPriceListService."
MAX_RESULTS = 100
SNAPSHOT = "aws-prices.json"


class PricingApi(JsonApi):
    service = "pricing"
    target_prefix = TARGET_PREFIX

    def __init__(self, snapshot: Json | None = None) -> None:
        self._snapshot = snapshot

    def handlers(self) -> dict[str, Callable[[Json], Json]]:
        return {"GetProducts": self.get_products, "DescribeServices": self.describe_services}

    @cached_property
    def documents(self) -> list[Json]:
        """Every product the snapshot prices, in every region it covers (read on the first request)."""
        snapshot = self._snapshot
        if snapshot is None:
            snapshot = json.loads(resources.path(SNAPSHOT).read_text(encoding="utf-8"))
        out: list[Json] = []
        for region in sorted(snapshot.get("regions") or {}):
            book = book_from_snapshot(snapshot, region)
            if book is not None:
                out.extend(product_documents(book.prices, str(snapshot.get("as_of", ""))))
        return out

    def get_products(self, params: Json) -> Json:
        service = params.get("ServiceCode")
        if service not in (EC2_SERVICE, FARGATE_SERVICE):
            raise JsonApiError(
                "InvalidParameterException", f"Input Parameters are invalid: ServiceCode {service}"
            )
        size = int(params.get("MaxResults") or MAX_RESULTS)
        if not 1 <= size <= MAX_RESULTS:
            raise JsonApiError("InvalidParameterException", f"MaxResults must be 1..{MAX_RESULTS}")
        token = str(params.get("NextToken") or "0")
        if not token.isdigit():
            raise JsonApiError("InvalidNextTokenException", "The NextToken is invalid")
        start = int(token)
        filters = params.get("Filters") or []
        found = [d for d in self.documents if d["serviceCode"] == service and matches(d, filters)]
        page = found[start : start + size]
        result: Json = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(d) for d in page]}
        if start + size < len(found):
            result["NextToken"] = str(start + size)
        return result

    def describe_services(self, params: Json) -> Json:
        codes = [EC2_SERVICE, FARGATE_SERVICE]
        wanted = params.get("ServiceCode")
        services = [
            {"ServiceCode": code, "AttributeNames": ["regionCode", "instanceType", "usagetype"]}
            for code in codes
            if wanted in (None, code)
        ]
        return {"Services": services, "FormatVersion": "aws_v1"}
