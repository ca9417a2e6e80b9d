"""Sort keys of the jobs table's columns (Qt-free): one column's key of every row, and how empty
keys compare (they always sort last, in either direction)."""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


def empty_key(numeric: bool, descending: bool) -> SortKey:
    """The key empty values sort by: last whichever way the column is sorted (a descending sort
    reads the ascending order backwards)."""
    if numeric:
        return -NUMBER_LAST if descending else NUMBER_LAST
    return "" if descending else TEXT_LAST


def sort_order(
    keys: KeyColumn, numeric: bool, descending: bool
) -> tuple[list[int], Callable[[], list[SortKey]]]:
    """Row numbers in ascending key order (stable), and a function giving the keys in that order
    (most sorts never need them: only a later merge of new rows does). Qt-free: the rows of a
    reopened queue are sorted on a worker."""
    empty = empty_key(numeric, descending)
    if numeric:
        values = np.array(keys, dtype=np.float64)
        values[np.isnan(values)] = empty
        positions = np.argsort(values, kind="stable")

        def sorted_values() -> list[SortKey]:
            return values[positions].tolist()  # type: ignore[no-any-return]

        return positions.tolist(), sorted_values
    filled = [empty if value is None else value for value in keys] if None in keys else keys
    order = sorted(range(len(filled)), key=filled.__getitem__)
    return order, lambda: list(map(filled.__getitem__, order))


def merge_sorted(
    order: list[int], keys: list[SortKey], items: Sequence[tuple[SortKey, int]]
) -> tuple[list[int], list[SortKey]]:
    """`order` (with its sorted `keys`) and the sorted (key, row) `items` merged into one order, by
    bisection: new rows after equal keys, as a stable sort of the whole would place them."""
    new_order: list[int] = []
    new_keys: list[SortKey] = []
    start = 0
    for key, number in items:
        at = bisect.bisect_right(keys, key, lo=start)
        new_order.extend(order[start:at])
        new_keys.extend(keys[start:at])
        new_order.append(number)
        new_keys.append(key)
        start = at
    new_order.extend(order[start:])
    new_keys.extend(keys[start:])
    return new_order, new_keys


@dataclass
class SortedOrder:
    """A sorted order of the rows that were held then (`rows` of them), with its keys in order (or
    the function that makes them)."""

    order: list[int]
    keys: list[SortKey] | None
    keys_source: Callable[[], list[SortKey]] | None
    rows: int


# Sorted orders kept for columns sorted before: going back to one is no sort at all.
KEPT_ORDERS = 4


@dataclass
class OrderCache:
    """The orders of the columns (and directions) sorted before, until a key of theirs changes or
    rows are dropped; rows added since are merged in when an order is taken back."""

    kept: dict[tuple[int, bool], SortedOrder] = field(default_factory=dict)

    def keep(self, sort: tuple[int, bool], order: SortedOrder) -> None:
        self.kept.pop(sort, None)
        self.kept[sort] = order
        while len(self.kept) > KEPT_ORDERS:
            del self.kept[next(iter(self.kept))]

    def take(self, sort: tuple[int, bool]) -> SortedOrder | None:
        return self.kept.pop(sort, None)

    def forget(self, columns: set[int]) -> None:
        """These columns' keys changed: their kept orders are wrong now."""
        for sort in [sort for sort in self.kept if sort[0] in columns]:
            del self.kept[sort]

    def clear(self) -> None:
        self.kept.clear()
