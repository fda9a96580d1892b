"""The udp backend: real PeerMemoers on loopback through the impairing relay.

Runs take real time (a few seconds each), so the assertions are ranges, not
the exact outcomes tests/test_sim_run.py pins for the sim backend. The relay
alone, on explicit times, is tests/test_relay.py's.
"""

from __future__ import annotations

import pytest

from memosim.testbed import parse_scenario, udprun
from memosim.testbed.relay import Relay
from memosim.testbed.runner import run_scenario
from memosim.testbed.udprun import run_udp

pytestmark = pytest.mark.udp


def two_peers(
    name: str,
    *,
    duration: float,
    link: dict,
    count: int,
    interval: float,
    size: dict,
    partitions: list | None = None,
    doers=None,
):
    doc = {
        "scenario": {"name": name, "duration_s": duration, "seed": 3, "tock_s": 0.005},
        "peers": [{"name": "alice", "port": 5000}, {"name": "bob", "port": 5001}],
        "links": [{"src": "alice", "dst": "bob", "both": True, **link}],
        "workload": [
            {
                "src": "alice",
                "dst": "bob",
                "count": count,
                "interval_s": interval,
                "memo_size": size,
            }
        ],
    }
    if partitions:
        doc["partitions"] = partitions
    if doers:
        doc["scenario"]["doers"] = list(doers)
    return parse_scenario(doc, f"<{name}>")


def relay_clean(run) -> None:
    relay = run.network["relay"]
    assert relay["strangers"] == 0 and relay["tx_errors"] == 0
    assert relay["datagrams_out"] == run.network["total"]["delivered"]
    assert relay["lag_max_s"] < 0.5, relay  # the Doist kept (roughly) to real time


def test_loss_safe_delivers_all_plain_fewer():
    s = two_peers(
        "udp-loss-10",
        duration=3.5,
        link={"loss": {"rate": 0.10}, "delay": {"base_s": 0.005}},
        count=30,
        interval=0.05,
        size={"dist": "fixed", "bytes": 4000},
    )
    result = run_scenario(s, backend="udp")
    assert result.backend == "udp" and result.trace_digest is None
    plain, safe = result.run("PeerMemoerDoer"), result.run("SafePeerMemoerDoer")
    for run in (plain, safe):
        assert run.summary["memos_sent"] == 30
        assert run.summary["corrupt_delivered"] == 0 and run.summary["duplicates_delivered"] == 0
        assert run.network["total"]["dropped"].get("loss", 0) > 0
        assert run.trace_digest is None and set(run.peers) == {"alice", "bob"}
        relay_clean(run)
    # four grams a memo at 10% loss: about two in three memos get through unretried
    assert 0.3 <= plain.summary["delivery_ratio"] < 1.0
    assert plain.summary["grams_retransmitted"] == 0
    assert safe.summary["delivery_ratio"] == 1.0
    assert safe.summary["grams_retransmitted"] > 0
    assert len(safe.rows) == 30 and len(safe.deliveries) == 30


def test_clean_link_delivers_all_after_the_link_delay():
    base = 0.02
    s = two_peers(
        "udp-clean",
        duration=2.0,
        link={"delay": {"base_s": base}},
        count=20,
        interval=0.05,
        size={"dist": "uniform", "min": 100, "max": 5000},
    )
    for doer in ("PeerMemoerDoer", "SafePeerMemoerDoer"):
        run = run_udp(s, doer, s.seed)
        assert run.summary["delivery_ratio"] == 1.0, run.summary
        assert run.network["total"]["dropped"] == {}
        lat = [row["latency_s"] for row in run.rows]
        # never before the link delay (10 ms of slack: latency is measured in
        # the Doist's tyme, which may lag the relay's wall clock a little),
        # and within a few passes of it on loopback
        assert min(lat) >= base - 0.01, lat
        assert sorted(lat)[len(lat) // 2] >= base
        assert run.summary["latency_s"]["p99"] < base + 0.1, run.summary
        assert 1.5 < run.summary["wall_s"] < 5.0
        relay_clean(run)


def test_partition_drops_during_its_window_and_safe_recovers():
    start, end = 0.5, 1.3
    s = two_peers(
        "udp-partition",
        duration=3.5,
        link={"delay": {"base_s": 0.005}},
        count=20,
        interval=0.1,
        size={"dist": "fixed", "bytes": 2000},
        partitions=[{"peers": ["alice"], "start_s": start, "end_s": end}],
    )
    run = run_udp(s, "SafePeerMemoerDoer", s.seed)
    dropped = run.network["links"]["alice->bob"]["dropped"]
    assert dropped.get("partition", 0) > 0 and set(dropped) == {"partition"}
    cut = [r for r in run.rows if start + 0.01 <= r["sent_s"] < end - 0.05]
    assert cut
    for row in cut:  # retried until the partition healed (slack: tyme may lag wall time)
        assert row["delivered_s"] != "" and row["delivered_s"] >= end - 0.05, row
    after = [r for r in run.rows if r["sent_s"] >= end + 0.01]
    assert after and all(r["delivered_s"] != "" for r in after)
    assert run.summary["delivery_ratio"] == 1.0
    relay_clean(run)


def test_sockets_closed_when_a_run_fails(monkeypatch):
    made: dict[str, list] = {"relays": [], "peers": []}

    class FailingRelay(Relay):
        def __init__(self, *pa, **kwa):
            super().__init__(*pa, **kwa)
            made["relays"].append(self)

        def service(self, now=None):
            if self.c["passes"] >= 3:
                raise RuntimeError("relay broke")
            return super().service(now)

    class CountedPeer(udprun.PeerMemoer):
        def __init__(self, **kwa):
            super().__init__(**kwa)
            made["peers"].append(self)

    monkeypatch.setattr(udprun, "Relay", FailingRelay)
    monkeypatch.setattr(udprun, "PeerMemoer", CountedPeer)
    s = two_peers(
        "udp-fail",
        duration=1.0,
        link={},
        count=2,
        interval=0.01,
        size={"dist": "fixed", "bytes": 100},
    )
    with pytest.raises(RuntimeError, match="relay broke"):
        run_udp(s, "SafePeerMemoerDoer", s.seed)
    (relay,) = made["relays"]
    assert not relay.opened and not relay.proxies and relay.proxies.selector is None
    assert len(made["peers"]) == 2
    assert all(not p.opened and p.ls is None for p in made["peers"])
