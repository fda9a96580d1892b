"""testbed/relay.py: the UDP relay forwards through a simulated Network's links,
on times it is given, with bounded reads. Real sockets on loopback only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import simpy

from memosim.sim import Network
from memosim.testbed.relay import Relay, RelayDoer, kernel_udp_counters, loopback_for

pytestmark = pytest.mark.udp

MEMBERS = {"alice": ("alice", 5000), "bob": ("bob", 5001)}


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    return sock


@pytest.fixture
def sockets() -> Iterator[dict[str, socket.socket]]:
    """Real sockets standing in for the peers alice and bob, and a stranger."""
    socks = {name: udp_socket() for name in ("alice", "bob", "stranger")}
    yield socks
    for sock in socks.values():
        sock.close()


def relay_for(
    socks: dict[str, socket.socket], link: dict[str, Any] | None = None, **kwa: Any
) -> Relay:
    """An opened relay between alice and bob over `link` (alice -> bob; the way
    back is clean), with the peers attached."""
    net = Network(simpy.Environment(), 7)
    if link is not None:
        net.add_link("alice", "bob", link)
    relay = Relay(net, MEMBERS, **kwa)
    relay.open()
    relay.attach("alice", socks["alice"].getsockname())
    relay.attach("bob", socks["bob"].getsockname())
    return relay


def take_in(relay: Relay, expected: int, now: float = 0.0) -> int:
    """Service passes at now until `expected` datagrams were taken in (loopback
    is fast, but give the kernel a moment)."""
    taken = 0
    for _ in range(200):
        taken += relay.service(now)
        if taken >= expected:
            break
    return taken


def test_addressing_and_delay_on_explicit_times(sockets: dict[str, socket.socket]) -> None:
    a, b, stranger = sockets["alice"], sockets["bob"], sockets["stranger"]
    relay = relay_for(sockets, {"delay": {"base_s": 0.02}})
    try:
        bob_at_alice, alice_at_bob = relay.address("bob", "alice"), relay.address("alice", "bob")
        assert bob_at_alice != alice_at_bob

        a.sendto(b"hello", bob_at_alice)
        stranger.sendto(b"spoof", bob_at_alice)
        take_in(relay, 1)
        relay.service(0.0)  # the stranger's datagram, if it came second
        b.setblocking(False)
        relay.service(0.019)
        with pytest.raises(BlockingIOError):
            b.recvfrom(100)
        relay.service(0.02)
        b.settimeout(1.0)
        assert b.recvfrom(100) == (b"hello", alice_at_bob)
        b.sendto(b"back", alice_at_bob)  # the reply travels bob -> alice, undelayed
        take_in(relay, 1, 0.021)
        assert a.recvfrom(100) == (b"back", bob_at_alice)
        c = relay.counters()
        assert c["strangers"] == 1 and c["datagrams_in"] == 2 and c["datagrams_out"] == 2
        assert c["bytes_in"] == c["bytes_out"] == 9 and c["proxies"] == 2
        assert relay.network.counters()["links"]["alice->bob"]["delivered"] == 1
    finally:
        relay.close()
    assert not relay.proxies and not relay.opened and relay.service(1.0) == 0
    relay.close()  # twice is fine


def test_a_lossy_link_drops_and_a_duplicating_one_copies(sockets: dict[str, socket.socket]) -> None:
    a, b = sockets["alice"], sockets["bob"]
    with relay_for(sockets, {"loss": {"rate": 1.0}}) as lossy:
        for n in range(3):
            a.sendto(b"lost %d" % n, lossy.address("bob", "alice"))
        assert take_in(lossy, 3) == 3
        assert lossy.counters()["datagrams_out"] == 0
        assert lossy.network.counters()["links"]["alice->bob"]["dropped"] == {"loss": 3}
    with relay_for(sockets, {"duplicate": {"rate": 1.0}}) as twice:
        a.sendto(b"twice", twice.address("bob", "alice"))
        take_in(twice, 1)
        assert [b.recvfrom(100)[0] for _ in range(2)] == [b"twice", b"twice"]
        assert twice.counters()["datagrams_out"] == 2


def test_reads_per_socket_and_pass_are_bounded(sockets: dict[str, socket.socket]) -> None:
    a = sockets["alice"]
    with relay_for(sockets, max_batch=2) as relay:
        for n in range(5):
            a.sendto(b"%d" % n, relay.address("bob", "alice"))
        takes = []
        for _ in range(200):
            takes.append(relay.service(0.0))
            if sum(takes) >= 5:
                break
        assert max(takes) == 2 and sum(takes) == 5
        assert relay.counters()["batch_max"] == 2


def test_members_must_be_two_or_more_with_distinct_addresses() -> None:
    net = Network(simpy.Environment(), 1)
    with pytest.raises(ValueError, match="at least two"):
        Relay(net, {"alice": ("alice", 5000)})
    with pytest.raises(ValueError, match="distinct"):
        Relay(net, {"alice": ("h", 5000), "bob": ("h", 5000)})
    with pytest.raises(KeyError):
        Relay(net, MEMBERS).attach("carol", ("127.0.0.1", 9))


def test_relay_doer_runs_the_relay_on_the_wall_clock_and_measures_lag(
    sockets: dict[str, socket.socket],
) -> None:
    walls = iter([100.0, 100.0, 100.5, 100.75])
    with relay_for(sockets) as relay:
        doer = RelayDoer(relay, clock=lambda: next(walls))
        assert doer.recur(0.0) is False  # origin: wall 100 is tyme 0
        assert relay.origin == 100.0 and relay.env.now == 0.0
        doer.recur(0.25)  # wall says 0.5 s in, the Doist says 0.25: 0.25 s behind
        c = relay.counters()
        assert c["passes"] == 2 and c["lag_max_s"] == c["lag_end_s"] == 0.25
        assert c["service_max_s"] == 0.25 and relay.env.now == 0.5


def test_loopback_keeps_only_the_address_family() -> None:
    assert loopback_for("::1") == "::1" and loopback_for("2001:db8::7") == "::1"
    assert loopback_for("192.168.7.9") == "127.0.0.1" and loopback_for("alice") == "127.0.0.1"


def test_kernel_udp_counters_are_ints_or_none() -> None:
    counters = kernel_udp_counters()
    assert counters is None or (counters and all(isinstance(v, int) for v in counters.values()))
