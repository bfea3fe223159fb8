"""Process-level tuning applied when a worker starts serving."""

from __future__ import annotations

import gc


def tune_gc(young_threshold: int) -> None:
    """Collect garbage less often, and never re-scan what startup created.

    A request allocates thousands of short-lived objects (a 1000-lead batch: hundreds of
    thousands), and with Python's default threshold of 700 the cyclic collector ran every few
    hundred microseconds, re-scanning the long-lived objects of the app each time it reached an
    older generation: a fifth of a batch's CPU. `gc.freeze()` moves everything alive at startup
    (modules, the app, SQLAlchemy's caches) out of the collector's sight, and the higher
    threshold lets most requests finish before a collection. Reference counting still frees
    almost everything at once; only cycles wait longer. 0 keeps Python's defaults.
    """
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
