"""Memo ids from the OS RNG, served from blocks: fresh, 16 bytes, and never
shared with a forked child."""

from __future__ import annotations

import multiprocessing

from memosim import Memoer
from memosim.core import mids


def test_ids_are_16_bytes_and_distinct_across_many_blocks():
    midder = mids.os_midder()
    ids = [midder() for _ in range(10 * 256 + 7)]
    assert all(type(i) is bytes and len(i) == 16 for i in ids)
    assert len(set(ids)) == len(ids)


def test_each_memoer_has_its_own_source():
    a, b = Memoer(name="a"), Memoer(name="b")
    assert a.midder is not b.midder
    assert {a.makeMID() for _ in range(300)}.isdisjoint({b.makeMID() for _ in range(300)})


def _child_ids(midder, queue) -> None:
    queue.put([midder() for _ in range(8)])


def test_forked_child_does_not_reuse_the_parents_block():
    midder = mids.os_midder()
    midder()  # the parent now holds a block with 255 ids left in it
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_ids, args=(midder, queue))
    child.start()
    got = queue.get(timeout=30)
    child.join(timeout=30)
    parents = [midder() for _ in range(8)]
    assert len(got) == 8 and not set(got) & set(parents)
