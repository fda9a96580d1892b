"""Floods from many hostile addresses leave every table within its limit (review r1).

On the simulated network (memosim.testing.SimNet): twenty hostile endpoints
drip, over sim tyme, memos that never complete (zeroth grams and early
grams of distinct ids), complete Sure memos with valid tags (filling the
delivered-id memory), copies of those (each asks for another done ack),
and plain one-gram memos, into a SimPeerMemoer with small limits. After the
flood every table a remote fills is counted against its limit; once the
expiries pass they empty; and a well-behaved sender's Sure memos are still
delivered exactly once throughout.
"""

from __future__ import annotations

import random

from hostile import table_sizes, text_gram

from memosim import Limits
from memosim.core import surewire
from memosim.core.codes import MemoDex
from memosim.testing.simnet import SimNet

LIMITS = Limits(
    expiry=5.0,
    max_memos=64,
    max_memos_per_source=16,
    max_bytes=200_000,
    max_bytes_per_source=40_000,
    done_window=128,
    done_expiry=20.0,
    sure_window=40,
    sure_sources=32,
)
SOURCES = 20


def mid_of(rng: random.Random) -> str:
    from memosim.core import b64

    return b64.encode(b"\xd0\x00" + rng.randbytes(16)).decode()


def test_a_flood_of_distinct_mids_from_many_sources_stays_within_every_limit() -> None:
    rng = random.Random(20261130)
    net = SimNet(seed=5)
    bob = net.peer("bob", limits=LIMITS)
    alice = net.peer("alice", code=MemoDex.GramSureZero)
    evil = [net.network.endpoint(("evil", port)) for port in range(1, SOURCES + 1)]
    worst: dict[str, int] = {}
    delivered_sure: list[tuple[object, str]] = []

    def flood():
        for step in range(6000):
            ep = evil[(step // 5) % SOURCES]  # every source sends every kind
            mid = mid_of(rng)
            kind = step % 5
            if kind == 0:  # a zeroth gram of a memo that never completes
                gram = text_gram(MemoDex.GramSureZero, 5, mid, rng.randbytes(300))
            elif kind == 1:  # an early gram, its zeroth never comes
                gram = text_gram(MemoDex.GramSure, rng.randrange(1, 0xFFFFFF), mid, b"e" * 200)
            elif kind == 2:  # a complete Sure memo, valid tag
                body = surewire.wrap(mid, b"evil %d" % step)
                gram = text_gram(MemoDex.GramSureZero, 1, mid, body)
                delivered_sure.append((ep.ha, mid))
            elif kind == 3 and delivered_sure:  # a copy of one: another done ack
                src, old = rng.choice(delivered_sure)
                gram = text_gram(MemoDex.GramSureZero, 1, old, surewire.wrap(old, b"evil copy"))
            else:  # a plain one-gram memo
                gram = text_gram(MemoDex.GramZero, 1, mid, b"plain %d" % step)
            ep.send(gram, bob.ha)
            if step % 100 == 0:
                for name, size in table_sizes(bob).items():
                    worst[name] = max(worst.get(name, 0), size)
                for e in evil:
                    e.drain()  # the acks bob sends back
            yield net.env.timeout(0.001)

    net.env.process(flood())
    memos = [f"alice {i}" for i in range(30)]
    for memo in memos:
        net.send(alice, memo, bob)
        net.run_for(0.2)
    net.run_for(10.0)
    for name, size in table_sizes(bob).items():
        worst[name] = max(worst.get(name, 0), size)

    assert worst["partials"] <= LIMITS.max_memos
    assert worst["wholes"] <= LIMITS.max_memos
    assert worst["done"] <= LIMITS.done_window
    assert worst["sure"] <= LIMITS.sure_window * LIMITS.sure_sources
    assert worst["sure_sources"] <= LIMITS.sure_sources
    assert worst["acker_pending"] <= LIMITS.max_memos
    assert worst["acker_done"] <= LIMITS.done_window
    assert worst["acker_heap"] <= 4 * (LIMITS.max_memos + LIMITS.done_window) + 1024
    assert bob.engine.rx.nbytes <= LIMITS.max_bytes
    assert worst["partials"] > LIMITS.max_memos // 2  # the flood did fill them
    assert bob.engine.stats.dropped["sure-full"] > 0  # and the id memory refused
    got = [memo for memo, src, _ in bob.inbox if src == alice.ha]
    assert sorted(got) == sorted(memos)  # once each, intact
    assert alice.unsettled() == [] and list(alice.failures) == []

    net.run_for(LIMITS.done_expiry + 10.0)  # every expiry passes; the next pass forgets
    net.send(alice, "alice again", bob)
    net.run_for(1.0)
    after = table_sizes(bob)
    assert after["partials"] == after["wholes"] == after["ledgers"] == 0
    assert after["sure"] == 1 and after["acker_pending"] == 0  # alice's last memo only
    assert after["done"] <= LIMITS.done_window
    net.close()
