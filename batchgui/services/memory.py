"""Process-wide memory policy: keep Python's full garbage collections short.

Python 3.11's full collection walks every tracked object with the GIL held; with 100,000 job rows
next to the ~300,000 objects of the app itself (imported modules, botocore's models, Qt wrappers)
each one took 150-250 ms here, the longest event-loop stalls of a load; with 10,000 monitored jobs
80-120 ms. What is alive at the points this is called lives long (modules, widgets, loaded rows,
tracked jobs), so it goes to the permanent generation (gc.freeze: constant time) and later
collections walk only what is newer. Frozen objects are still freed by reference counting (rows hold
no reference cycles); only cycles among them wait for `gc.unfreeze()`. A young-generation collection
first (a few ms) keeps fresh cyclic garbage out of the freeze.

The composition root decides when (it passes `freeze_long_lived` to the jobs and monitor facades):
after every FREEZE_EVERY_ROWS rows of a big load, and after the monitor's first poll.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

# Loads of fewer rows never touch the collector.
FREEZE_EVERY_ROWS = 5_000

Freeze = Callable[[], None]


def freeze_long_lived() -> None:
    gc.collect(1)
    gc.freeze()


def no_freeze() -> None:
    """The default where no policy was given (tests, tools): leave the collector alone."""
