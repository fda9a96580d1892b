"""Interfaces shared by links (memosim/sim/interfaces.py): a host's egress and
ingress queue every datagram from or to it, whatever link carries it."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import simpy

from memosim.errors import ScenarioError
from memosim.sim import Network, Trace
from memosim.sim.impairments import build_link_impairments
from memosim.testbed.backend import build_network
from memosim.testbed.scenario import parse_scenario

R = 1_000_000  # bits per second of the shared interface
SIZE = 1000  # payload bytes; 1028 on the wire with the 28 header bytes
WIRE_BITS = (SIZE + 28) * 8


def incast(
    *,
    senders: int = 2,
    load: float = 0.75,
    seconds: float = 4.0,
    ingress: dict[str, Any] | None = None,
    egress: dict[str, Any] | None = None,
    link: dict[str, Any] | None = None,
    seed: int = 1,
    trace: Trace | None = None,
) -> tuple[Network, list[tuple[float, str]]]:
    """`senders` hosts each send SIZE-byte datagrams to hub:9 at `load` x R
    (offset phases); returns the network and (arrival tyme, sender) pairs."""
    env = simpy.Environment()
    net = Network(env, seed, trace)
    spec = ingress if ingress is not None else {"rate": {"bps": R, "queue_limit": 20}}
    net.add_interface("hub", "ingress", build_link_impairments(spec, "ingress"))
    names = [f"s{i}" for i in range(senders)]
    for name in names:
        net.add_link(name, "hub", link or {"delay": {"base_s": 0.01}})
    if egress is not None:
        net.add_interface("s0", "egress", build_link_impairments(egress, "egress"))
    hub = net.endpoint(("hub", 9))
    got: list[tuple[float, str]] = []
    hub.on_arrival = lambda ep: got.extend((env.now, src[0]) for _, src in ep.drain())
    period = WIRE_BITS / (load * R)

    def tx(k: int, name: str) -> Any:
        ep = net.endpoint((name, 1))
        yield env.timeout(k * period / senders)  # phases spread over one period
        while env.now < seconds:
            ep.send(bytes(SIZE), ("hub", 9))
            yield env.timeout(period)

    for k, name in enumerate(names):
        env.process(tx(k, name))
    env.run()
    return net, got


def test_two_senders_share_the_ingress_and_never_exceed_its_rate() -> None:
    net, got = incast(senders=2, load=0.75)  # 1.5 R offered into R
    times = [t for t, _ in got]
    gap = WIRE_BITS / R  # one datagram's serialisation at R
    assert all(b - a >= gap - 1e-9 for a, b in zip(times, times[1:], strict=False))
    # over the busy part (after the first second), together R, each R/2 within 5%
    busy = [(t, s) for t, s in got if 1.0 <= t < 4.0]
    total = len(busy) * WIRE_BITS / 3.0
    assert total <= R * 1.001
    assert total >= R * 0.99
    for name in ("s0", "s1"):
        share = sum(1 for _, s in busy if s == name) * WIRE_BITS / 3.0
        assert abs(share - R / 2) <= 0.05 * R / 2, (name, share)
    c = net.counters()
    assert c["interfaces"]["hub:ingress"]["dropped"]["ifqueue"] > 0
    dropped = sum(c["links"][f"s{i}->hub"]["dropped"].get("ifqueue", 0) for i in range(2))
    assert dropped == c["interfaces"]["hub:ingress"]["dropped"]["ifqueue"]
    assert "ifqueue" in c["total"]["dropped"]


def test_below_the_ingress_rate_nothing_is_dropped_and_the_delay_is_added() -> None:
    spec = {"rate": {"bps": R, "queue_limit": 20}, "delay": {"base_s": 0.005}}
    net, got = incast(senders=2, load=0.3, ingress=spec)
    c = net.counters()["interfaces"]["hub:ingress"]
    assert c["dropped"] == {} and c["sent"] == c["delivered"] == len(got)
    # link 10 ms + serialisation 8.224 ms + ingress delay 5 ms for the first
    assert got[0][0] == pytest.approx(0.01 + WIRE_BITS / R + 0.005)


def test_an_egress_queues_what_a_host_sends_before_its_link() -> None:
    egress = {"rate": {"bps": R // 4, "queue_limit": 5}}
    roomy = {"rate": {"bps": 10 * R, "queue_limit": 1000}}
    net, got = incast(senders=2, load=0.5, egress=egress, ingress=roomy)
    c = net.counters()
    assert c["interfaces"]["s0:egress"]["dropped"]["ifqueue"] > 0
    s0 = [t for t, s in got if s == "s0"]
    s1 = [t for t, s in got if s == "s1"]
    assert len(s0) < 0.6 * len(s1)  # half of R offered, a quarter of R through the egress


def test_interface_loss_draws_from_its_own_stream_and_repeats() -> None:
    spec = {"rate": {"bps": 10 * R, "queue_limit": 100}, "loss": {"rate": 0.2}}
    runs = [incast(senders=2, load=0.3, ingress=spec, trace=Trace())[0] for _ in range(2)]
    a, b = (net.counters()["interfaces"]["hub:ingress"] for net in runs)
    assert a == b and 0 < a["dropped"]["loss"] < a["sent"]
    assert runs[0].trace is not None and runs[1].trace is not None
    assert runs[0].trace.digest() == runs[1].trace.digest()
    other = incast(senders=2, load=0.3, ingress=spec, seed=2)[0]
    assert other.counters()["interfaces"]["hub:ingress"] != a


def test_an_interface_needs_a_rate_and_takes_no_more_than_rate_loss_delay() -> None:
    net = Network(simpy.Environment(), 1)
    with pytest.raises(ValueError, match="needs a rate"):
        net.add_interface("a", "ingress", build_link_impairments({"loss": {"rate": 0.1}}))
    with pytest.raises(ValueError, match="takes only"):
        net.add_interface("a", "egress", build_link_impairments({"rate": {"bps": R}, "mtu": 1500}))
    net.add_interface("a", "egress", build_link_impairments({"rate": {"bps": R}}))
    with pytest.raises(ValueError, match="already exists"):
        net.add_interface("a", "egress", build_link_impairments({"rate": {"bps": R}}))


# ---- in a scenario: a peer's egress and ingress tables ------------------------

SCENARIO = """
[scenario]
duration_s = 5.0

[[peers]]
name = "hub"
port = 5001
ingress = { rate = { bps = 1_000_000, queue_limit = 20 }, delay = { base_s = 0.002 } }

[[peers]]
name = "a"
port = 5002
egress = { rate = { bps = 2_000_000, queue_limit = 10 }, loss = { rate = 0.01 } }

[[peers]]
name = "b"
port = 5003

[[workload]]
src = ["a", "b"]
dst = "hub"
count = 5
interval_s = 0.1
memo_size = { dist = "fixed", bytes = 1000 }
"""


def test_a_scenario_gives_peers_interfaces_and_the_network_builds_them() -> None:
    s = parse_scenario(tomllib.loads(SCENARIO), "x.toml")
    hub, a, b = s.peers
    assert hub.ingress is not None and hub.ingress.rate is not None
    assert hub.ingress.rate.bps == 1_000_000 and hub.egress is None
    assert a.egress is not None and a.egress.loss is not None and b.interfaces == {}
    doc = s.to_dict()
    assert doc["peers"][0]["ingress"]["rate"] == {"bps": 1_000_000, "queue_limit": 20}
    assert parse_scenario(doc, "x.toml") == s
    net = build_network(s, simpy.Environment(), 1, None)
    assert set(net.ingress) == {"hub"} and set(net.egress) == {"a"}
    overridden = s.with_override("peers.0.ingress.rate.bps", 500_000)
    assert overridden.peers[0].ingress is not None
    assert overridden.peers[0].ingress.rate.bps == 500_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "ingress = { loss = { rate = 0.1 } }",
            "peers[0].ingress.rate: expected a rate table { bps, queue_limit }",
        ),
        (
            "ingress = { rate = { bps = 1000 }, mtu = 1500 }",
            "peers[0].ingress.mtu: expected one of the keys rate, loss, delay",
        ),
        ("egress = 5", "peers[0].egress: expected a table of rate, loss, delay"),
        (
            "egress = { rate = { bps = -1 } }",
            "peers[0].egress.rate.bps",
        ),
    ],
)
def test_a_bad_interface_table_is_one_line_naming_its_key(table: str, message: str) -> None:
    text = SCENARIO.replace(
        "ingress = { rate = { bps = 1_000_000, queue_limit = 20 }, delay = { base_s = 0.002 } }",
        table,
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(tomllib.loads(text), "x.toml")
    said = str(info.value)
    assert "\n" not in said and message in said, said
