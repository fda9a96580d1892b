"""Sure memos to a host name: its acks come from the numeric address.

A memo sent to ("localhost", port) reaches the receiver, whose acks come
back from ("127.0.0.1", port): the address the sender's socket reports,
not the name it was given. The sender must take them as the receiver's,
not drop them as another source's ("ack-src") and report a memo failed
that was delivered. What it reports (failures, unsettled) keeps the name
it was given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from memosim import Tymist, openPM
from memosim.core.codes import MemoDex

pytestmark = pytest.mark.udp


def _exchange(dst_of: Callable[[int], Any], memos: list[str]) -> tuple[list, object, object]:
    """Sure memos from a to dst_of(b's port), serviced until a has none in
    flight: (memos b got, a's stats, a's failures)."""
    with (
        openPM(name="a", host="127.0.0.1", port=0, code=MemoDex.GramSureZero) as a,
        openPM(name="b", host="127.0.0.1", port=0, code=MemoDex.GramSureZero) as b,
    ):
        tymist = Tymist(tock=0.01)
        a.wind(tymist.tymen())
        for memo in memos:
            a.memoit(memo, dst_of(b.ha[1]))
        assert all(type(dst) is tuple for _m, dst, _v in a.txms)  # what sendto takes
        got = []
        deadline = time.monotonic() + 10.0
        while a.engine.flights.flights or a.txms:
            assert time.monotonic() < deadline, a.engine.stats.dropped
            a.service()
            b.service()
            got.extend(b.inbox)
            b.inbox.clear()
            tymist.tick()
            time.sleep(0.002)
        for _ in range(20):  # what is still on its way
            b.service()
            got.extend(b.inbox)
            b.inbox.clear()
            time.sleep(0.002)
        return got, a.engine.stats, list(a.failures)


def test_acks_of_a_memo_sent_to_localhost_confirm_it() -> None:
    memos = ["hello", "x" * 5000]
    got, stats, failures = _exchange(lambda port: ("localhost", port), memos)
    assert [m for m, _src, _vid in got] == memos
    assert failures == []
    assert stats.dropped.get("ack-src", 0) == 0  # type: ignore[attr-defined]
    assert stats.acks_received >= 2  # type: ignore[attr-defined]


def test_what_the_sender_reports_keeps_the_name_it_was_given() -> None:
    with openPM(
        name="a", host="127.0.0.1", port=0, code=MemoDex.GramSureZero, retry={"max_tyme": 0.2}
    ) as a:
        closed = openPM(name="gone", host="127.0.0.1", port=0)
        with closed as gone:
            port = gone.ha[1]  # a port nobody listens on once closed
        tymist = Tymist(tock=0.05)
        a.wind(tymist.tymen())
        a.memoit("hello", ("localhost", port))
        assert a.unsettled() == [("hello", ("localhost", port), None)]
        for _ in range(20):
            a.service()
            tymist.tick()
        assert [(m, dst, reason) for m, dst, _vid, reason in a.failures] == [
            ("hello", ("localhost", port), "tyme")
        ]


def test_a_numeric_or_unnamed_destination_needs_no_reply_address() -> None:
    with openPM(name="a", host="127.0.0.1", port=0) as a:
        assert a.reply_address(("127.0.0.1", 5000)) is None
        assert a.reply_address(("::1", 5000)) is None
        assert a.reply_address("far") is None  # not a (host, port) pair
        assert a.reply_address(("localhost", 5000)) == ("127.0.0.1", 5000)


def test_the_reply_table_is_bounded() -> None:
    from memosim.core.flights import MAX_DESTS

    with openPM(name="a", host="127.0.0.1", port=0, code=MemoDex.GramSureZero) as a:
        flights = a.engine.flights
        for i in range(MAX_DESTS + 10):
            flights.note_reply((f"h{i}", 1), ("127.0.0.1", i))
        assert len(flights.replies) == MAX_DESTS
        assert ("h0", 1) not in flights.replies and (f"h{MAX_DESTS + 9}", 1) in flights.replies


def test_a_list_address_is_taken_as_its_tuple() -> None:
    """memoit accepts a [host, port] list (a config file's address) and
    queues the tuple sendto needs: service() never raises over it."""
    memos = ["one", "y" * 3000]
    got, _stats, failures = _exchange(lambda port: ["localhost", port], memos)
    assert [m for m, _src, _vid in got] == memos and failures == []
