"""The fast retry policy: losses found from acks in about one round trip, one
probe at a time, against the rto policy on the same seeded link.

The echo link's round trip is one tock (1/32 s); the rto policy's floor is
0.2 s, so a loss it recovers by timeout costs at least that.
"""

from __future__ import annotations

from collections import Counter

import pytest
from helpers import EchoLink, kind_of, wound_pair

from memosim import Memoer, MemoerError, Tymist, make_keyage
from memosim.core import grams
from memosim.core.codes import MemoDex
from memosim.core.retry import RETRY_KEYS, RetryPolicy

SURE = MemoDex.GramSureZero
MEMO = "x" * 700  # about eight grams of size 100
TOCK = 0.03125


class Recorder:
    """A link drop rule that drops chosen data grams once, and logs when each
    data gram number was sent."""

    def __init__(self, lose: set[int], *, acks_lost: int = 0, acks_until: float = 0.0) -> None:
        self.lose = set(lose)
        self.acks_lost = acks_lost
        self.acks_until = acks_until  # every ack from b sent before this tyme is lost
        self.sends: list[tuple[int, float]] = []
        self.tymist: Tymist | None = None

    def __call__(self, gram: bytes, src: str, dst: str) -> bool:
        if kind_of(gram) == "ack":
            assert self.tymist is not None
            if src == "b" and self.tymist.tyme < self.acks_until:
                return True
            if self.acks_lost and src == "b":
                self.acks_lost -= 1
                return True
            return False
        num = grams.parse(gram).num
        assert self.tymist is not None
        self.sends.append((num, self.tymist.tyme))
        if num in self.lose:
            self.lose.discard(num)
            return True
        return False

    def resends(self) -> list[tuple[int, float]]:
        seen: Counter[int] = Counter()
        out = []
        for num, when in self.sends:
            seen[num] += 1
            if seen[num] > 1:
                out.append((num, when))
        return out


def run(policy: str, rule: Recorder, *, until: float = 5.0, **kwa: object):
    link = EchoLink(seed=3, drop=rule)
    # the fixed window (no congestion control): these tests follow one memo
    # whose grams all go at once, so that a loss is found from their acks
    retry = {"policy": policy, "congestion": "none", **kwa.pop("retry", {})}  # type: ignore[dict-item]
    a, b, tymist = wound_pair(link, TOCK, code=SURE, size=100, retry=retry, **kwa)
    rule.tymist = tymist
    a.memoit(MEMO, "b")
    while tymist.tyme < until and (not b.inbox or a.unsettled()):
        for peer in (a, b):
            peer.service()
        tymist.tick()
    return a, b, tymist


@pytest.mark.parametrize("lost", [3, 0])
def test_a_lost_gram_is_found_from_acks_in_about_one_round_trip(lost: int) -> None:
    """A gram lost in the middle (or the zeroth gram) is sent again once a
    later gram's ack shows it missing: well before the rto policy's floor.
    The fast policy sends it twice at once (resend_copies), so losing one
    copy as well costs no probe timeout; resend_copies=1 sends it once."""
    fast = Recorder({lost})
    a, b, _ = run("fast", fast)
    (num, when), *rest = fast.resends()
    assert num == lost and rest == [(lost, when)] and when < 0.2
    assert [m for m, _, _ in b.inbox] == [MEMO] and a.unsettled() == []
    assert a.stats.grams_retransmitted == 2  # every copy is counted
    once = Recorder({lost})
    a, b, _ = run("fast", once, retry={"policy": "fast", "resend_copies": 1})
    assert once.resends() == [(lost, when)] and a.stats.grams_retransmitted == 1
    slow = Recorder({lost})
    run("rto", slow)
    assert slow.resends()[0][1] >= 0.2


def test_a_lost_last_gram_is_recovered_without_waiting_for_the_rto_floor() -> None:
    """No later gram is acked after it, so only a quiet ack (or a probe) finds
    it. A path is trusted with quiet acks once its RTT is known to be calm:
    a first memo finds it by probe, a later one at the quiet ack."""
    count = len(Memoer(code=SURE, size=100).rend(MEMO))
    first = Recorder({count - 1})
    # an ack delay of two tocks: the pause a quiet ack needs outlasts the
    # tock, the granularity of this link's round trips
    a, b, tymist = run("fast", first, retry={"policy": "fast", "ack_delay": 0.0625})
    assert first.resends()[0][0] == count - 1 and [m for m, _, _ in b.inbox] == [MEMO]
    for _ in range(12):  # calm round trips
        a.memoit(MEMO, "b")
        while a.unsettled():
            a.service()
            b.service()
            tymist.tick()
    est = a.engine.flights.dest("b").est
    assert 1.5 * est.rttvar <= 0.0625  # calm enough by now
    later = Recorder({count - 1})
    later.tymist = tymist
    a.link.drop = later  # type: ignore[attr-defined]
    start = tymist.tyme
    a.memoit(MEMO, "b")
    while a.unsettled():
        a.service()
        b.service()
        tymist.tick()
    (num, when), *_ = later.resends()
    assert num == count - 1 and when - start < 0.2


def test_a_lost_done_ack_costs_one_probe_not_the_whole_memo() -> None:
    """Every gram arrived, every ack of it was lost: the fast policy probes
    with one gram, whose done ack retires the memo; the rto policy resends all.
    (A fast receiver sends its done ack twice, so losing one costs nothing.)"""
    once = Recorder(set(), acks_lost=1)
    run("fast", once)
    assert once.resends() == []
    fast = Recorder(set(), acks_until=0.1)
    a, b, _ = run("fast", fast)
    assert len(fast.resends()) == 1 and a.unsettled() == [] and not a.failures
    assert Counter(m for m, _, _ in b.inbox) == Counter({MEMO: 1})
    slow = Recorder(set(), acks_until=0.1)
    run("rto", slow)
    assert len(slow.resends()) > 1


def test_probes_reach_a_signed_memos_zeroth_gram() -> None:
    """A signed memo whose zeroth gram is lost is acked with nothing listed (its
    early grams cannot be verified yet): probes cycle through the outstanding
    grams, gram 0 first, instead of resending one gram for ever."""
    avid, akey = make_keyage(b"a" * 32)
    bvid, bkey = make_keyage(b"b" * 32)
    rule = Recorder({0})
    link = EchoLink(seed=3, drop=rule)
    a, b, tymist = wound_pair(
        link,
        TOCK,
        code=MemoDex.GramSureAuthZero,
        size=300,
        retry={"policy": "fast"},
        keep={avid: akey, bvid: bkey},
        vid=avid,
    )
    b.engine.vid = bvid
    rule.tymist = tymist
    a.memoit(MEMO, "b", rvid=bvid)
    while tymist.tyme < 5.0 and (not b.inbox or a.unsettled()):
        for peer in (a, b):
            peer.service()
        tymist.tick()
    assert [m for m, _, _ in b.inbox] == [MEMO] and a.unsettled() == [] and not a.failures
    assert rule.resends()[0][0] == 0


def test_retry_policy_is_one_value_with_one_line_errors() -> None:
    assert RETRY_KEYS == (
        "policy",
        "init_rto",
        "min_rto",
        "max_rto",
        "max_tries",
        "max_tyme",
        "ack_delay",
        "window",
        "packet_threshold",
        "time_threshold",
        "resend_copies",
        "congestion",
        "initial_window",
    )
    assert RetryPolicy().ack_delay_s == 0.05 and RetryPolicy(policy="fast").ack_delay_s == 0.015
    assert RetryPolicy().resend_copies == 1 and RetryPolicy(policy="fast").resend_copies == 2
    peer = Memoer(retry={"policy": "fast", "window": 8}, maxTries=3)
    assert (peer.engine.retry.policy, peer.window, peer.maxTries) == ("fast", 8, 3)
    for bad, said in [
        ({"policy": "quick"}, 'retry.policy: expected one of "fast", "rto"'),
        ({"min_rto": 2.0, "max_rto": 1.0}, "retry.min_rto: expected a number <= max_rto"),
        ({"window": 0}, "retry.window: expected an integer >= 1"),
        ({"resend_copies": 0}, "retry.resend_copies: expected an integer >= 1"),
        ({"resend_copies": 5}, "retry.resend_copies: expected an integer in [1, 4]"),
        ({"time_threshold": 0.5}, "retry.time_threshold: expected a number >= 1"),
        ({"ack_delay": -1}, "retry.ack_delay: expected a number >= 0"),
        ({"min_rot": 1}, "retry: unknown key 'min_rot'"),
    ]:
        with pytest.raises(MemoerError) as info:
            Memoer(retry=bad)
        assert str(info.value).startswith(said) and "\n" not in str(info.value)


def test_init_rto_sets_the_first_timeout() -> None:
    """Before any RTT sample the first retransmission waits init_rto."""
    rule = Recorder(set(), acks_lost=10)
    run("rto", rule, until=1.0, initRto=0.5)
    assert 0.5 <= rule.resends()[0][1] < 0.5 + 2 * TOCK
