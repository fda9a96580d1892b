"""Review r4: an interface's delay with jitter, and its keep_order.

docs/network.md: an interface's `delay` has the link models' meaning (jitter
spreads it, `keep_order` stops overtaking), and the link takes a datagram
when it leaves the egress. The expectations here are computed by hand from
the documented uniform delay and the named stream
`iface:{host}:{egress|ingress}:delay`.
"""

from __future__ import annotations

from typing import Any

import pytest
import simpy

from memosim.sim import Network, Streams, Trace
from memosim.sim.impairments import build_link_impairments

SEED = 5
BASE, JIT = 0.05, 0.04  # uniform delay in [0.01, 0.09)
FAST = 1e12  # bits per second: serialisation far below a nanosecond


def _run(
    *,
    egress: dict[str, Any] | None = None,
    ingress: dict[str, Any] | None = None,
    link: dict[str, Any] | None = None,
    n: int = 40,
    gap: float = 0.002,
) -> tuple[Network, list[tuple[float, int]]]:
    """a sends n numbered 10-byte datagrams to b:1, one every `gap` seconds;
    returns the network and (landing instant, number) in landing order."""
    env = simpy.Environment()
    net = Network(env, SEED, trace=Trace())
    net.add_link("a", "b", link or {"delay": {"base_s": 0.01}})
    if egress is not None:
        net.add_interface("a", "egress", build_link_impairments(egress, "egress"))
    if ingress is not None:
        net.add_interface("b", "ingress", build_link_impairments(ingress, "ingress"))
    b = net.endpoint(("b", 1))
    got: list[tuple[float, int]] = []
    b.on_arrival = lambda ep: got.extend((env.now, d[0]) for d, _ in ep.drain())

    def tx() -> Any:
        for i in range(n):
            net.send(("a", 1), ("b", 1), bytes([i]) * 10)
            yield env.timeout(gap)

    env.process(tx())
    env.run()
    return net, got


def _uniform_delays(name: str, n: int) -> list[float]:
    rnd = Streams(SEED).stream(name).random
    return [BASE - JIT + 2 * JIT * rnd() for _ in range(n)]


def _jittered(keep_order: bool = False) -> dict[str, Any]:
    delay = {"base_s": BASE, "jitter_s": JIT, "keep_order": keep_order}
    return {"rate": {"bps": FAST, "queue_limit": 1000}, "delay": delay}


def test_jittered_egress_delivers_each_datagram_at_its_own_time() -> None:
    """Each datagram lands at send + its egress delay + the link's 10 ms,
    not held behind an earlier datagram with a longer draw, and the trace
    dates each deliver at the instant it landed."""
    n, gap = 40, 0.002
    net, got = _run(egress=_jittered(), n=n, gap=gap)
    delays = _uniform_delays("iface:a:egress:delay", n)
    want = sorted((i * gap + delays[i] + 0.01, i) for i in range(n))
    assert [i for _, i in got] == [i for _, i in want]
    for (t, _), (w, _) in zip(got, want, strict=True):
        assert abs(t - w) < 1e-9
    assert net.trace is not None
    traced = [e.time for e in net.trace.events if e.kind == "deliver"]
    assert traced == [t for t, _ in got]


def test_jittered_egress_feeds_the_link_queue_in_leaving_order() -> None:
    """The link's rate queue serves datagrams in the order they leave the
    egress: a FIFO at 80 kbit/s (1 ms per 10 + 0 byte datagram) from each
    leave instant, then the link's 10 ms."""
    n, gap = 40, 0.002
    link = {"rate": {"bps": 80_000, "overhead": 0, "queue_limit": 1000}, "delay": {"base_s": 0.01}}
    _net, got = _run(egress=_jittered(), link=link, n=n, gap=gap)
    delays = _uniform_delays("iface:a:egress:delay", n)
    leaves = sorted((i * gap + delays[i], i) for i in range(n))
    want, busy = [], 0.0
    for leave, i in leaves:
        busy = max(busy, leave) + 10 * 8 / 80_000
        want.append((busy + 0.01, i))
    assert [i for _, i in got] == [i for _, i in want]
    for (t, _), (w, _) in zip(got, want, strict=True):
        assert abs(t - w) < 1e-9


@pytest.mark.parametrize("side", ["egress", "ingress"])
def test_keep_order_never_reorders(side: str) -> None:
    """Held back to its predecessor's leave tyme, no later: the egress
    before the link's 10 ms, the ingress after it."""
    n, gap = 40, 0.002
    _net, got = _run(**{side: _jittered(keep_order=True)}, n=n, gap=gap)
    assert [i for _, i in got] == list(range(n))
    host = "a" if side == "egress" else "b"
    delays = _uniform_delays(f"iface:{host}:{side}:delay", n)
    held = -1.0
    for t, i in got:
        held = max(held, i * gap + delays[i] + (0.0 if side == "egress" else 0.01))
        assert abs(t - (held + (0.01 if side == "egress" else 0.0))) < 1e-9


def test_jittered_ingress_may_reorder() -> None:
    """Without keep_order the ingress's jitter reorders, as a link's does."""
    n, gap = 40, 0.002
    _net, got = _run(ingress=_jittered(), n=n, gap=gap)
    delays = _uniform_delays("iface:b:ingress:delay", n)
    want = sorted((i * gap + 0.01 + delays[i], i) for i in range(n))
    assert [i for _, i in got] == [i for _, i in want] != list(range(n))


def test_in_flight_counts_datagrams_waiting_in_a_jittered_egress() -> None:
    env = simpy.Environment()
    net = Network(env, SEED)
    net.add_interface("a", "egress", build_link_impairments(_jittered(), "egress"))
    net.endpoint(("b", 1))
    for _ in range(5):
        net.send(("a", 1), ("b", 1), b"x")
    assert net.in_flight == 5
    env.run(until=0.005)  # before the earliest possible leave (10 ms)
    assert net.in_flight == 5
    env.run()
    assert net.in_flight == 0
    assert net.counters()["total"]["delivered"] == 5
