"""Fewer garbage collections while a simulation runs.

A simulated run allocates many short-lived containers (SimPy events, grams
in flight, per-pass lists) while the state that lives for the whole run
(records of every memo, acks, delivered ids) keeps growing. With CPython's
default thresholds that means a young collection every 700 allocations and,
as the long-lived state grows by a quarter, a full collection that walks all
of it: at 100 peers about a tenth of a run's CPU time, for garbage that is
almost never cyclic. Raising the youngest generation's threshold for the
length of the run batches that work; nothing is kept alive that would
otherwise be freed (reference counting frees the rest as before), and the
outcome of a run cannot depend on when the collector runs.

The thresholds are the interpreter's, so the change is counted: nested or
concurrent runs (threads of one Dask worker) raise them once and the last
one out puts back what was there. A process that turned the collector off,
or set a higher threshold itself, is left as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RUN_THRESHOLD", "batched_gc"]

#: Allocations between young collections while a run is going (CPython's default is 700).
RUN_THRESHOLD = 20_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def batched_gc() -> Iterator[None]:
    """Run the body with the young-generation threshold raised (module docstring)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            thresholds = gc.get_threshold()
            if gc.isenabled() and 0 < thresholds[0] < RUN_THRESHOLD:
                _saved = thresholds
                gc.set_threshold(RUN_THRESHOLD, *thresholds[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
