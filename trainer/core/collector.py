"""Pausing Python's cyclic garbage collector around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, promote: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are made.

    Making a grid's households, or decoding thousands of stored scores for a dashboard,
    allocates objects without reference cycles. Every 700 allocations would start a
    collection, and each tenth of those sweeps the older objects again: with a whole
    application's objects alive, that costs more than the work itself (three to four times,
    measured on the dashboard). Reference counting frees everything as before; the collector
    resumes, if it was on, when the block ends.

    `promote`, for objects that are kept (a grid's units, persons and personas): only
    pausing leaves them all in the youngest generation, which the first allocation after the
    block traces, then the middle one, then a full collection over the whole heap (about a
    tenth of a grid's time, measured with `gc.callbacks`). `gc.freeze()` then `gc.unfreeze()`
    moves them to the oldest generation at once, untraced; a cycle among them is still
    collected by the next full collection. Skipped when something else keeps objects frozen
    (the web server freezes what start-up made, `wsgi.py`): unfreezing would undo that.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if promote and not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
