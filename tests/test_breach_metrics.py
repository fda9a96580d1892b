"""Breach metrics: what became of every memo, and the table's BREACH line.

The summary counts, per Doer, every sent memo in exactly one class
(metrics.MemoRecord.outcome): delivered, failed (in the sender's failures,
not delivered), in flight at the end (in the sender's unsettled()), or lost
silently (none of these). false_give_ups counts delivered memos the sender
reported failed; duplicates and corrupt deliveries are counted as before.
These tests build a Recorder by hand, so each definition is checked alone.
"""

from __future__ import annotations

import io
import tomllib
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest

from memosim.testbed.metrics import OUTCOMES, SUMMARY_KEYS, Recorder, memo_rows, summarize
from memosim.testbed.report import MEMO_COLUMNS, breaches, format_table, want_color
from memosim.testbed.scenario import load_scenario
from memosim.testbed.workload import MemoKey, make_memo

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
BREACH_SCENARIOS = ("late-zeroth", "corrupt-acks", "source-flood", "adversarial")
STATS = {"grams_sent": 10, "acks_sent": 2, "bytes_sent": 5000, "grams_retransmitted": 1,
         "memos_failed": 0}


class Rng:
    def random(self) -> float:
        return 0.5


def memo(index: int, src: str = "alice", dst: str = "bob") -> tuple[MemoKey, str]:
    key = MemoKey(0, src, dst, index)
    return key, make_memo(key, 200, Rng())


class Peer(SimpleNamespace):
    """What Recorder.settle reads of a peer: failures and unsettled()."""

    def __init__(self, failures=(), unsettled=()) -> None:
        super().__init__(failures=deque(failures), held=list(unsettled))

    def unsettled(self) -> list[tuple]:
        return list(self.held)


def recorder_of_every_kind() -> tuple[Recorder, dict[str, str]]:
    """Seven memos, one per case, settled through fake peers."""
    rec = Recorder()
    m = {name: memo(i)[1] for i, name in enumerate(
        ["ok", "failed", "in_flight", "lost", "false_give_up", "dup", "late_failed"])}
    for i, (_name, text) in enumerate(m.items()):
        rec.sent(memo(i)[0], text, float(i))
    rec.delivered(m["ok"], 10.0)
    rec.delivered(m["false_give_up"], 11.0)
    rec.delivered(m["dup"], 12.0)
    rec.delivered(m["dup"], 13.0)  # a second copy: a duplicate
    corrupt = m["ok"][:-1] + ("x" if m["ok"][-1] != "x" else "y")  # tag intact, body not
    rec.delivered(corrupt, 14.0)
    rec.delivered("no tag at all", 15.0)
    alice = Peer(failures=[(m["failed"], "bob", None, "tries"),
                           (m["false_give_up"], "bob", None, "tyme"),
                           (m["late_failed"], "bob", None, "backlog"),
                           (m["late_failed"], "bob", None, "tyme"),  # only the first counts
                           ("a memo this run never sent", "bob", None, "tries"),
                           (corrupt, "bob", None, "tries")],  # right tag, wrong content
                 unsettled=[(m["in_flight"], "bob", None), (m["late_failed"], "bob", None),
                            (m["ok"], "bob", None)])  # delivered, DONE ack not yet back
    rec.settle([alice, Peer()])
    return rec, m


def test_every_memo_has_exactly_one_outcome() -> None:
    rec, _m = recorder_of_every_kind()
    got = {r.key.index: r.outcome for r in rec.memos.values()}
    assert got == {0: "delivered", 1: "failed", 2: "in_flight", 3: "lost_silently",
                   4: "delivered", 5: "delivered", 6: "failed"}
    assert set(got.values()) <= set(OUTCOMES)
    reasons = {r.key.index: r.failed for r in rec.memos.values()}
    assert reasons == {0: None, 1: "tries", 2: None, 3: None, 4: "tyme", 5: None,
                       6: "backlog"}


def test_summary_counts_each_class() -> None:
    rec, _m = recorder_of_every_kind()
    s = summarize("SafePeerMemoerDoer", rec, [STATS], sim_s=20.0, wall_s=0.1)
    assert list(s) == list(SUMMARY_KEYS)
    assert s["memos_sent"] == 7
    assert s["memos_delivered"] == 3  # ok, false_give_up, dup
    assert s["lost_silently"] == 1  # never delivered, never reported, nothing in flight
    assert s["in_flight_at_end"] == 1  # not delivered nor failed, still unsettled
    assert s["false_give_ups"] == 1  # reported failed, yet delivered
    assert s["duplicates_delivered"] == 1
    assert s["corrupt_delivered"] == 2  # altered body, and no tag at all
    failed = sum(1 for r in rec.memos.values() if r.outcome == "failed")
    # the four classes partition what was sent
    assert (s["memos_delivered"] + failed + s["in_flight_at_end"] + s["lost_silently"]
            == s["memos_sent"])


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


# ---------------------------------------------------------------- the table


def doc(**safe) -> dict:
    zero = {"lost_silently": 0, "duplicates_delivered": 0, "corrupt_delivered": 0,
            "memos_sent": 10, "in_flight_at_end": 0, "false_give_ups": 0}
    return {"scenario": "x", "seed": 1, "backend": "sim", "runs": [
        {"doer": "PeerMemoerDoer", **zero, "lost_silently": 4, "duplicates_delivered": 1},
        {"doer": "SafePeerMemoerDoer", **zero, **safe},
    ]}


def test_breaches_only_for_the_promising_doer() -> None:
    d = doc(lost_silently=2, corrupt_delivered=1)
    plain, safe = d["runs"]
    assert breaches(plain) == []  # fire and forget promises nothing
    assert breaches(safe) == ["2 lost silently", "1 corrupt delivered"]
    assert breaches(doc(in_flight_at_end=3, false_give_ups=2)["runs"][1]) == []


def test_breach_line_plain_without_colour() -> None:
    text = format_table(doc(lost_silently=2, duplicates_delivered=1), color=False)
    assert "\x1b" not in text
    last = text.splitlines()[-1]
    assert last.split() == ["BREACH", "SafePeerMemoerDoer:", "2", "lost", "silently,", "1",
                            "duplicates", "delivered"]
    for label in ("lost silently", "in flight at end", "false give-ups"):
        row = next(line for line in text.splitlines() if line.startswith(label))
        assert len(row.split()) == len(label.split()) + 2


def test_breach_line_red_with_colour() -> None:
    text = format_table(doc(corrupt_delivered=3), color=True)
    last = text.splitlines()[-1]
    assert last.startswith("\x1b[31") and last.endswith("\x1b[0m")
    assert "BREACH" in last and "3 corrupt delivered" in last
    assert text.count("\x1b[") == 2  # only the breach line is coloured


def test_no_breach_no_line_and_no_colour_anywhere() -> None:
    for color in (False, True):
        text = format_table(doc(), color=color)
        assert "BREACH" not in text and "\x1b" not in text


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_for_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert want_color(Tty()) is True
    assert want_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert want_color(Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert want_color(Tty()) is False
    monkeypatch.setenv("TERM", "xterm")
    # format_table's default follows stdout: red on a terminal, plain elsewhere
    monkeypatch.setattr("sys.stdout", Tty())
    assert "\x1b[31" in format_table(doc(lost_silently=1))
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert "\x1b" not in format_table(doc(lost_silently=1))


# ---------------------------------------------------------------- scenarios


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_loads(path: Path) -> None:
    s = load_scenario(path)
    assert s.name == path.stem and s.memo_count > 0


@pytest.mark.parametrize("name", BREACH_SCENARIOS)
def test_breach_scenarios_are_shipped_with_a_header(name: str) -> None:
    path = ROOT / "scenarios" / f"{name}.toml"
    text = path.read_text()
    tomllib.loads(text)
    header = [line for line in text.splitlines()[:30] if line.startswith("#")]
    assert len(header) >= 5, "a comment header says what it demonstrates"
    s = load_scenario(path)
    assert set(s.doers) == {"PeerMemoerDoer", "SafePeerMemoerDoer"}
    assert all(p.acked for p in s.peers), "the acked promise is what they test"


def test_breach_scenarios_impair_what_they_claim() -> None:
    def load(name: str):
        return load_scenario(ROOT / "scenarios" / f"{name}.toml")

    lz = load("late-zeroth")
    data, acks = lz.link("alice", "bob").config, lz.link("bob", "alice").config
    ((down, up),) = data.schedule.windows
    assert up - down > 30.0  # longer than the receiver's partial-memo expiry
    assert acks.schedule is None and acks.loss is None  # the ack path works
    assert any(w.end_s < down + 0.5 for w in lz.workload)

    ca = load("corrupt-acks")
    assert ca.link("bob", "alice").config.corrupt.deliver
    assert ca.link("alice", "bob").config.corrupt is None

    sf = load("source-flood")
    assert len({src for w in sf.workload for src, _ in w.pairs}) > 10
    assert sf.memo_count > 16_384  # more than a shared delivered-id table holds
    assert sf.link("bob", "alice").config.schedule is not None

    adv = load("adversarial")
    for a, b in (("alice", "bob"), ("bob", "alice")):
        cfg = adv.link(a, b).config
        assert cfg.loss.rate == 0.3 and cfg.duplicate.rate == 0.5
        assert cfg.reorder.rate == 0.5 and cfg.corrupt.deliver
    assert adv.partitions and adv.partitions[0].end_s is not None
    ((down, up),) = adv.link("bob", "alice").config.schedule.windows
    assert up - down > 120.0  # longer than every expiry (30 s, 60 s, 120 s)
    assert adv.link("alice", "bob").config.schedule is None
    assert max(w.end_s for w in adv.workload) + 60.0 < adv.duration_s  # all settle


# ---------------------------------------------------------------- udp backend


@pytest.mark.udp
def test_udp_backend_reports_the_same_classes() -> None:
    from memosim.testbed.runner import run_scenario
    from memosim.testbed.scenario import parse_scenario

    s = parse_scenario({
        "scenario": {"name": "udp-breach", "duration_s": 1.5, "seed": 3},
        "peers": [{"name": "alice", "port": 5000}, {"name": "bob", "port": 5001}],
        "links": [{"src": "alice", "dst": "bob", "both": True, "loss": {"rate": 0.2},
                   "delay": {"base_s": 0.005}}],
        "workload": [{"src": "alice", "dst": "bob", "count": 15, "interval_s": 0.05,
                      "memo_size": {"dist": "fixed", "bytes": 3000}}],
    }, "<udp-breach>")
    result = run_scenario(s, backend="udp")
    for run in result.runs:
        summary = run.summary
        assert list(summary) == list(SUMMARY_KEYS)
        outcomes = [row["outcome"] for row in run.rows]
        assert summary["lost_silently"] == outcomes.count("lost_silently")
        assert summary["in_flight_at_end"] == outcomes.count("in_flight")
        assert (summary["memos_delivered"] + outcomes.count("failed")
                + summary["in_flight_at_end"] + summary["lost_silently"]) == 15
    plain = result.run("PeerMemoerDoer").summary
    assert plain["lost_silently"] == 15 - plain["memos_delivered"]  # never retried
