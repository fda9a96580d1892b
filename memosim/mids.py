"""Memo ids for real peers: 16 bytes from the OS RNG per memo, read in blocks.

A one-gram memo costs a few microseconds to send, and asking the kernel for
16 random bytes every time was a tenth of that. Reading 4 KiB at once serves
256 ids per system call. A forked child must not hand out the ids its parent
already holds, so a fork discards every block read before it. (Simulated
peers never come here: their ids come from the scenario seed.)
"""

from __future__ import annotations

import os
from collections.abc import Callable

MID_BYTES = 16
_BLOCK_IDS = 256

_forks = [0]  # bumped in a forked child; blocks read before it are dropped


def _after_fork() -> None:
    _forks[0] += 1


if hasattr(os, "register_at_fork"):  # absent on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork)


class OsMidder:
    """Fresh 16-byte ids for one Memoer, from blocks of OS randomness.

    Ids are handed out by a list iterator, whose next() is atomic, so two
    threads drawing from one source still never get the same id. A failed
    read from the OS raises once and leaves the source usable.
    """

    __slots__ = ("_next", "_forks")

    def __init__(self) -> None:
        self._next: Callable[[], bytes] = iter(()).__next__
        self._forks = -1  # no block read yet

    def next_id(self) -> bytes:
        """The next unused id; reads a new block when this one is spent."""
        if self._forks == _forks[0]:
            try:
                return self._next()
            except StopIteration:
                pass
        return self._refill()

    def _refill(self) -> bytes:
        forks = _forks[0]
        block = os.urandom(MID_BYTES * _BLOCK_IDS)
        ids = [block[start : start + MID_BYTES] for start in range(0, len(block), MID_BYTES)]
        self._next = iter(ids[1:]).__next__
        self._forks = forks
        return ids[0]


def os_midder() -> Callable[[], bytes]:
    """The default memo-id source of a real Memoer: a new OsMidder's next_id."""
    return OsMidder().next_id
