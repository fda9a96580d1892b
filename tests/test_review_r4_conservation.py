"""Review r4: conservation under random mixes of every impairment.

Seeded random networks of three hosts (every link impairment, default
specs, egress and ingress interfaces with jitter and keep_order, a
partition, receive buffers, unbound ports, an endpoint closing mid-run,
zero-length and oversized datagrams) checked against docs/network.md: each
datagram sent is delivered, dropped with a reason, or still in flight;
link, endpoint, interface and total counters agree with each other and with
the trace's event counts; a delivery is traced at the instant it lands,
after it was sent; the pcap holds one record per delivery."""

from __future__ import annotations

import io
import random
import struct
from typing import Any

import pytest
import simpy

from memosim.sim import GridEnvironment, Network, Trace, capture
from memosim.sim.impairments import LinkConfig
from memosim.sim.interfaces import build_interface

HOSTS = ("a", "b", "c")
FIELDS = ("sent", "delivered", "duplicated", "reordered", "corrupted", "bytes_sent")


def _spec(r: random.Random) -> dict[str, Any]:
    s: dict[str, Any] = {}
    if r.random() < 0.5:
        if r.random() < 0.5:
            s["loss"] = {"rate": r.random() * 0.5, "correlation": r.choice([0.0, r.random()])}
        else:
            s["loss"] = {"model": "gilbert_elliott", "p": r.random() * 0.3, "r": r.random()}
    if r.random() < 0.7:
        d: dict[str, Any] = {"base_s": r.choice([0.0, 0.001, 0.01, 0.05])}
        if r.random() < 0.6:
            d["jitter_s"] = r.choice([0.001, 0.02])
            dists = ["uniform", "normal"] + (["pareto", "lognormal"] if d["base_s"] else [])
            d["distribution"] = r.choice(dists)
            d["keep_order"] = r.random() < 0.5
        s["delay"] = d
        if r.random() < 0.3:
            s["reorder"] = {"rate": r.random(), "gap": r.randint(0, 4)}
    if r.random() < 0.3:
        s["duplicate"] = {"rate": r.random() * 0.5}
    if r.random() < 0.3:
        s["corrupt"] = {"rate": r.random() * 0.5, "deliver": r.random() < 0.5}
    if r.random() < 0.4:
        bps = r.choice([1e4, 1e5, 1e6])
        s["rate"] = {"bps": bps, "queue_limit": r.randint(1, 5), "overhead": r.randint(0, 40)}
    if r.random() < 0.2:
        s["mtu"] = r.choice([100, 600])
    if r.random() < 0.3:
        s["schedule"] = [{"at": 0.1, "state": "down"}, {"at": 0.2, "state": "up"}]
    return s


def _iface(r: random.Random) -> LinkConfig:
    s: dict[str, Any] = {"rate": {"bps": r.choice([1e4, 1e5, 1e6]), "queue_limit": r.randint(1, 5)}}
    if r.random() < 0.3:
        s["loss"] = {"rate": r.random() * 0.3}
    if r.random() < 0.5:
        s["delay"] = {"base_s": r.choice([0.0, 0.01])}
        if r.random() < 0.5:
            s["delay"].update(jitter_s=0.005, keep_order=r.random() < 0.5)
    return build_interface(s, "iface")


def _run(seed: int) -> None:
    r = random.Random(seed)
    env = GridEnvironment() if seed % 2 else simpy.Environment()
    net = Network(env, seed, trace=Trace(), default=_spec(r) if r.random() < 0.3 else None)
    for x in HOSTS:
        for y in HOSTS:
            if r.random() < 0.7:
                net.add_link(x, y, _spec(r))
    for x in HOSTS:
        for way in ("egress", "ingress"):
            if r.random() < 0.3:
                net.add_interface(x, way, _iface(r))
    if r.random() < 0.3:
        net.partition(["a"], 0.05, 0.15)
    eps = {x: net.endpoint((x, 1), rcvbuf=r.choice([None, None, 0, 500, 5000])) for x in HOSTS}
    pcap = io.BytesIO()
    writer = capture(net, pcap)
    landed: list[float] = []
    sent_at: dict[int, float] = {}

    def on_arrival(ep: Any) -> None:
        landed.append(env.now)
        data = ep.inbox[-1][0]
        if len(data) >= 4 and int.from_bytes(data[:4], "big") in sent_at:
            assert sent_at[int.from_bytes(data[:4], "big")] <= env.now
        if r.random() < 0.5:
            ep.drain()

    for ep in eps.values():
        ep.on_arrival = on_arrival

    def tx() -> Any:
        k = 0
        for _ in range(200):
            for _ in range(r.choice([1, 1, 3])):
                size = r.choice([0, 1, 50, 500, 1400, 70_000])
                data = k.to_bytes(4, "big") + bytes(size - 4) if size >= 4 else bytes(size)
                sent_at[k] = env.now
                k += 1
                net.send((r.choice(HOSTS), 1), (r.choice(HOSTS), r.choice([1, 1, 1, 2])), data)
            if r.random() < 0.01:
                eps["c"].close()
            yield env.timeout(r.choice([0.0, 0.001, 0.003]))

    env.process(tx())
    stop = 0.3 if seed % 3 == 0 else None  # some runs end with datagrams in flight
    env.run(until=stop)
    writer.close()

    c = net.counters()
    tot, links, endpoints = c["total"], c["links"], c["endpoints"]
    for f in FIELDS:
        assert tot[f] == sum(x[f] for x in links.values()) == sum(x[f] for x in endpoints.values())
    reasons = set(tot["dropped"])
    for reason in reasons:
        assert tot["dropped"][reason] == sum(
            e["dropped"].get(reason, 0) for e in endpoints.values()
        )
    drops = sum(tot["dropped"].values())
    assert tot["sent"] + tot["duplicated"] == tot["delivered"] + drops + net.in_flight
    if stop is None:
        assert net.in_flight == 0
        for x in links.values():
            assert x["sent"] + x["duplicated"] == x["delivered"] + sum(x["dropped"].values())
    assert sum(e["received"] for e in endpoints.values()) == tot["delivered"]
    ifaces = c.get("interfaces", {})
    for i in ifaces.values():
        assert i["sent"] == i["delivered"] + sum(i["dropped"].values())
    assert sum(i["dropped"].get("ifqueue", 0) for i in ifaces.values()) == tot["dropped"].get(
        "ifqueue", 0
    )
    assert net.trace is not None
    counts = net.trace.counts
    assert counts["send"] == tot["sent"] and counts["deliver"] == tot["delivered"]
    assert counts["drop"] == drops and counts["duplicate"] == tot["duplicated"]
    assert counts["reorder"] == tot["reordered"] and counts["corrupt"] == tot["corrupted"]
    traced = [e.time for e in net.trace.events if e.kind == "deliver"]
    assert len(traced) == len(landed)
    assert all(abs(t - now) < 1e-9 for t, now in zip(traced, landed))
    blob, off, records = pcap.getvalue(), 24, 0
    while off < len(blob):
        off += 16 + struct.unpack_from("<IIII", blob, off)[2]
        records += 1
    assert records == tot["delivered"]


@pytest.mark.parametrize("block", range(4))
def test_random_impairment_mixes_conserve_datagrams(block: int) -> None:
    for seed in range(block * 100, block * 100 + 100):
        _run(seed)
