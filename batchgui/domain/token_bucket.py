"""The token-bucket rule, once: the app's request budget (services/budget.py) and the sandbox's
account rate (sandbox/realaws.py) both count with it.

A bucket holds at most `burst` tokens and gains `per_s` a second; a request takes one whole token.
"""

from __future__ import annotations

# Float rounding can leave a deficit too small for the clock to ever fill: this much short of a
# whole token still counts as one.
TOLERANCE = 1e-9


def refilled(tokens: float, elapsed_s: float, per_s: float, burst: float) -> float:
    """The tokens after `elapsed_s` seconds of refilling, never more than `burst`."""
    return min(burst, tokens + max(0.0, elapsed_s) * per_s)


def take_one(tokens: float) -> float | None:
    """The tokens left after one request takes a token, or None when there is no whole token."""
    if tokens >= 1 - TOLERANCE:
        return max(0.0, tokens - 1)
    return None
