"""Timelines, link counters and spurious retransmissions (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memosim.core import grams
from memosim.core.surewire import make_ack
from memosim.testbed.gramtrace import GramTrace, run_trace
from memosim.testbed.runner import run_scenario
from memosim.testbed.scenario import load_scenario
from memosim.testbed.timeline import ACK_LANE, gram_events, pick
from memosim.testbed.timeline_plot import draw_timelines

REPO = Path(__file__).resolve().parents[1]
MID = "0A" + "B" * 22
A, B = ("alice", 5000), ("bob", 5001)


def _grams() -> list[bytes]:
    return grams.split(
        b"#0:alice>bob:0|" + b"x" * 2000, code="bAAA", curt=False, size=1240, mid=MID
    )


def test_spurious_counts_sends_of_grams_already_delivered():
    g0, g1 = _grams()
    ack = make_ack(MID, 2, done=False, epoch=1, upto=1, ranges=[], curt=False, size=1240)
    t = GramTrace()
    t.record(0.0, "send", A, B, len(g0), "", g0)
    t.record(0.0, "send", A, B, len(g1), "", g1)
    t.record(0.0, "drop", A, B, len(g1), "loss", g1)
    t.record(0.01, "deliver", A, B, len(g0), "", g0)
    t.record(0.02, "send", B, A, len(ack), "", ack)
    t.record(0.03, "deliver", B, A, len(ack), "", ack)
    t.record(0.2, "send", A, B, len(g0), "", g0)  # spurious: g0 was delivered
    t.record(0.2, "send", A, B, len(g1), "", g1)  # needed: g1 was lost
    t.record(0.3, "send", B, A, len(ack), "", ack)  # an ack again: not a data gram
    assert t.spurious == 1
    events = gram_events(t)
    assert [(e.kind, e.num, e.reason) for e in events] == [
        ("send", 0, ""),
        ("send", 1, ""),
        ("drop", 1, "loss"),
        ("deliver", 0, ""),
        ("send", ACK_LANE, ""),
        ("deliver", ACK_LANE, ""),
        ("resend", 0, ""),
        ("resend", 1, ""),
        ("resend", ACK_LANE, ""),
    ]
    assert {e.mid for e in events} == {MID}
    assert events[2].link == "alice->bob" and events[4].link == "bob->alice"


def test_spurious_is_per_destination_even_for_one_payload_sent_to_several():
    """A copy counts as spurious only toward a destination that already has
    it, also when the very same payload went to more than one."""
    (g0, _g1) = _grams()
    C = ("carol", 5002)
    t = run_trace(keep=False)
    t.record(0.0, "send", A, B, len(g0), "", g0)
    t.record(0.01, "deliver", A, B, len(g0), "", g0)
    t.record(0.02, "send", A, C, len(g0), "", g0)  # C has not had it: needed
    assert t.spurious == 0
    t.record(0.03, "deliver", A, C, len(g0), "", g0)
    t.record(0.04, "send", A, B, len(g0), "", g0)  # B had it: spurious
    t.record(0.05, "send", A, C, len(g0), "", g0)  # C had it too: spurious
    t.record(0.06, "send", A, ("dave", 5003), len(g0), "", g0)  # never delivered there
    assert t.spurious == 2


@pytest.fixture(scope="module")
def lossy():
    return run_scenario(load_scenario(REPO / "scenarios/loss-20.toml"), seed=3, timelines=True)


def test_timeline_events_of_a_lossy_run(lossy, tmp_path):
    safe = lossy.run("SafePeerMemoerDoer")
    records = safe.timeline
    assert len(records) == safe.summary["memos_sent"] and all(r["mid"] for r in records)
    slow = max(
        (r for r in records if r["delivered_s"] is not None),
        key=lambda r: r["delivered_s"] - r["sent_s"],
    )
    kinds = {e[1] for e in slow["events"]}
    assert {"send", "resend", "deliver", "drop"} <= kinds  # it was slow because of a loss
    lanes = {e[2] for e in slow["events"]}
    assert lanes == {*range(slow["grams"]), ACK_LANE}
    assert all(e[3] == "loss" for e in slow["events"] if e[1] == "drop")
    assert slow["memo"] in pick(records)
    (png,) = draw_timelines(records, [slow["memo"]], tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_link_counters_match_the_peers_and_the_impairments(lossy):
    for run in lossy.runs:
        s, links = run.summary, run.summary["links"]
        assert set(links) == {"alice->bob", "bob->alice"}
        assert sum(c["sent"] for c in links.values()) == s["grams_sent"] + s["acks_sent"]
        for c in links.values():
            assert set(c["dropped"]) == {"loss"}  # the scenario only loses
            assert c["sent"] == c["delivered"] + c["dropped"]["loss"]
            assert c["duplicated"] == c["reordered"] == c["corrupted"] == 0
    assert lossy.run("PeerMemoerDoer").summary["spurious_retransmissions"] == 0
    safe = lossy.run("SafePeerMemoerDoer").summary
    assert 0 < safe["spurious_retransmissions"] <= safe["grams_retransmitted"]


def test_run_writes_timelines_and_explain_draws_any_memo(tmp_path):
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "memosim"]
    run = subprocess.run(
        [*cmd, "run", str(REPO / "scenarios/loss-20.toml"), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "timeline.jsonl, timelines/ (" in run.stdout
    assert "links: datagrams sent>delivered" in run.stdout and "alice->bob" in run.stdout
    assert list((out / "timelines").glob("SafePeerMemoerDoer-*.png"))
    doc = json.loads((out / "summary.json").read_text())
    assert all("links" in r and "spurious_retransmissions" in r for r in doc["runs"])
    exp = subprocess.run(
        [*cmd, "explain", str(out), "--memo", "42", "--doer", "SafePeerMemoerDoer"],
        capture_output=True,
        text=True,
    )
    assert exp.returncode == 0, exp.stderr
    png = out / "timelines" / "SafePeerMemoerDoer-42.png"
    assert exp.stdout.strip() == f"wrote {png}" and png.stat().st_size > 20_000
    bad = subprocess.run(
        [*cmd, "explain", str(out), "--memo", "999"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--memo 999" in bad.stderr
