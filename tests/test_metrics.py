"""testbed/metrics.py: what became of every memo, and the summary of a run.

The summary counts, per Doer, every sent memo in exactly one class
(metrics.MemoRecord.outcome): delivered, failed (in the sender's failures,
not delivered), in flight at the end (in the sender's unsettled()), or lost
silently (none of these). false_give_ups counts delivered memos the sender
reported failed; duplicates and corrupt deliveries are counted as before.
These tests build a Recorder by hand, so each definition is checked alone.
"""

from __future__ import annotations

import random
from collections import deque
from types import SimpleNamespace
from typing import Any

from memosim.testbed.metrics import (
    OUTCOMES,
    SUMMARY_KEYS,
    Recorder,
    memo_rows,
    percentile,
    summarize,
)
from memosim.testbed.report import MEMO_COLUMNS
from memosim.testbed.workload import MemoKey, make_memo

STATS = {
    "grams_sent": 10,
    "acks_sent": 2,
    "bytes_sent": 5000,
    "grams_retransmitted": 1,
    "memos_failed": 0,
}


class Rng(random.Random):
    """A stream whose every draw is 0.5 (filler of one letter)."""

    def random(self) -> float:
        return 0.5


def memo(index: int, src: str = "alice", dst: str = "bob") -> tuple[MemoKey, str]:
    key = MemoKey(0, src, dst, index)
    return key, make_memo(key, 200, Rng())


class Peer(SimpleNamespace):
    """What Recorder.settle reads of a peer: failures and unsettled()."""

    def __init__(self, failures: Any = (), unsettled: Any = ()) -> None:
        super().__init__(failures=deque(failures), held=list(unsettled))

    def unsettled(self) -> list[tuple[Any, ...]]:
        return list(self.held)


def recorder_of_every_kind() -> tuple[Recorder, dict[str, str]]:
    """Seven memos, one per case, settled through fake peers."""
    rec = Recorder()
    m = {
        name: memo(i)[1]
        for i, name in enumerate(
            ["ok", "failed", "in_flight", "lost", "false_give_up", "dup", "late_failed"]
        )
    }
    for i, (_name, text) in enumerate(m.items()):
        rec.sent(memo(i)[0], text, float(i))
    rec.delivered(m["ok"], 10.0)
    rec.delivered(m["false_give_up"], 11.0)
    rec.delivered(m["dup"], 12.0)
    rec.delivered(m["dup"], 13.0)  # a second copy: a duplicate
    corrupt = m["ok"][:-1] + ("x" if m["ok"][-1] != "x" else "y")  # tag intact, body not
    rec.delivered(corrupt, 14.0)
    rec.delivered("no tag at all", 15.0)
    alice = Peer(
        failures=[
            (m["failed"], "bob", None, "tries"),
            (m["false_give_up"], "bob", None, "tyme"),
            (m["late_failed"], "bob", None, "backlog"),
            (m["late_failed"], "bob", None, "tyme"),  # only the first counts
            ("a memo this run never sent", "bob", None, "tries"),
            (corrupt, "bob", None, "tries"),
        ],  # right tag, wrong content
        unsettled=[
            (m["in_flight"], "bob", None),
            (m["late_failed"], "bob", None),
            (m["ok"], "bob", None),
        ],
    )  # delivered, DONE ack not yet back
    rec.settle([alice, Peer()])
    return rec, m


def test_every_memo_has_exactly_one_outcome() -> None:
    rec, _m = recorder_of_every_kind()
    got = {r.key.index: r.outcome for r in rec.memos.values()}
    assert got == {
        0: "delivered",
        1: "failed",
        2: "in_flight",
        3: "lost_silently",
        4: "delivered",
        5: "delivered",
        6: "failed",
    }
    assert set(got.values()) <= set(OUTCOMES)
    reasons = {r.key.index: r.failed for r in rec.memos.values()}
    assert reasons == {0: None, 1: "tries", 2: None, 3: None, 4: "tyme", 5: None, 6: "backlog"}


def test_summary_counts_each_class() -> None:
    rec, _m = recorder_of_every_kind()
    s = summarize("SafePeerMemoerDoer", rec, [STATS], sim_s=20.0, wall_s=0.1)
    # links (from the network) and by_peer (from the peers): added by backend.collect
    assert list(s) == [k for k in SUMMARY_KEYS if k not in ("links", "by_peer")]
    assert s["spurious_retransmissions"] is None  # no trace told
    assert s["memos_sent"] == 7
    assert s["memos_delivered"] == 3  # ok, false_give_up, dup
    assert s["lost_silently"] == 1  # never delivered, never reported, nothing in flight
    assert s["in_flight_at_end"] == 1  # not delivered nor failed, still unsettled
    assert s["false_give_ups"] == 1  # reported failed, yet delivered
    assert s["duplicates_delivered"] == 1
    assert s["corrupt_delivered"] == 2  # altered body, and no tag at all
    failed = sum(1 for r in rec.memos.values() if r.outcome == "failed")
    # the four classes partition what was sent
    assert (
        s["memos_delivered"] + failed + s["in_flight_at_end"] + s["lost_silently"]
        == s["memos_sent"]
    )


def test_in_flight_is_not_lost_and_failed_is_not_in_flight() -> None:
    """A memo still held at the end is in flight, not lost; once failed it is
    failed, even if the sender still lists it (failures win)."""
    rec = Recorder()
    key, text = memo(0)
    rec.sent(key, text, 0.0)
    assert rec.memos[key].outcome == "lost_silently"
    rec.settle([Peer(unsettled=[(text, "bob", None)])])
    assert rec.memos[key].outcome == "in_flight"
    rec.settle([Peer(failures=[(text, "bob", None, "tyme")])])
    assert rec.memos[key].outcome == "failed"
    rec.delivered(text, 1.0)
    assert rec.memos[key].outcome == "delivered" and rec.memos[key].false_give_up


def test_settle_ignores_memos_this_run_did_not_send() -> None:
    rec = Recorder()
    key, text = memo(0)
    rec.sent(key, text, 0.0)
    assert not rec.failed("#0:alice>bob:7|never sent", "tries")
    assert not rec.failed(b"\xff\xfe not even text", "tries")
    assert not rec.unsettled(memo(1)[1])
    assert rec.failed(text.encode(), "tries")  # bytes memos are matched too
    assert rec.memos[key].failed == "tries"


def test_memo_rows_carry_outcome_and_failure_reason() -> None:
    rec, _m = recorder_of_every_kind()
    rows = memo_rows("SafePeerMemoerDoer", rec)
    assert list(rows[0]) == list(MEMO_COLUMNS)
    by_index = {row["index"]: row for row in rows}
    assert (by_index[1]["outcome"], by_index[1]["failed"]) == ("failed", "tries")
    assert (by_index[3]["outcome"], by_index[3]["failed"]) == ("lost_silently", "")
    assert (by_index[4]["outcome"], by_index[4]["failed"]) == ("delivered", "tyme")
    assert by_index[5]["copies"] == 2


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile([], 50) is None
    assert [percentile(values, q) for q in (0, 10, 50, 90, 99, 100)] == [1, 1, 5, 9, 10, 10]
    assert percentile([3.5], 99) == 3.5


def test_summary_derives_latency_cost_and_ratios_from_records_and_counters() -> None:
    rec = Recorder()
    for i in range(4):
        key, text = memo(i)
        rec.sent(key, text, float(i))
        if i < 3:
            rec.delivered(text, i + 0.25 * (i + 1))  # latencies 0.25, 0.5, 0.75
    other = dict(STATS, grams_sent=5, acks_sent=5, bytes_sent=1000, memos_failed=1)
    s = summarize("PeerMemoerDoer", rec, [STATS, other], sim_s=8.0, wall_s=0.12345)
    assert s["latency_s"] == {"p50": 0.5, "p90": 0.75, "p99": 0.75, "max": 0.75}
    assert (s["memos_delivered"], s["delivery_ratio"]) == (3, 0.75)
    assert (s["grams_sent"], s["acks_sent"]) == (15 - 7, 7)  # acks are not data grams
    assert s["wire_bytes"] == 6000 and s["gave_up"] == 1 and s["grams_retransmitted"] == 2
    assert s["overhead_ratio"] == round(6000 / 600, 6)  # wire bytes per delivered byte
    assert s["goodput_bps"] == 600 * 8 / 8.0 and s["wall_s"] == 0.123


def test_an_empty_run_has_no_ratios_rather_than_a_division_by_zero() -> None:
    s = summarize("PeerMemoerDoer", Recorder(), [dict(STATS, bytes_sent=0)], sim_s=0.0, wall_s=0.0)
    assert s["memos_sent"] == 0 and s["delivery_ratio"] is None
    assert s["overhead_ratio"] is None and s["goodput_bps"] is None
    assert s["latency_s"] == {"p50": None, "p90": None, "p99": None, "max": None}


def test_a_delivery_counts_only_when_it_is_the_sent_memo_byte_for_byte() -> None:
    rec = Recorder()
    key, text = memo(0)
    rec.sent(key, text, 0.0)
    for i in (10, 100, len(text) - 1):  # tag intact, one character changed anywhere after it
        altered = text[:i] + ("x" if text[i] != "x" else "y") + text[i + 1 :]
        rec.delivered(altered, 1.0)
    rec.delivered(text[:-1], 1.0)  # one byte short
    assert rec.corrupt == 4 and rec.memos[key].delivered_s is None
    rec.delivered(text.encode(), 2.0)  # the same bytes, delivered as bytes: intact
    rec.delivered(text, 3.0)  # then as str: a duplicate, not a corrupt copy
    assert rec.memos[key].delivered_s == 2.0 and rec.duplicates == 1 and rec.corrupt == 4


def test_size_is_in_utf8_bytes() -> None:
    rec = Recorder()
    key = MemoKey(0, "ålice", "bob", 0)
    text = make_memo(key, 200, Rng())
    rec.sent(key, text, 0.0)
    assert not text.isascii() and rec.memos[key].size == len(text.encode()) > len(text)


def test_busy_goodput_counts_delivered_payload_over_the_busy_span():
    from memosim.testbed.metrics import busy_goodput

    rows = [
        {"src": "a", "sent_s": 1.0, "delivered_s": 2.0, "bytes": 1000},
        {"src": "a", "sent_s": 1.5, "delivered_s": 3.0, "bytes": 1000},
        {"src": "b", "sent_s": 0.5, "delivered_s": "", "bytes": 5000},  # never delivered
    ]
    assert busy_goodput(rows, "a") == 2000 * 8 / 2.0
    assert busy_goodput(rows) == 2000 * 8 / 2.5  # the busy span starts at b's memo
    assert busy_goodput(rows, "b") == 0.0


def test_jain_index_is_one_when_equal_and_one_over_n_when_one_takes_all():
    from memosim.testbed.metrics import jain_index

    assert jain_index([5.0, 5.0, 5.0, 5.0]) == 1.0
    assert jain_index([8.0, 0.0, 0.0, 0.0]) == 0.25
    assert 0.25 < jain_index([4.0, 3.0, 2.0, 1.0]) < 1.0


def test_a_folded_memo_is_matched_exactly_as_the_memo_itself() -> None:
    """The workload's memos are kept folded (tag, filler block, size): a
    delivery still counts only when it is the memo byte for byte."""
    from memosim.testbed.workload import Folded, plan_memo, unfold

    rec = Recorder()
    key = MemoKey(0, "alice", "bob", 3)
    planned = plan_memo(key, 12288, Rng())
    assert isinstance(planned, Folded) and len(planned.block) == 64
    text = unfold(planned)
    rec.sent(key, text, 0.0, kept=planned)
    assert rec.memos[key].memo is planned and rec.memos[key].size == 12288
    for i in (20, 64 * 7 + 5, len(text) - 1):  # one character changed anywhere after the tag
        rec.delivered(text[:i] + ("x" if text[i] != "x" else "y") + text[i + 1 :], 1.0)
    rec.delivered(text + "x", 1.0)  # one longer
    rec.delivered(text[:-64], 1.0)  # one block short: still a whole number of blocks
    assert rec.corrupt == 5 and rec.memos[key].delivered_s is None
    rec.delivered(text.encode(), 2.0)
    rec.delivered(text, 3.0)
    assert rec.memos[key].delivered_s == 2.0 and rec.duplicates == 1
    assert rec.failed(text, "tyme") and rec.memos[key].false_give_up


def test_schedule_makes_memos_lazily_in_the_order_sorting_them_all_would() -> None:
    """The plan is made as the run reaches it, and is the plan sorting every
    memo up front gives: same memos, same order, ties by workload, sender,
    receiver and index."""
    import inspect

    from helpers import eager_plan

    from memosim.testbed.backend import schedule
    from memosim.testbed.scenario import parse_scenario
    from memosim.testbed.workload import unfold

    s = parse_scenario(
        {
            "scenario": {"name": "plan", "duration_s": 5.0, "seed": 7},
            "peers": [{"name": n, "port": 47400 + i} for i, n in enumerate("abc")],
            "workload": [
                {
                    "src": "a",
                    "dst": "b",
                    "count": 30,
                    "interval_s": 0.02,
                    "memo_size": {"dist": "fixed", "bytes": 500},
                },
                {
                    "src": "*",
                    "dst": "c",
                    "count": 20,
                    "interval_s": 0.03,
                    "memo_size": {"dist": "uniform", "min": 10, "max": 3000},
                },
                {
                    "src": "c",
                    "dst": "a",
                    "count": 10,
                    "interval_s": 0.0,
                    "start_s": 0.06,
                    "memo_size": {"dist": "fixed", "bytes": 40},
                },
            ],
        },
        "plan.toml",
    )
    plan = schedule(s, 7)
    assert inspect.isgenerator(plan)
    everything = eager_plan(s, 7)
    assert [(when, key, unfold(p)) for when, key, p in plan] == everything
    assert len(everything) == 30 + 2 * 20 + 10
    assert len(everything) == 30 + 2 * 20 + 10
