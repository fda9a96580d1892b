"""Memo ids from the OS RNG, served from blocks: fresh, 16 bytes, and never
shared with a forked child."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from memosim import Memoer, mids


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


def test_a_failed_os_read_raises_once_and_the_source_recovers(monkeypatch):
    midder = mids.os_midder()
    real = mids.os.urandom
    calls = []

    def flaky(n):
        calls.append(n)
        if len(calls) == 1:
            raise OSError("entropy source unavailable")
        return real(n)

    monkeypatch.setattr(mids.os, "urandom", flaky)
    with pytest.raises(OSError):
        midder()
    ids = [midder() for _ in range(300)]  # refills twice more
    assert len(set(ids)) == 300 and len(calls) == 3


def test_threads_sharing_a_source_never_get_the_same_id():
    midder = mids.os_midder()
    got: list[bytes] = []

    def draw():
        got.extend(midder() for _ in range(5000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(got) == 20000 and len(set(got)) == 20000
