"""Review r4: the virtual network's timing against hand-computed times.

Serialisation times use a bit rate of 8192 bit/s (1/1024 s per byte), so
every expected instant is an exact binary fraction and comparisons are
exact; the expectations follow docs/network.md, not the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import simpy

from memosim.sim import Network, Streams, Trace
from memosim.sim.impairments import build_link_impairments

BPS = 8192.0
PER_BYTE = 8 / BPS  # 1/1024 s


def _net(spec: dict[str, Any], seed: int = 1) -> tuple[simpy.Environment, Network, list[Any]]:
    env = simpy.Environment()
    net = Network(env, seed, trace=Trace())
    net.add_link("a", "b", spec)
    b = net.endpoint(("b", 1))
    got: list[tuple[float, bytes]] = []
    b.on_arrival = lambda ep: got.extend((env.now, d) for d, _ in ep.drain())
    return env, net, got


def _send_at(env: simpy.Environment, net: Network, plan: Iterable[tuple[float, bytes]]) -> None:
    def tx() -> Any:
        for t, data in sorted(plan, key=lambda p: p[0]):
            if t > env.now:
                yield env.timeout(t - env.now)
            net.send(("a", 1), ("b", 1), data)

    env.process(tx())


def test_rate_queue_burst_of_mixed_sizes_with_tail_drop() -> None:
    """A burst at 0 of 100, 500, 1000, 200 and 50 bytes into a queue of 3:
    the first three are serialised back to back, the last two find 3 in
    the queue and are dropped; one sent at 0.75 s, once the first two left,
    waits behind the third."""
    spec = {"rate": {"bps": BPS, "queue_limit": 3}, "delay": {"base_s": 0.25}}
    env, net, got = _net(spec)
    sizes = [100, 500, 1000, 200, 50]
    plan = [(0.0, bytes([i]) * n) for i, n in enumerate(sizes)] + [(0.75, b"\x09" * 36)]
    _send_at(env, net, plan)
    env.run()
    ends = []
    busy = 0.0
    for n in (100, 500, 1000):
        busy += (n + 28) * PER_BYTE
        ends.append(busy)
    assert 0.0 < ends[1] <= 0.75 < ends[2]
    late_end = ends[2] + (36 + 28) * PER_BYTE
    want = [(e + 0.25, bytes([i]) * sizes[i]) for i, e in enumerate(ends)]
    want.append((late_end + 0.25, b"\x09" * 36))
    assert got == want
    c = net.counters()["links"]["a->b"]
    assert c["dropped"] == {"queue": 2} and c["delivered"] == 4


def test_a_datagram_finding_the_queue_just_emptied_is_taken() -> None:
    """queue_limit 1: the datagram being serialised counts; one sent the
    instant it is done is taken, one sent just before is dropped."""
    spec = {"rate": {"bps": BPS, "queue_limit": 1, "overhead": 0}}
    env, net, got = _net(spec)
    one = 64 * PER_BYTE  # 1/16 s
    _send_at(env, net, [(0.0, b"a" * 64), (one - 2**-20, b"b" * 64), (one, b"c" * 64)])
    env.run()
    assert got == [(one, b"a" * 64), (2 * one, b"c" * 64)]
    assert net.counters()["links"]["a->b"]["dropped"] == {"queue": 1}


def test_queue_limit_one_with_zero_length_datagrams_and_no_overhead() -> None:
    """Zero bytes on the wire serialise in no time: every one is taken."""
    spec = {"rate": {"bps": BPS, "queue_limit": 1, "overhead": 0}}
    env, net, got = _net(spec)
    _send_at(env, net, [(0.0, b"")] * 5)
    env.run()
    assert got == [(0.0, b"")] * 5


def test_egress_then_link_rate_two_stage_serialisation() -> None:
    """An egress at 2 x BPS feeds a link at BPS: each datagram leaves the
    egress after its own serialisation there, then queues at the link."""
    env = simpy.Environment()
    net = Network(env, 1)
    net.add_link("a", "b", {"rate": {"bps": BPS, "queue_limit": 100}})
    egress = {"rate": {"bps": 2 * BPS, "queue_limit": 100}, "delay": {"base_s": 0.125}}
    net.add_interface("a", "egress", build_link_impairments(egress, "egress"))
    b = net.endpoint(("b", 1))
    got: list[float] = []
    b.on_arrival = lambda ep: got.extend(env.now for _ in ep.drain())
    sizes = [100, 1000, 4]
    for n in sizes:
        net.send(("a", 1), ("b", 1), bytes(n))
    env.run()
    want, e_busy, l_busy = [], 0.0, 0.0
    for n in sizes:
        e_busy += (n + 28) * PER_BYTE / 2
        left = e_busy + 0.125
        l_busy = max(l_busy, left) + (n + 28) * PER_BYTE
        want.append(l_busy)
    assert got == want


def test_keep_order_holds_back_to_the_predecessor_only() -> None:
    spec = {"delay": {"base_s": 0.1, "jitter_s": 0.09, "keep_order": True}}
    env, net, got = _net(spec, seed=3)
    n = 200
    _send_at(env, net, [(i * 0.001, i.to_bytes(2, "big")) for i in range(n)])
    env.run()
    rnd = Streams(3).stream("link:a->b:delay").random
    held, want = 0.0, []
    for i in range(n):
        held = max(held, i * 0.001 + 0.01 + 0.18 * rnd())
        want.append(held)
    assert [int.from_bytes(d, "big") for _, d in got] == list(range(n))
    assert all(abs(t - w) < 1e-12 for (t, _), w in zip(got, want, strict=True))


def test_uniform_and_normal_delays_stay_in_bounds() -> None:
    for dist, lo, hi in (("uniform", 0.03, 0.07), ("normal", 0.0, float("inf"))):
        spec = {"delay": {"base_s": 0.05, "jitter_s": 0.02 if dist == "uniform" else 0.05}}
        spec["delay"]["distribution"] = dist
        env, net, got = _net(spec)
        _send_at(env, net, [(i * 0.01, i.to_bytes(2, "big")) for i in range(2000)])
        env.run()
        lat = [t - int.from_bytes(d, "big") * 0.01 for t, d in got]
        assert len(lat) == 2000
        assert min(lat) >= lo - 1e-12 and max(lat) < hi + 1e-12
        assert (min(lat) == 0.0) == (dist == "normal")  # normal is cut at 0


def test_reorder_rate_one_gap_three_skips_every_third_delay() -> None:
    spec = {"delay": {"base_s": 0.5}, "reorder": {"rate": 1.0, "gap": 3}}
    env, net, got = _net(spec)
    _send_at(env, net, [(i * 0.125, bytes([i])) for i in range(9)])
    env.run()
    want = sorted((i * 0.125 + (0.0 if i % 3 == 2 else 0.5), bytes([i])) for i in range(9))
    assert got == want
    assert net.counters()["links"]["a->b"]["reordered"] == 3


def test_windows_are_start_inclusive_end_exclusive() -> None:
    """A partition [1, 2) and a schedule down at 3, up at 4: sends at the
    start are dropped, at the end pass; the reverse link is untouched by
    the schedule."""
    spec = {"schedule": [{"at": 3.0, "state": "down"}, {"at": 4.0, "state": "up"}]}
    env, net, got = _net(spec)
    net.partition(["a"], 1.0, 2.0)
    times = [0.9921875, 1.0, 1.9921875, 2.0, 2.9921875, 3.0, 3.9921875, 4.0]
    _send_at(env, net, [(t, str(t).encode()) for t in times])
    env.run()
    assert [t for t, _ in got] == [0.9921875, 2.0, 2.9921875, 4.0]
    assert net.counters()["links"]["a->b"]["dropped"] == {"down": 2, "partition": 2}


def test_in_flight_when_a_window_opens_still_arrives() -> None:
    env, net, got = _net({"delay": {"base_s": 1.0}})
    net.partition(["b"], 0.5)
    _send_at(env, net, [(0.0, b"x"), (0.5, b"y")])
    env.run()
    assert got == [(1.0, b"x")]


def test_nothing_lands_before_it_was_sent_even_at_zero_delay() -> None:
    """Zero delay still delivers after send returns, at the send instant."""
    env, net, got = _net({"delay": {"base_s": 0.0}})
    net.send(("a", 1), ("b", 1), b"z")
    assert got == []
    env.run()
    assert got == [(0.0, b"z")]
