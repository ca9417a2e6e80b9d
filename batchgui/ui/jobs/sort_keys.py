"""Sort keys of the jobs table's columns (Qt-free): one column's key of every row, and how empty
keys compare (they always sort last, in either direction)."""

from __future__ import annotations

import math
from array import array
from collections.abc import MutableSequence, Sequence
from typing import Any

SortKey = str | float
# One column's sort key of every row: array('d') for numeric columns (NaN when empty), a list of
# str (None when empty) for text columns.
KeyColumn = MutableSequence[Any]
# Stand-ins that sort after every real key: the last code point for text, infinity for numbers.
TEXT_LAST = "\U0010ffff"
NUMBER_LAST = float("inf")


def is_empty(key: Any) -> bool:
    """None (an empty text key) or NaN (an empty number)."""
    return key is None or (isinstance(key, float) and math.isnan(key))


def same_key(a: Any, b: Any) -> bool:
    return bool(a == b or (is_empty(a) and is_empty(b)))


def keys_of(keys: KeyColumn, numbers: Sequence[int]) -> KeyColumn:
    """The keys of these rows, in the same kind of column."""
    if isinstance(keys, array):
        return array(keys.typecode, [keys[n] for n in numbers])
    return [keys[n] for n in numbers]
