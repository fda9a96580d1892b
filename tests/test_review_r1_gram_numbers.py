"""A later gram whose number no gram count can reach (review r1).

Counts and gram numbers are 24 bits on the wire, so a count is at most
0xFFFFFF and a gram number at most 0xFFFFFE. A gram numbered 0xFFFFFF that
arrives before its zeroth gram used to be held as an early gram; the ack
listing it then needed an end of 0x1000000, which does not fit its 3 bytes,
and the OverflowError escaped service(). Such a gram can never belong to a
memo, so it is dropped as "number" on arrival.
"""

from __future__ import annotations

import pytest
from hostile import Hostile, parsed, pump, table_sizes, text_gram

from memosim import openPM
from memosim.core.codes import MemoDex

pytestmark = pytest.mark.udp

MID = "0A" + "B" * 22


@pytest.mark.parametrize("curt", [False, True])
@pytest.mark.parametrize("num", [0xFFFFFF, 0xFFFFFE])
def test_early_sure_gram_at_the_top_number_never_raises_out_of_service(
    curt: bool, num: int
) -> None:
    hostile = Hostile()
    try:
        with openPM(name="b", port=0) as b:
            gram = text_gram(MemoDex.GramSure, num, MID, b"hello")
            if curt:
                from memosim.core import b64

                gram = b64.decode(gram[:32]) + gram[32:]
            hostile.send(gram, b.ha)
            pump(b)
            pump(b, rounds=40, pause=0.005)  # past the ack delay: the ack is made
            acks = parsed(hostile.collect())
            if num == 0xFFFFFF:  # beyond any count: never held, never acked
                assert b.engine.stats.dropped["number"] == 1
                assert acks == []
                assert table_sizes(b)["partials"] == 0
            else:  # the highest number a count allows: held and listed
                assert [a.code for a in acks] == [MemoDex.Ack]
                assert table_sizes(b)["partials"] == 1
    finally:
        hostile.close()
