"""Writes resources/aws-prices.json: Fargate and EC2 Linux On-Demand prices for a few regions, from the
AWS Price List API (GetProducts), with the date it was fetched and its source.

Needs AWS credentials allowed `pricing:GetProducts` (any account):
`.venv/bin/python packaging/make_price_snapshot.py [--profile NAME] [REGION ...]`.
The parsing is the app's own (batchgui.domain.pricing.parse_products), so the snapshot holds what the
app would read live.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import boto3

from batchgui.aws.pricing import PricingGateway
from batchgui.domain.pricing import DEFAULT_SPOT_DISCOUNT, snapshot_entry

OUT = Path(__file__).resolve().parent.parent / "resources" / "aws-prices.json"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
# The instance families kept (the snapshot stays small): AWS Batch's `optimal` and its defaults, and
# the families the demo and most examples use.
FAMILIES = ("m5", "c5", "r5", "m6i", "c6i", "r6i", "c7i", "m6g", "c6g", "r6g", "c7g")
SIZES = ("large", "xlarge", "2xlarge", "4xlarge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("regions", nargs="*", default=list(REGIONS))
    parser.add_argument("--profile")
    args = parser.parse_args()
    session = boto3.session.Session(profile_name=args.profile)
    # The Price List API answers in us-east-1 for every region.
    gateway = PricingGateway(session.client("pricing", region_name="us-east-1"))
    wanted = {f"{family}.{size}" for family in FAMILIES for size in SIZES}
    regions = {}
    for region in args.regions:
        prices = gateway.region_prices(region)
        entry = snapshot_entry(prices)
        entry["ec2"] = {name: usd for name, usd in entry["ec2"].items() if name in wanted}
        regions[region] = entry
        print(f"{region}: {len(entry['ec2'])} instance types, Fargate {sorted(entry['fargate'])}")
    today = datetime.date.today().isoformat()
    document = {
        "source": f"AWS Price List API (GetProducts: AmazonEC2 Linux On-Demand shared tenancy; AmazonECS "
        f"Fargate), fetched {today} by packaging/make_price_snapshot.py.",
        "source_short": "shipped price snapshot",
        "as_of": today,
        "written": today,
        "currency": "USD",
        "fargate_spot_discount": DEFAULT_SPOT_DISCOUNT,
        "regions": regions,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
