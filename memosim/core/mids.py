"""Memo ids for real peers: 16 bytes from the OS RNG per memo, read in blocks.

A one-gram memo costs a few microseconds to send, and asking the kernel for
16 random bytes every time was a tenth of that. Reading 4 KiB at once serves
256 ids per system call. A forked child must not hand out the ids its parent
already holds, so a fork discards every block read before it. (Simulated
peers never come here: their ids come from the scenario seed.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

MID_BYTES = 16
_BLOCK_IDS = 256

_forks = [0]  # bumped in a forked child; blocks read before it are dropped


def _after_fork() -> None:
    _forks[0] += 1


if hasattr(os, "register_at_fork"):  # absent on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork)


def _ids(forks: list[int] = _forks) -> Iterator[bytes]:
    while True:
        seen = forks[0]
        block = os.urandom(MID_BYTES * _BLOCK_IDS)
        for start in range(0, MID_BYTES * _BLOCK_IDS, MID_BYTES):
            if forks[0] != seen:
                break
            yield block[start:start + MID_BYTES]


def os_midder() -> Callable[[], bytes]:
    """A zero-argument source of fresh 16-byte ids, one per Memoer.

    Each call of the result gives the next id. A Memoer is not shared between
    threads, so neither is its source.
    """
    return _ids().__next__
