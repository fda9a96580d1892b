"""Every figure of a run, recomputed from the raw data by other means.

summary.json, the table, memos.csv and timeline.jsonl all come from
metrics.summarize and memo_rows; these tests recompute each figure
independently, from the kept sim trace (every datagram event, its payload
read as a gram), the per-memo rows and the network's counters, over edge
cases: nothing delivered, a partition that never heals, memos in flight at
the end, give-ups true and false, one-byte memos (no tag), memos of many
grams, several workloads and peers, corrupt deliveries of plain memos.
Then the table, summary.json and memos.csv written by write_results must
say the same as the run.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import memosim.testbed.simrun as simrun
from memosim.sim import Trace
from memosim.testbed.gramtrace import GramTrace, is_ack
from memosim.testbed.report import TABLE_ROWS, format_table, write_results
from memosim.testbed.runner import ScenarioResult
from memosim.testbed.scenario import Scenario, parse_scenario

LOSSY = {"loss": {"rate": 0.4}, "delay": {"base_s": 0.01}}


def doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "scenario": {"name": "figures", "duration_s": 5.0, "tock_s": 0.005},
        "defaults": {"acked": True},
        "peers": [{"name": "a", "port": 1}, {"name": "b", "port": 2}],
        "links": [{"src": "a", "dst": "b", "both": True, "delay": {"base_s": 0.01}}],
        "workload": [
            {
                "src": "a",
                "dst": "b",
                "count": 30,
                "interval_s": 0.05,
                "memo_size": {"dist": "uniform", "min": 1, "max": 5000},
            }
        ],
    }
    d.update(over)
    return d


def link(**impairments: Any) -> list[dict[str, Any]]:
    return [{"src": "a", "dst": "b", "both": True, **impairments}]


CASES = {
    "blackhole": doc(links=link(loss={"rate": 1.0})),
    "partition-never-heals": doc(partitions=[{"peers": ["a"], "start_s": 0.5}]),
    "in-flight-at-end": doc(
        scenario={"name": "f", "duration_s": 1.0},
        links=link(loss={"rate": 0.5}, delay={"base_s": 0.01}),
        workload=[
            {
                "src": "a",
                "dst": "b",
                "count": 30,
                "interval_s": 0.03,
                "memo_size": {"dist": "fixed", "bytes": 5000},
            }
        ],
    ),
    "give-ups": doc(retry={"max_tries": 2, "max_tyme": 1.0}, links=link(**LOSSY)),
    "false-give-ups": doc(
        retry={"max_tries": 2},
        links=[
            {"src": "a", "dst": "b", "delay": {"base_s": 0.01}},
            {"src": "b", "dst": "a", "loss": {"rate": 0.9}},
        ],
    ),
    "one-byte-burst": doc(
        links=link(loss={"rate": 0.3}),
        workload=[
            {
                "src": "a",
                "dst": "b",
                "count": 50,
                "interval_s": 0.0,
                "memo_size": {"dist": "fixed", "bytes": 1},
            }
        ],
    ),
    "big-memos": doc(
        workload=[
            {
                "src": "a",
                "dst": "b",
                "count": 3,
                "interval_s": 0.5,
                "memo_size": {"dist": "fixed", "bytes": 200_000},
            }
        ],
    ),
    "many-peers-and-workloads": doc(
        peers=[{"name": n, "port": i + 1} for i, n in enumerate("abcd")],
        links=[{"src": "*", "dst": "*", "loss": {"rate": 0.1}, "delay": {"base_s": 0.01}}],
        workload=[
            {
                "src": "*",
                "dst": "*",
                "count": 5,
                "interval_s": 0.1,
                "memo_size": {"dist": "uniform", "min": 1, "max": 3000},
            },
            {
                "src": "a",
                "dst": ["b", "c"],
                "count": 10,
                "rate_per_s": 20,
                "memo_size": {"dist": "fixed", "bytes": 2},
            },
        ],
    ),
    "plain-corrupt-delivered": doc(
        defaults={"acked": False}, links=link(corrupt={"rate": 0.3, "deliver": True})
    ),
    "nothing-sent": doc(
        workload=[
            {
                "src": "a",
                "dst": "b",
                "count": 0,
                "interval_s": 0.1,
                "memo_size": {"dist": "fixed", "bytes": 20},
            }
        ]
    ),
}


@pytest.fixture
def traces(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Trace]]:
    """The trace of each sim run made in the test (run_sim makes its own)."""
    made: list[Trace] = []
    real = simrun.run_trace

    def keep(keep_events: bool) -> Trace:
        made.append(real(keep_events))
        return made[-1]

    monkeypatch.setattr(simrun, "run_trace", keep)
    yield made


def nearest_rank(values: list[float], q: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, -(-q * len(ordered) // 100)) - 1]  # integer ceil: no float rank


def host(addr: str) -> str:
    return addr.rsplit(":", 1)[0].strip("[]")


def recomputed(scenario: Scenario, trace: GramTrace, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary's figures from the rows and the trace alone."""
    done = [r for r in rows if r["delivered_s"] != ""]
    lat = [r["delivered_s"] - r["sent_s"] for r in done]
    payload = sum(r["bytes"] for r in done)
    outcomes = Counter(r["outcome"] for r in rows)
    events = trace.events
    sends = [(i, e) for i, e in enumerate(events) if e.kind == "send"]
    acks = [e for i, e in sends if is_ack(trace.payload_of(i))]
    seen, delivered, resent, spurious = set(), defaultdict(set), 0, 0
    for i, e in enumerate(events):
        data = trace.payload_of(i)
        if e.kind == "deliver":
            delivered[data].add(e.dst)
        elif e.kind == "send" and not is_ack(data):
            resent += (e.src, e.dst, data) in seen
            seen.add((e.src, e.dst, data))
            spurious += e.dst in delivered[data]
    wire = sum(e.size for _, e in sends)
    return {
        "memos_sent": len(rows),
        "memos_delivered": len(done),
        "latency_s": {f"p{q}": nearest_rank(lat, q) for q in (50, 90, 99)}
        | {"max": max(lat, default=None)},
        "grams_sent": len(sends) - len(acks),
        "acks_sent": len(acks),
        "grams_retransmitted": resent,
        "spurious_retransmissions": spurious,
        "wire_bytes": wire,
        "overhead_ratio": wire / payload if payload else None,
        "goodput_bps": payload * 8 / scenario.duration_s,
        "duplicates_delivered": sum(max(0, r["copies"] - 1) for r in rows),
        "lost_silently": outcomes["lost_silently"],
        "in_flight_at_end": outcomes["in_flight"],
        "gave_up": sum(r["failed"] != "" for r in rows),
        "false_give_ups": sum(r["failed"] != "" and r["outcome"] == "delivered" for r in rows),
        "queue_drops": sum(e.kind == "drop" and e.reason in ("queue", "ifqueue") for e in events),
    }


def close(a: float | None, b: float | None, tol: float) -> bool:
    return (a is None) == (b is None) and (a is None or math.isclose(a, b, abs_tol=tol))  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_figures_recomputed_from_the_trace_and_rows(
    case: str, seed: int, traces: list[Trace], tmp_path: Path
) -> None:
    scenario = parse_scenario(CASES[case], case)
    runs = []
    for doer in scenario.doers:
        run = simrun.run_sim(scenario, doer, seed, timelines=True)
        trace = traces[-1]
        assert isinstance(trace, GramTrace)
        s, want = run.summary, recomputed(scenario, trace, run.rows)
        for key in (
            "memos_sent",
            "memos_delivered",
            "grams_sent",
            "acks_sent",
            "grams_retransmitted",
            "spurious_retransmissions",
            "wire_bytes",
            "duplicates_delivered",
            "lost_silently",
            "in_flight_at_end",
            "gave_up",
            "false_give_ups",
        ):
            assert s[key] == want[key], (doer, key)
        assert s["congestion"]["queue_drops"] == want["queue_drops"]
        for q, value in want["latency_s"].items():
            assert close(s["latency_s"][q], value, 1e-6), (doer, q)
        assert close(s["overhead_ratio"], want["overhead_ratio"], 1e-6)
        assert close(s["goodput_bps"], want["goodput_bps"], 1e-3)
        sent, done = s["memos_sent"], s["memos_delivered"]
        if sent:
            assert close(s["delivery_ratio"], done / sent, 1e-6)
            assert (s["delivery_ratio"] == 1.0) == (done == sent)
        else:
            assert s["delivery_ratio"] is None
        # every memo in exactly one outcome
        assert (
            done + s["gave_up"] - s["false_give_ups"] + s["in_flight_at_end"] + s["lost_silently"]
            == sent
        )
        # the network's counters are the trace's events, link by link
        per: dict[str, Counter[str]] = defaultdict(Counter)
        for e in trace.events:
            c = per[f"{host(e.src)}->{host(e.dst)}"]
            c[e.kind] += 1
            c["drop:" + e.reason] += e.kind == "drop"
            c["bytes_" + e.kind] += e.size
        assert {k for k, c in per.items() if c["send"]} <= set(s["links"])
        for name, counters in s["links"].items():
            c = per[name]
            assert (counters["sent"], counters["delivered"]) == (c["send"], c["deliver"])
            assert counters["bytes_sent"] == c["bytes_send"]
            assert counters["bytes_delivered"] == c["bytes_deliver"]
            assert counters["duplicated"] == c["duplicate"]
            assert counters["corrupted"] == c["corrupt"]
            assert {r: n for r, n in counters["dropped"].items() if n} == {
                k[5:]: n for k, n in c.items() if k.startswith("drop:") and n
            }
        by_peer = s["by_peer"].values()
        assert sum(p["memos_delivered"] for p in by_peer) == done
        assert sum(p["corrupt_delivered"] for p in by_peer) == s["corrupt_delivered"]
        # the timelines say what the rows say
        assert [(t["outcome"], t["copies"]) for t in run.timeline] == [
            (r["outcome"], r["copies"]) for r in run.rows
        ]
        runs.append(run)
    written_agree(ScenarioResult(case, seed, "sim", runs), tmp_path)


def written_agree(result: ScenarioResult, out: Path) -> None:
    """The table, summary.json and memos.csv say what the runs say."""
    write_results(result, out, plots=False)
    saved = json.loads((out / "summary.json").read_text())
    # a sim summary.json leaves the wall time out: a rerun writes the same bytes
    assert saved["runs"] == [
        {k: v for k, v in json.loads(json.dumps(r.summary)).items() if k != "wall_s"}
        for r in result.runs
    ]
    with (out / "memos.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(len(r.rows) for r in result.runs)
    for got, want in zip(rows, (row for r in result.runs for row in r.rows)):
        assert got == {k: str(v) for k, v in want.items()}
    table = format_table(saved, color=False).splitlines()
    for label, key, fmt in TABLE_ROWS:
        line = next(x for x in table if x.startswith(label + "  "))
        cells = line[len(label) :].split()
        parts = key.split(".")
        values = [
            r.summary[parts[0]] if len(parts) == 1 else r.summary[parts[0]][parts[1]]
            for r in result.runs
        ]
        if label != "wall s":
            assert cells == [fmt(v) for v in values], label
