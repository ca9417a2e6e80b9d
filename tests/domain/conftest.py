"""Shared fixtures of the domain tests."""

from __future__ import annotations

import json

import pytest

from batchgui import resources
from batchgui.domain.pricing import PriceBook, book_from_snapshot


@pytest.fixture
def book() -> PriceBook:
    """The shipped snapshot's us-east-1 prices (the figures the hand computations use)."""
    document = json.loads(resources.path("aws-prices.json").read_text(encoding="utf-8"))
    made = book_from_snapshot(document, "us-east-1")
    assert made is not None
    return made
