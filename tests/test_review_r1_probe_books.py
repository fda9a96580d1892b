"""A probed gram still waiting in its memo's queue is counted acked once (review r1).

A gram can wait in its memo's queue of unsent grams, already acked: an ack
of a new epoch un-acked it and queued it again, then the next ack listed it
while the window (full of another memo's grams) kept it from going out.
When every gram of the memo is acked the sender probes with gram 0, which
makes it outstanding again with its stale queue entry still there; the ack
of the probe then counted gram 0 acked twice, once as queued and once as
outstanding. The count of acked grams ran ahead of the grams acked, and the
sender took a memo with a gram missing for one wholly held (it probed
instead of sending that gram again).

A hostile receiver on a real UDP socket drives the sequence with its acks;
the sender is a wound PeerMemoer with a fixed window of 6 grams.
"""

from __future__ import annotations

import pytest
from hostile import Hostile, parsed, pump

from memosim import Tymist, openPM
from memosim.core import surewire
from memosim.core.codes import MemoDex

pytestmark = pytest.mark.udp


def test_the_ack_of_a_probe_counts_a_still_queued_gram_once() -> None:
    hostile = Hostile()
    try:
        with openPM(
            name="a",
            port=0,
            code=MemoDex.GramSureZero,
            size=200,
            retry={"congestion": "none", "window": 6},
        ) as a:
            tymist = Tymist(tock=0.05)
            a.wind(tymist.tymen())
            a.memoit("A" * 300, hostile.ha)  # memo A: 2 grams at size 200
            a.memoit("B" * 3000, hostile.ha)  # memo B: many, holds the window
            pump(a, rounds=1)
            first = parsed(hostile.collect())
            mid = first[0].mid
            count = first[0].count
            flight = a.engine.flights.flights[mid]

            def ack(epoch: int, ranges: list[tuple[int, int]]) -> None:
                hostile.send(
                    surewire.make_ack(
                        mid,
                        count,
                        done=False,
                        epoch=epoch,
                        upto=count,
                        ranges=ranges,
                        curt=False,
                        size=1240,
                    ),
                    a.ha,
                )
                pump(a, rounds=2)
                hostile.collect()

            ack(1, [(0, count)])  # A wholly held; B fills the window again
            ack(2, [(1, count)])  # a new record lacks gram 0: queued behind B
            assert 0 in flight.unsent and not flight.acked[0]
            ack(2, [(0, count)])  # held after all, while still queued
            while 0 not in flight.outstanding:  # the probe of a wholly held memo
                tymist.tick()
                pump(a, rounds=1, pause=0.0)
            assert 0 in flight.unsent  # its stale queue entry is still there
            ack(2, [(0, count)])  # the ack of the probe
            assert flight.acked_count == sum(flight.acked) == count
            ack(3, [(0, 1)])  # a newer record holds gram 0 only
            assert flight.acked_count == sum(flight.acked) == 1
            assert flight.due is None  # waits for the window: no probe of a memo not held
    finally:
        hostile.close()
