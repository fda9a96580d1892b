"""SimPeer: the UDP-peer-shaped transport mixin, and arrival wake-ups."""

import pytest
import simpy

from memosim.sim import AddressInUse, Network, SimPeer


class Base:
    """Stands in for Memoer: takes its own keywords, cooperatively."""

    def __init__(self, *, flavour="plain", **kwa):
        super().__init__(**kwa)
        self.flavour = flavour

    def send(self, data, dst, **kwa):  # the echo mock SimPeer must replace
        raise AssertionError("Base.send called")


class SimPeerBase(SimPeer, Base):
    pass


def make(seed=0, **kw):
    env = simpy.Environment()
    return env, Network(env, seed, **kw)


def test_peer_shape_and_mixin_order():
    env, net = make()
    p = SimPeerBase(network=net, host="alice", port=5000, name="alpha", flavour="salty", bc=4)
    assert (p.ha, p.host, p.port, p.path, p.name) == (
        ("alice", 5000),
        "alice",
        5000,
        ("alice", 5000),
        "alpha",
    )
    # as on the UDP Peer: with bc, bs is the whole buffer, MaxGramSize * bc
    assert (p.bc, p.bs, p.flavour, p.opened) == (4, 4 * SimPeer.BufSize, "salty", False)
    assert p.send(b"x", ("bob", 1)) == 0  # not open: nothing sent
    assert p.receive() == (b"", None)
    assert p.open() is True and p.opened
    assert p.open() is True  # idempotent
    assert net.endpoints[("alice", 5000)].limit == 4 * SimPeer.BufSize
    p.host, p.port = "bob", 6000
    assert p.ha == ("bob", 6000)


def test_buffer_sizes_follow_the_udp_peer():
    env, net = make()

    class Small(SimPeer):
        MaxGramSize = 100

    assert Small(network=net, bc=3).bs == 300
    assert Small(network=net, bs=5000).bs == 5000
    assert Small(network=net, bc=0).bc is None
    p = Small(network=net, host="b", port=2, bc=2, reopen=True)
    assert p.opened and net.endpoints[("b", 2)].limit == 200
    p.reopen(bc=None, bs=999)
    assert (p.bc, p.bs, net.endpoints[("b", 2)].limit) == (None, 999, None)


def test_ha_wins_over_host_and_port():
    env, net = make()
    p = SimPeer(network=net, ha=["h", 7], host="other", port=9)
    assert p.ha == ("h", 7)


def test_port_zero_allocates_deterministically():
    env, net = make()
    peers = [SimPeer(network=net, host="h") for _ in range(3)]
    for p in peers:
        p.open()
    assert [p.port for p in peers] == [49152, 49153, 49154]
    other = SimPeer(network=net, host="g")
    other.open()
    assert other.port == 49152  # ports are per host
    peers[0].close()
    again = SimPeer(network=net, host="h")
    again.open()
    assert again.port == 49155  # no reuse until the range wraps


def test_mutable_buffers_are_copied_on_send():
    env, net = make()
    a, b = net.endpoint(("a", 1)), net.endpoint(("b", 2))
    buf = bytearray(b"abcdef")
    a.send(buf, b.ha)
    del buf[:3]  # hio trims its txbs in place after a send
    env.run()
    data, _ = b.receive()
    assert data == b"abcdef" and type(data) is bytes


def test_send_receive_close_reopen():
    env, net = make(default={"delay": {"base_s": 0.1}})
    a = SimPeer(network=net, host="a", port=1)
    b = SimPeer(network=net, host="b", port=2)
    a.open()
    b.open()
    assert a.send(b"hello", b.ha) == 5
    assert a.send(b"there", list(b.ha)) == 5  # a list address works too
    env.run()
    assert b.receive() == (b"hello", ("a", 1))
    assert b.receive() == (b"there", ("a", 1))
    assert b.receive() == (b"", None)

    a.send(b"lost on close", b.ha)
    b.close()
    assert not b.opened and b.receive() == (b"", None)
    env.run()
    assert net.counters()["endpoints"]["a:1"]["dropped"] == {"unreachable": 1}

    assert b.reopen(port=3) is True and b.ha == ("b", 3)
    a.send(b"again", b.ha)
    env.run()
    assert b.receive() == (b"again", ("a", 1))
    assert b.reopen() and b.ha == ("b", 3)


def test_open_on_a_bound_address_fails():
    env, net = make()
    assert SimPeer(network=net, host="a", port=1).open()
    late = SimPeer(network=net, host="a", port=1)
    assert late.open() is False and not late.opened  # as a failed bind
    with pytest.raises(AddressInUse):
        net.endpoint(("a", 1))
    with pytest.raises(ValueError):
        SimPeer(network=net, host="a", port=70000).open()


def test_arrival_event_wakes_a_process_at_the_arrival_time():
    env, net = make(default={"delay": {"base_s": 0.25}})
    a = SimPeer(network=net, host="a", port=1)
    b = SimPeer(network=net, host="b", port=2)
    a.open()
    b.open()
    woke = []

    def receiver():
        while len(woke) < 3:
            yield b.arrival
            while True:
                data, src = b.receive()
                if not data:
                    break
                woke.append((env.now, data))

    def sender():
        yield env.timeout(1.0)
        a.send(b"1", b.ha)
        a.send(b"2", b.ha)
        yield env.timeout(1.0)
        a.send(b"3", b.ha)

    env.process(receiver())
    env.process(sender())
    env.run()
    assert woke == [(1.25, b"1"), (1.25, b"2"), (2.25, b"3")]


def test_arrival_event_is_ready_when_inbox_has_data():
    env, net = make()
    ep = net.endpoint(("b", 2))
    net.send(("x", 9), ("b", 2), b"spoofed")  # no endpoint needed to send
    env.run()
    ev = ep.arrival
    assert ev.triggered
    pending = ep.arrival
    assert pending.triggered  # still data waiting
    ep.receive()
    assert not ep.arrival.triggered
    assert ep.arrival is ep.arrival  # one pending event until it fires


def test_arrival_or_timeout():
    env, net = make()
    ep = net.endpoint(("b", 2))
    seen = []

    def waiter():
        result = yield ep.arrival | env.timeout(5.0)
        seen.append((env.now, ep.arrival.triggered if result else None))

    env.process(waiter())
    env.run()
    assert seen == [(5.0, False)]


def test_on_arrival_callback_survives_reopen():
    env, net = make()
    a = SimPeer(network=net, host="a", port=1)
    b = SimPeer(network=net, host="b", port=2)
    a.open()
    calls = []
    b.on_arrival = lambda ep: calls.append((env.now, ep.ha))
    b.open()
    a.send(b"1", b.ha)
    env.run()
    b.reopen()
    a.send(b"2", b.ha)
    env.run()
    assert calls == [(0, ("b", 2)), (0, ("b", 2))]
    assert b.on_arrival is not None
    with pytest.raises(RuntimeError):
        _ = SimPeer(network=net, host="c").arrival
