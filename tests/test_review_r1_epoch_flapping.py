"""A receiver that flaps its epoch cannot grow the sender's memory (review r1).

A partial ack of a new epoch un-acks every acked gram it does not list and
queues it to be sent again. Grams still waiting for the window sit in the
flight's queue of unsent numbers; an ack that lists them marks them acked
where they sit, and the next ack of another epoch that leaves them out
queued them a second time, and so on: every pair of acks added the memo's
waiting grams to the queue again, without bound. The hostile receiver here
is the memo's own destination (a real UDP socket), so its acks pass every
check.
"""

from __future__ import annotations

import pytest
from hostile import Hostile, parsed, pump, table_sizes

from memosim import Tymist, openPM
from memosim.core import surewire
from memosim.core.codes import MemoDex

pytestmark = pytest.mark.udp


def test_acks_flapping_between_epochs_keep_the_unsent_queue_within_the_count() -> None:
    hostile = Hostile()
    try:
        with openPM(name="a", port=0, code=MemoDex.GramSureZero) as a:
            tymist = Tymist(tock=0.01)
            a.wind(tymist.tymen())
            a.memoit("x" * 1200 * 30, hostile.ha)
            pump(a, rounds=1)
            first = parsed(hostile.collect())
            mid, count = first[0].mid, first[0].count
            assert count == 30 and len(first) < count  # the window holds the rest back
            sent = {g.num for g in first}
            waiting = surewire.ranges_of(n for n in range(count) if n not in sent)
            for epoch in range(1, 201):  # odd: "I hold the waiting grams"; even: "nothing"
                ack = surewire.make_ack(
                    mid,
                    count,
                    done=False,
                    epoch=epoch,
                    upto=count,
                    ranges=waiting if epoch % 2 else [],
                    curt=False,
                    size=1240,
                )
                hostile.send(ack, a.ha)
                pump(a, rounds=1, pause=0.0005)
            pump(a)
            assert a.engine.stats.acks_received >= 150  # the acks were taken
            assert table_sizes(a)["unsent"] <= count
            assert a.unsettled()  # and nothing retired the memo
    finally:
        hostile.close()
