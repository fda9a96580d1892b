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

_FILL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-"
_BLOCK = 64  # filler letters drawn per memo; a longer memo repeats them
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
    return unfold(plan_memo(key, size, rng))


def plan_memo(key: MemoKey, size: int, rng: random.Random) -> Folded | str:
    """make_memo's memo, folded when its filler repeats (:class:`Folded`):
    the same draws, and a few hundred bytes to keep for a memo of any size."""
    tag = f"#{key.workload}:{key.src}>{key.dst}:{key.index}|"
    # filler letter i is _FILL[floor(random() * len(_FILL))], one draw each:
    # what random.choices draws, twice as fast as spelling it out
    if 0 < size < len(tag):
        return "".join(rng.choices(_FILL, k=size))
    room = max(0, size - len(tag))
    block = "".join(rng.choices(_FILL, k=min(room, _BLOCK)))
    if room > _BLOCK:  # repeat a seeded block: cheap for 12 KB memos, still not constant
        return Folded(tag, block, len(tag) + room)
    return tag + block


def unfold(planned: Folded | str) -> str:
    """The memo of plan_memo's result."""
    return planned if isinstance(planned, str) else planned.unfold()


@dataclass(frozen=True, slots=True)
class Folded:
    """A workload memo kept as what makes it, its tag, its seeded block of
    filler and its size: a few hundred bytes for a memo of any size, so a
    run's records need not hold every memo it sent."""

    tag: str
    block: str
    size: int

    def unfold(self) -> str:
        """The memo itself, exactly."""
        room = self.size - len(self.tag)
        return self.tag + (self.block * (room // len(self.block) + 1))[:room]


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
