"""Workload memos: deterministic content that identifies itself on arrival.

Every memo starts with a short tag naming its workload, pair and index, and
the rest is filler drawn from a seeded stream. The tag of a delivered memo
names the memo it should be, so the recorder (metrics.py) classifies it as
correct, duplicate or corrupt without any side channel, identically on the
simulated and the real network.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from itertools import islice

_FILL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-"
_SCALE = float(len(_FILL))
_TAG = re.compile(r"^#(\d+):([^>]+)>([^:]+):(\d+)\|")


@dataclass(frozen=True, slots=True)
class MemoKey:
    """Which memo: workload index, sending and receiving peer, index in the pair."""

    workload: int
    src: str
    dst: str
    index: int


def make_memo(key: MemoKey, size: int, rng: random.Random) -> str:
    """An ASCII memo of exactly `size` bytes for key.

    A memo too short for its tag is seeded filler alone: the recorder knows it
    by its content and receiver instead (metrics.Recorder).
    """
    tag = f"#{key.workload}:{key.src}>{key.dst}:{key.index}|"
    if 0 < size < len(tag):
        return "".join([_FILL[int(rng.random() * len(_FILL))] for _ in range(size)])
    room = max(0, size - len(tag))
    # filler letter i is _FILL[int(random() * len(_FILL))], drawn in C by map
    draws = islice(iter(rng.random, None), min(room, 64))
    body = "".join(map(_FILL.__getitem__, map(int, map(_SCALE.__mul__, draws))))
    if room > 64:  # repeat a seeded block: cheap for 12 KB memos, still not constant
        body = (body * (room // 64 + 1))[:room]
    return tag + body


def parse_key(memo: str | bytes) -> MemoKey | None:
    """The key in a delivered memo's tag, or None when the tag is unreadable."""
    if isinstance(memo, bytes):
        try:
            memo = memo[:96].decode()
        except UnicodeDecodeError:
            return None
    match = _TAG.match(memo[:96])
    if match is None:
        return None
    return MemoKey(int(match[1]), match[2], match[3], int(match[4]))
