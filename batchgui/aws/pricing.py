"""The AWS Price List API gateway (boto3 `pricing`, GetProducts): a region's Fargate and EC2 prices.

The Price List API answers from a few regions only (us-east-1 among them) whatever region is priced;
the connection makes its `pricing` client there (aws/session.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from batchgui.aws.gateway import Gateway
from batchgui.domain.pricing import EC2_FILTERS, EC2_SERVICE, FARGATE_SERVICE, RegionPrices, parse_products

# GetProducts returns at most 100 products per page.
PAGE_SIZE = 100


def _filters(pairs: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"Type": kind, "Field": name, "Value": value} for kind, name, value in pairs]


class PricingGateway(Gateway[Any]):
    """No boto3 stubs for `pricing` are installed: its client is typed Any."""

    def products(self, service_code: str, filters: Sequence[tuple[str, str, str]]) -> list[str]:
        """Every product document (a JSON string) of a service that passes the filters."""
        found = self._paged(
            "get_products",
            "PriceList",
            ServiceCode=service_code,
            Filters=_filters(filters),
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        return [str(entry) for entry in found]

    def region_prices(self, region: str) -> RegionPrices:
        """Linux On-Demand EC2 hourly prices and Fargate rates (with Spot where listed) in `region`."""
        ec2 = self.products(
            EC2_SERVICE,
            [("TERM_MATCH", "regionCode", region), *(("TERM_MATCH", k, v) for k, v in EC2_FILTERS)],
        )
        fargate = self.products(
            FARGATE_SERVICE, [("TERM_MATCH", "regionCode", region), ("CONTAINS", "usagetype", "Fargate")]
        )
        return parse_products(region, [*ec2, *fargate])
