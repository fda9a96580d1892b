"""Review s7: the recorder's verdict on deliveries it must not count as good.

A delivery is intact only when it is the very memo sent, to the peer it
was sent to; memos too short for a tag that share their content are told
apart by order, not collapsed into one record.
"""

from __future__ import annotations

import random
import tomllib

from memosim.testbed import run
from memosim.testbed.metrics import Recorder
from memosim.testbed.scenario import parse_scenario
from memosim.testbed.workload import MemoKey, make_memo, plan_memo, unfold


def test_a_tagged_memo_delivered_to_the_wrong_peer_is_not_a_good_delivery() -> None:
    key = MemoKey(0, "alice", "bob", 0)
    planned = plan_memo(key, 500, random.Random(3))  # folded: as the runners keep it
    rec = Recorder()
    rec.sent(key, unfold(planned), 0.0, kept=planned)
    rec.delivered(unfold(planned), 0.1, "carol")  # right content, wrong receiver
    assert rec.memos[key].delivered_s is None and rec.memos[key].copies == 0
    assert rec.corrupt == 1 and rec.to_peer["carol"]["corrupt_delivered"] == 1
    rec.delivered(unfold(planned), 0.2, "bob")
    assert rec.memos[key].delivered_s == 0.2 and rec.duplicates == 0


def test_short_memos_with_the_same_content_are_each_delivered_once() -> None:
    rec = Recorder()
    keys = [MemoKey(0, "alice", "bob", i) for i in range(3)]
    for i, key in enumerate(keys):  # one letter each: the same letter, three memos
        rec.sent(key, "x", i * 0.001)
    for when in (0.1, 0.11, 0.12):
        rec.delivered("x", when, "bob")
    assert [rec.memos[k].copies for k in keys] == [1, 1, 1]
    assert [rec.memos[k].delivered_s for k in keys] == [0.1, 0.11, 0.12]
    assert rec.duplicates == 0 and rec.corrupt == 0
    rec.delivered("x", 0.2, "bob")  # a fourth copy of three memos: one duplicate
    assert rec.duplicates == 1 and rec.to_peer["bob"]["duplicates_delivered"] == 1
    rec.delivered("x", 0.3, "carol")  # sent to bob only
    assert rec.corrupt == 1


def test_short_memos_with_the_same_content_settle_one_record_each() -> None:
    rec = Recorder()
    keys = [MemoKey(0, "alice", "bob", i) for i in range(3)]
    for key in keys:
        rec.sent(key, "x", 0.0)
    rec.delivered("x", 0.1, "bob")
    assert rec.failed("x", "gave up") and rec.unsettled("x")
    outcomes = [rec.memos[k].outcome for k in keys]
    assert sorted(outcomes) == ["delivered", "failed", "in_flight"]
    assert rec.memos[keys[0]].false_give_up is False


BURST = """
[scenario]
duration_s = 2.0
seed = 1

[[peers]]
name = "alice"
port = 47000

[[peers]]
name = "bob"
port = 47001

[[workload]]
src = "alice"
dst = "bob"
count = 100
interval_s = 0.0
memo_size = { dist = "fixed", bytes = 1 }
"""


def test_a_clean_burst_of_one_byte_memos_is_delivered_without_duplicates() -> None:
    # 100 one-letter memos from 67 letters: many share their content
    key = MemoKey(0, "alice", "bob", 0)
    assert len(make_memo(key, 1, random.Random(0))) == 1
    result = run(parse_scenario(tomllib.loads(BURST), "burst.toml"))
    for r in result.runs:
        s = r.summary
        assert s["memos_delivered"] == 100, (r.doer, s)
        assert s["duplicates_delivered"] == 0 and s["lost_silently"] == 0, (r.doer, s)
        assert s["corrupt_delivered"] == 0


def test_short_memos_sent_between_deliveries_are_still_each_taken_once() -> None:
    rec = Recorder()
    keys = [MemoKey(0, "alice", "bob", i) for i in range(4)]
    rec.sent(keys[0], "x", 0.0)
    rec.delivered("x", 0.1, "bob")
    rec.sent(keys[1], "x", 0.2)  # after the first was delivered
    rec.sent(keys[2], "x", 0.3)
    rec.delivered("x", 0.4, "bob")
    rec.sent(keys[3], "x", 0.5)
    rec.delivered("x", 0.6, "bob")
    assert [rec.memos[k].delivered_s for k in keys] == [0.1, 0.4, 0.6, None]
    assert rec.duplicates == 0
    carol = MemoKey(0, "alice", "carol", 0)
    rec.sent(carol, "x", 0.7)
    # the sender gives up on two "x" memos: bob's undelivered one, then carol's
    assert rec.failed("x", "gave up") and rec.failed("x", "gave up")
    assert rec.memos[keys[3]].outcome == "failed" and rec.memos[carol].outcome == "failed"
    assert not any(rec.memos[k].false_give_up for k in keys)
