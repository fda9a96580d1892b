"""The virtual network: each impairment on a link, windows, counters,
determinism. A flow sends numbered grams a -> b and records arrivals."""

import json
import math
import statistics

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from memosim.errors import ScenarioError
from memosim.sim import AddressInUse, Network, Trace

A, B = ("a", 1), ("b", 2)


def gram(i: int, size: int = 100) -> bytes:
    return i.to_bytes(4, "big") + bytes(size - 4)


def flow(spec=None, *, n=100, interval=0.01, size=100, seed=1, trace=None, sizes=None):
    """Send n grams a:1 -> b:2, one per interval (all at 0 when interval is
    0). Returns (network, [(arrival time, gram number, payload), ...])."""
    env = simpy.Environment()
    net = Network(env, seed, trace)
    if spec is not None:
        net.add_link("a", "b", spec)
    a, b = net.endpoint(A), net.endpoint(B)
    got = []
    b.on_arrival = lambda ep: got.extend(
        (env.now, int.from_bytes(d[:4], "big"), d) for d, _ in ep.drain()
    )

    def tx():
        for i in range(n):
            a.send(gram(i, sizes[i] if sizes else size), B)
            if interval:
                yield env.timeout(interval)
        yield env.timeout(0)

    env.process(tx())
    env.run()
    return net, got


def link_counters(net, name="a->b"):
    return net.counters()["links"][name]


# ------------------------------------------------------------------ clean


def test_default_link_is_clean_and_instant_in_send_order():
    net, got = flow(n=50, interval=0)
    assert [i for _, i, _ in got] == list(range(50))
    assert all(t == 0 for t, _, _ in got)
    c = link_counters(net)
    assert c["sent"] == c["delivered"] == 50
    assert c["bytes_sent"] == c["bytes_delivered"] == 5000
    assert c["dropped"] == {}


def test_delivery_is_a_later_event_never_inside_send():
    env = simpy.Environment()
    net = Network(env, 0)
    a, b = net.endpoint(A), net.endpoint(B)
    a.send(b"x", B)
    assert b.receive() == (b"", None) and net.in_flight == 1
    env.run()
    assert b.receive() == (b"x", A) and net.in_flight == 0


def test_constant_delay():
    net, got = flow({"delay": {"base_s": 0.25}}, n=10, interval=0.1)
    assert [t for t, _, _ in got] == pytest.approx([0.25 + 0.1 * i for i in range(10)])
    assert [i for _, i, _ in got] == list(range(10))


def test_configurable_default_link():
    env = simpy.Environment()
    net = Network(env, 0, default={"delay": {"base_s": 0.5}})
    net.add_link("a", "b")  # explicit clean link beats the default
    a, b, c = net.endpoint(A), net.endpoint(B), net.endpoint(("c", 3))
    times = {}
    b.on_arrival = c.on_arrival = lambda ep: times.setdefault(ep.ha[0], env.now)
    a.send(b"1", B)
    a.send(b"2", ("c", 3))
    env.run()
    assert times == {"b": 0.0, "c": 0.5}
    with pytest.raises(ScenarioError, match=r"^default\.delay\.base_s"):
        Network(env, 0, default={"delay": {"base_s": "slow"}})


def test_add_link_twice_and_keywords():
    net = Network(simpy.Environment(), 0)
    link = net.add_link("a", "b", {"delay": {"base_s": 0.1}}, loss={"rate": 0.5})
    assert link.config.delay.base_s == 0.1 and link.config.loss.rate == 0.5
    with pytest.raises(ValueError, match="already exists"):
        net.add_link("a", "b")
    with pytest.raises(ScenarioError, match=r"^links\[3\]\.mtu"):
        net.add_link("b", "a", mtu=1, path="links[3]")


# ------------------------------------------------------------------- loss


def test_loss_exact_count_with_fixed_seed():
    net, got = flow({"loss": {"rate": 0.1}}, n=1000, interval=0.001)
    c = link_counters(net)
    assert c["dropped"] == {"loss": LOSS_SEED1}
    assert c["delivered"] == len(got) == 1000 - LOSS_SEED1


LOSS_SEED1 = 97


def test_loss_rate_statistics():
    net, got = flow({"loss": {"rate": 0.2}}, n=10_000, interval=0)
    assert abs(link_counters(net)["dropped"]["loss"] / 10_000 - 0.2) < 0.015


def test_loss_draws_do_not_shift_when_other_impairments_are_added():
    _, plain = flow({"loss": {"rate": 0.3}}, n=300, interval=0.01)
    _, busy = flow(
        {
            "loss": {"rate": 0.3},
            "corrupt": {"rate": 0.0},
            "delay": {"base_s": 0.01, "jitter_s": 0.001},
        },
        n=300,
        interval=0.01,
    )
    assert {i for _, i, _ in plain} == {i for _, i, _ in busy}


def mean_loss_burst(net_got, n):
    arrived = {i for _, i, _ in net_got}
    marks = "".join("." if i in arrived else "x" for i in range(n))
    bursts = [len(b) for b in marks.split(".") if b]
    return len(bursts) and statistics.mean(bursts), n - len(arrived)


def test_gilbert_elliott_is_burstier_than_bernoulli():
    n = 20_000
    ge_spec = {"loss": {"model": "gilbert_elliott", "p": 0.02, "r": 0.2}}
    _, ge = flow(ge_spec, n=n, interval=0)
    ge_burst, ge_lost = mean_loss_burst(ge, n)
    rate = ge_lost / n
    _, bern = flow({"loss": {"rate": rate}}, n=n, interval=0)
    bern_burst, bern_lost = mean_loss_burst(bern, n)
    assert abs(rate - 0.02 / 0.22) < 0.02
    assert abs(bern_lost - ge_lost) < 0.1 * ge_lost  # same mean loss
    assert 4 < ge_burst < 6  # 1 / r = 5
    assert bern_burst < 1.2 and ge_burst > 3 * bern_burst


# ------------------------------------------------------ jitter and ordering


def test_jitter_reorders_unless_keep_order():
    spec = {"delay": {"base_s": 0.1, "jitter_s": 0.05, "distribution": "uniform"}}
    _, got = flow(spec, n=200, interval=0.005)
    order = [i for _, i, _ in got]
    assert sorted(order) == list(range(200)) and order != sorted(order)
    assert all(0.05 - 1e-12 <= t - 0.005 * i <= 0.15 + 1e-12 for t, i, _ in got)

    spec["delay"]["keep_order"] = True
    _, got = flow(spec, n=200, interval=0.005)
    assert [i for _, i, _ in got] == list(range(200))
    times = [t for t, _, _ in got]
    assert times == sorted(times)


def test_reorder_gap_sends_every_nth_at_once():
    spec = {"delay": {"base_s": 1.0}, "reorder": {"rate": 1.0, "gap": 3}}
    net, got = flow(spec, n=9, interval=0.01)
    early = [(round(t, 6), i) for t, i, _ in got if t < 1]
    assert early == [(0.02, 2), (0.05, 5), (0.08, 8)]
    assert [i for t, i, _ in got if t >= 1] == [0, 1, 3, 4, 6, 7]
    assert link_counters(net)["reordered"] == 3


def test_reorder_rate_statistics():
    spec = {"delay": {"base_s": 0.1}, "reorder": {"rate": 0.25}}
    net, got = flow(spec, n=4000, interval=0)
    assert abs(link_counters(net)["reordered"] / 4000 - 0.25) < 0.03
    assert sum(t == 0 for t, _, _ in got) == link_counters(net)["reordered"]


def test_equal_time_arrivals_keep_a_fixed_order():
    def run():
        env = simpy.Environment()
        net = Network(env, 9, default={"delay": {"base_s": 0.1}})
        net.add_link("c", "b", delay={"base_s": 0.2})
        eps = {h: net.endpoint((h, 1)) for h in "abc"}
        got = []
        eps["b"].on_arrival = lambda ep: got.extend(d for d, _ in ep.drain())

        def sender(h, offset):
            yield env.timeout(offset)
            for k in range(3):
                eps[h].send(f"{h}{k}".encode(), ("b", 1))

        env.process(sender("c", 0.0))
        env.process(sender("a", 0.1))
        env.run()
        return got

    first = run()
    assert first == run()
    assert first == [b"c0", b"c1", b"c2", b"a0", b"a1", b"a2"]


def test_zero_delay_replies_within_one_instant_terminate():
    env = simpy.Environment()
    net = Network(env, 0)
    a, b = net.endpoint(A), net.endpoint(B)
    log = []

    def bounce(ep):
        data, src = ep.receive()
        log.append((env.now, ep.ha[0], data))
        if data[0] < 10:
            ep.send(bytes([data[0] + 1]), src)

    a.on_arrival = b.on_arrival = bounce
    a.send(b"\x00", B)
    env.run()
    assert [x[2][0] for x in log] == list(range(11))
    assert all(t == 0 for t, _, _ in log)


# ----------------------------------------------------- duplicate, corrupt


def test_duplicate():
    net, got = flow({"duplicate": {"rate": 0.1}}, n=1000, interval=0.001)
    c = link_counters(net)
    assert c["duplicated"] == DUP_SEED1
    assert c["delivered"] == len(got) == 1000 + DUP_SEED1
    counts = {}
    for _, i, _ in got:
        counts[i] = counts.get(i, 0) + 1
    assert set(counts.values()) == {1, 2} and sum(v == 2 for v in counts.values()) == DUP_SEED1


DUP_SEED1 = 101


def test_corrupt_dropped_like_a_checksum_would():
    net, got = flow({"corrupt": {"rate": 0.05}}, n=2000, interval=0)
    c = link_counters(net)
    assert c["corrupted"] == c["dropped"]["corrupt"] == 2000 - len(got)
    assert abs(c["corrupted"] / 2000 - 0.05) < 0.015
    assert all(d == gram(i) for _, i, d in got)


def test_corrupt_deliver_flips_one_bit():
    net, got = flow({"corrupt": {"rate": 0.05, "deliver": True}}, n=2000, interval=0.001)
    c = link_counters(net)
    assert len(got) == 2000 and "corrupt" not in c["dropped"]
    # arrivals keep send order here, so arrival k is gram k, maybe flipped
    flipped = [(d, gram(k)) for k, (_, _, d) in enumerate(got) if d != gram(k)]
    assert len(flipped) == c["corrupted"] == CORRUPT_SEED1
    for d, sent in flipped:
        assert len(d) == len(sent)
        assert sum(bin(x ^ y).count("1") for x, y in zip(d, sent)) == 1


CORRUPT_SEED1 = 97


# ------------------------------------------------------ rate, mtu, windows


def test_rate_serialisation_delay():
    # 972 payload + 28 header bytes = 8000 bits = 1 s at 8000 bit/s
    spec = {"rate": {"bps": 8000, "queue_limit": 10}, "delay": {"base_s": 0.5}}
    _, got = flow(spec, n=4, interval=0, size=972)
    assert [t for t, _, _ in got] == pytest.approx([1.5, 2.5, 3.5, 4.5])
    _, got = flow(spec, n=3, interval=2.0, size=972)  # never queued
    assert [t for t, _, _ in got] == pytest.approx([1.5, 3.5, 5.5])
    _, got = flow({"rate": {"bps": 8000, "overhead": 0}}, n=1, size=1000)
    assert got[0][0] == pytest.approx(1.0)


def test_rate_tail_drop():
    spec = {"rate": {"bps": 8000, "queue_limit": 3}}
    net, got = flow(spec, n=10, interval=0, size=972)
    assert [i for _, i, _ in got] == [0, 1, 2]
    assert link_counters(net)["dropped"] == {"queue": 7}
    # one gram each 0.6 s: the queue grows by 0.4 s a gram and fills up
    net, got = flow(spec, n=12, interval=0.6, size=972)
    c = link_counters(net)
    assert c["delivered"] + c["dropped"]["queue"] == 12 and c["dropped"]["queue"] > 0
    assert [t for t, _, _ in got][:3] == pytest.approx([1.0, 2.0, 3.0])


def test_mtu_counts_ip_and_udp_headers():
    sizes = [1472, 1473, 100, 1500, 1472]
    net, got = flow({"mtu": 1500}, n=5, interval=0, sizes=sizes)
    assert [i for _, i, _ in got] == [0, 2, 4]
    assert link_counters(net)["dropped"] == {"mtu": 2}


def test_schedule_drops_exactly_in_down_window():
    spec = {"schedule": [{"at": 1.0, "state": "down"}, {"at": 2.0, "state": "up"}]}
    env = simpy.Environment()
    net = Network(env, 0)
    net.add_link("a", "b", spec)
    a, b = net.endpoint(A), net.endpoint(B)
    sent_at = {}

    def tx():
        for i in range(30):
            sent_at[i] = env.now
            a.send(gram(i), B)
            yield env.timeout(0.125)  # exact in binary: no rounding at the edges

    env.process(tx())
    env.run()
    arrived = {int.from_bytes(d[:4], "big") for d, _ in b.drain()}
    dropped = {i for i, t in sent_at.items() if 1.0 <= t < 2.0}
    assert dropped == set(range(8, 16))
    assert arrived == set(range(30)) - dropped
    assert link_counters(net)["dropped"] == {"down": 8}
    # the other direction is a separate link
    assert net.link("b", "a").blackouts == []


def test_partition_cuts_both_directions_only_across_the_cut():
    env = simpy.Environment()
    net = Network(env, 0, default={"delay": {"base_s": 0.01}})
    net.add_link("a", "c", delay={"base_s": 0.01})  # made before the partition
    net.partition({"a", "b"}, start=1.0, end=2.0)
    eps = {h: net.endpoint((h, 1)) for h in "abc"}

    def tx():
        for _ in range(24):
            for s, d in [("a", "c"), ("c", "a"), ("a", "b"), ("c", "b")]:
                eps[s].send(s.encode() + d.encode(), (d, 1))
            yield env.timeout(0.125)

    env.process(tx())
    env.run()
    c = net.counters()["links"]
    for name in ("a->c", "c->a", "c->b"):
        assert c[name]["sent"] == 24
        assert c[name]["dropped"] == {"partition": 8}, name
    assert c["a->b"]["dropped"] == {} and c["a->b"]["delivered"] == 24
    with pytest.raises(ValueError):
        net.partition({"a"}, start=2.0, end=1.0)


def test_in_flight_datagrams_survive_a_window_that_opens_later():
    env = simpy.Environment()
    net = Network(env, 0)
    net.add_link("a", "b", delay={"base_s": 1.0})
    net.partition({"a"}, start=0.5, end=3.0)
    a, b = net.endpoint(A), net.endpoint(B)
    a.send(b"early", B)
    env.run(until=0.75)
    a.send(b"cut", B)
    env.run()
    assert b.drain() == [(b"early", A)]


# ------------------------------------------------- arrival-side outcomes


def test_unreachable_and_closed_endpoints():
    env = simpy.Environment()
    net = Network(env, 0)
    a, b = net.endpoint(A), net.endpoint(B)
    a.send(b"to nobody", ("b", 99))
    a.send(b"to b", B)
    b.close()
    env.run()
    assert net.counters()["endpoints"]["a:1"]["dropped"] == {"unreachable": 2}
    assert b.send(b"x", A) == 0
    with pytest.raises(AddressInUse):
        net.endpoint(A)
    net.endpoint(B)  # free again after close


def test_receive_buffer_limit():
    env = simpy.Environment()
    net = Network(env, 0)
    a, b = net.endpoint(A), net.endpoint(B, rcvbuf=200)
    for _ in range(4):
        a.send(bytes(80), B)
    env.run()
    assert len(b.inbox) == 2
    assert net.counters()["links"]["a->b"]["dropped"] == {"rcvbuf": 2}
    b.receive()
    a.send(bytes(80), B)
    env.run()
    assert len(b.inbox) == 2


# ------------------------------------------------------------- counters


def test_counters_are_plain_data_and_add_up():
    spec = {
        "loss": {"rate": 0.1},
        "duplicate": {"rate": 0.1},
        "corrupt": {"rate": 0.05},
        "delay": {"base_s": 0.01, "jitter_s": 0.01},
        "reorder": {"rate": 0.1},
        "rate": {"bps": 2_000_000, "queue_limit": 5},
    }
    net, got = flow(spec, n=3000, interval=0.0002)
    c = net.counters()
    assert json.loads(json.dumps(c)) == c
    link = c["links"]["a->b"]
    assert c["total"] == link
    sender, receiver = c["endpoints"]["a:1"], c["endpoints"]["b:2"]
    assert link["sent"] == sender["sent"] == 3000
    assert link["delivered"] == sender["delivered"] == receiver["received"] == len(got)
    assert receiver["bytes_received"] == sum(len(d) for _, _, d in got)
    dropped = sum(link["dropped"].values())
    assert link["sent"] + link["duplicated"] == link["delivered"] + dropped
    assert set(link["dropped"]) == {"loss", "corrupt", "queue"}
    assert min(link["duplicated"], link["reordered"], link["corrupted"]) > 0


# ---------------------------------------------------------- determinism


BUSY = {
    "loss": {"model": "gilbert_elliott", "p": 0.05, "r": 0.3},
    "duplicate": {"rate": 0.05},
    "corrupt": {"rate": 0.02, "deliver": True},
    "delay": {"base_s": 0.02, "jitter_s": 0.01, "distribution": "pareto"},
    "reorder": {"rate": 0.05, "gap": 2},
    "rate": {"bps": 1_000_000, "queue_limit": 8},
}


def digest_of(seed, spec=BUSY, keep=False):
    trace = Trace(keep=keep)
    flow(spec, n=500, interval=0.0005, seed=seed, trace=trace)
    return trace


def test_same_seed_same_digest_different_seed_different_digest():
    one, two = digest_of(11, keep=True), digest_of(11, keep=True)
    assert one.digest() == two.digest() and one.diff(two) is None
    assert digest_of(11).digest() == one.digest()  # keep=False agrees
    other = digest_of(12, keep=True)
    assert other.digest() != one.digest()
    assert other.diff(one).startswith("event ")


def test_partition_validation_and_infinite_end():
    env = simpy.Environment()
    net = Network(env, 0)
    net.partition(["x"], start=0.0)
    x, y = net.endpoint(("x", 1)), net.endpoint(("y", 1))
    x.send(b"1", y.ha)
    env.run()
    assert net.counters()["links"]["x->y"]["dropped"] == {"partition": 1}
    assert math.isinf(net.partitions[0][2])


# ------------------------------------------------------------- property

rates = st.floats(0, 1)


@st.composite
def link_specs(draw):
    spec = {}
    if draw(st.booleans()):
        spec["loss"] = {"rate": draw(rates), "correlation": draw(rates)}
    if draw(st.booleans()):
        dist = draw(st.sampled_from(["uniform", "normal", "pareto", "lognormal"]))
        spec["delay"] = {
            "base_s": draw(st.floats(0.001, 0.1)),
            "jitter_s": draw(st.floats(0, 0.05)),
            "distribution": dist,
            "keep_order": draw(st.booleans()),
        }
        if draw(st.booleans()):
            spec["reorder"] = {"rate": draw(rates), "gap": draw(st.integers(0, 4))}
    if draw(st.booleans()):
        spec["duplicate"] = {"rate": draw(rates)}
    if draw(st.booleans()):
        spec["corrupt"] = {"rate": draw(rates), "deliver": draw(st.booleans())}
    if draw(st.booleans()):
        spec["rate"] = {"bps": draw(st.floats(1e4, 1e7)), "queue_limit": draw(st.integers(1, 20))}
    if draw(st.booleans()):
        spec["mtu"] = draw(st.integers(29, 200))
    return spec


@settings(max_examples=60, deadline=None)
@given(spec=link_specs(), seed=st.integers(0, 2**32), interval=st.sampled_from([0, 0.0001, 0.01]))
def test_every_datagram_is_accounted_for(spec, seed, interval):
    sizes = [1 + (7 * i) % 150 for i in range(60)]
    sizes = [max(s, 4) for s in sizes]
    net, got = flow(spec, n=60, interval=interval, seed=seed, sizes=sizes)
    c = link_counters(net)
    assert net.in_flight == 0
    assert c["sent"] + c["duplicated"] == c["delivered"] + sum(c["dropped"].values())
    assert c["delivered"] == len(got)
    times = [t for t, _, _ in got]
    assert times == sorted(times)  # inboxes fill in time order
    keep = spec.get("delay", {}).get("keep_order") and "reorder" not in spec
    if keep or ("delay" not in spec or not spec["delay"]["jitter_s"]) and "reorder" not in spec:
        order = [i for _, i, _ in got]
        if not spec.get("corrupt", {}).get("deliver"):
            assert order == sorted(order)  # FIFO links never reorder
