"""Review r2: bad arguments to the public Python API fail at once and say what.

Before: a misspelt keyword gave "object.__init__() takes exactly one argument";
PeerMemoer(port=70000) failed only when opened (OverflowError from bind);
memoit(memo, dst) with a dst that is no UDP address was queued and then
raised TypeError or OverflowError out of service(), though memoit promises
to check a memo so the service loop never has to; limits=5 gave an
AttributeError deep in reassembly; Doist(doers=[object()]) an AttributeError
about __func__; PeerMemoerDoer(peer="x") an AttributeError when the Doist
first ran it.
"""

from __future__ import annotations

from typing import Any

import pytest

from memosim import Doist, MemoerError, PeerMemoer, PeerMemoerDoer, SafePeerMemoerDoer, openPM


def test_an_unknown_keyword_is_named() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'frobnicate'"):
        PeerMemoer(name="a", frobnicate=1)
    with pytest.raises(TypeError, match="PeerMemoer.*'bufsize', 'sigkey'"):
        PeerMemoer(name="a", bufsize=5, sigkey=b"x")


@pytest.mark.parametrize(
    ("kwa", "said"),
    [
        ({"port": 70000}, "port: expected an integer in [0, 65535], found 70000"),
        ({"port": -1}, "port: expected an integer in [0, 65535], found -1"),
        ({"port": "x"}, "port: expected an integer in [0, 65535], found 'x'"),
        ({"port": True}, "port: expected an integer in [0, 65535], found True"),
        ({"host": 5}, "host: expected an IP address or host name, found 5"),
        ({"ha": "nope"}, "ha: expected a (host, port) pair, found 'nope'"),
    ],
)
def test_a_bad_address_is_refused_when_the_peer_is_made(kwa: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError) as info:
        PeerMemoer(name="a", **kwa)
    assert said in str(info.value)


@pytest.mark.parametrize(
    "dst", [5, "nowhere", None, ("127.0.0.1",), ("127.0.0.1", -5), ("127.0.0.1", "x")]
)
def test_memoit_refuses_a_dst_that_is_no_udp_address(dst: Any) -> None:
    with openPM(name="a", port=0) as peer:
        with pytest.raises(MemoerError, match=r"dst: expected a \(host, port\) address"):
            peer.memoit(b"hello", dst)
        assert not peer.txms
        peer.service()  # nothing queued, nothing raised
        peer.memoit(b"hello", peer.ha)  # a good one still goes
        for _ in range(5):
            peer.service()
        assert [m for m, _src, _vid in peer.inbox] == ["hello"]


def test_limits_must_be_limits() -> None:
    with pytest.raises(MemoerError, match="limits: expected a memosim.Limits, found 5"):
        PeerMemoer(name="a", limits=5)


def test_doist_refuses_a_doer_that_is_not_one() -> None:
    with pytest.raises(TypeError, match=r"doers\[1\]: expected a Doer.*found 'x'"):
        Doist(tock=0.01, limit=0.03).do(doers=[PeerMemoerDoer(peer=PeerMemoer(port=0)), "x"])


@pytest.mark.parametrize("cls", [PeerMemoerDoer, SafePeerMemoerDoer])
def test_a_memoer_doer_needs_a_peer_it_can_service(cls: type[PeerMemoerDoer]) -> None:
    with pytest.raises(TypeError, match=f"{cls.__name__}: peer: expected a Memoer, found 'x'"):
        cls(peer="x")
