"""PeerMemoer on real UDP sockets over loopback (IPv4 and IPv6)."""

from __future__ import annotations

import socket
import time

import pytest

from memosim import PeerMemoer, openPM

pytestmark = pytest.mark.udp


def pump(*peers, until, seconds=5.0):
    """Service peers until until() holds or the deadline passes (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for peer in peers:
            peer.service()
        if until():
            return True
        time.sleep(0.001)
    return False


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_defaults_match_hio():
    peer = PeerMemoer()
    assert peer.ha == ("127.0.0.1", 55000) and peer.bc == 1024
    assert peer.bs == 1024 * 1240 and peer.MaxGramSize == 1240 and peer.size == 1240
    assert peer.name == "main" and not peer.opened and peer.path == peer.ha


@pytest.mark.parametrize("curt", [False, True])
def test_multi_gram_memo_over_loopback(curt):
    with openPM(name="a", port=0) as a, openPM(name="b", port=0, curt=curt) as b:
        assert a.opened and a.port != 0
        memo = "δέκα " * 1000
        b.memoit(memo, a.ha)
        assert pump(a, b, until=lambda: a.inbox)
        assert a.inbox.popleft() == (memo, b.ha, None)
        assert b.stats.grams_sent == -(-len(memo.encode()) // (1240 - (24 if curt else 32)))


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback on this host")
def test_ipv6_loopback():
    with openPM(name="a", host="::1", port=0) as a, openPM(name="b", host="::1", port=0) as b:
        b.memoit("six", a.ha)
        assert pump(a, b, until=lambda: a.inbox)
        assert a.inbox.popleft() == ("six", b.ha, None)


def test_send_to_closed_port_does_not_raise_out_of_service():
    with openPM(name="a", port=0) as a:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()
        for _ in range(5):
            a.memoit("nobody home", dead)
            a.service()
            time.sleep(0.01)
            a.service()  # ECONNREFUSED surfaces on the next socket call
        assert a.stats.grams_sent >= 1


def test_openPM_reopen_false_and_close():
    with openPM(name="lazy", port=0, reopen=False) as p:
        assert not p.opened
        assert p.reopen() and p.opened
    assert not p.opened and p.ls is None


def test_garbage_datagrams_are_dropped_and_counted():
    with openPM(name="a", port=0) as a:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for junk in (b"", b"x", b"bAAA", bytes(range(256))):
                s.sendto(junk, a.ha)
        assert pump(a, until=lambda: a.stats.grams_received >= 3)
        assert a.stats.memos_delivered == 0 and sum(a.stats.dropped.values()) >= 3
