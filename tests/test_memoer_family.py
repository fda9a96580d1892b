"""hio's Memoer family on memosim: AuthMemoer, openMemoer, openAM, MemoerDoer,
AuthMemoerDoer, makeMID on the class, and the private Base64 key helpers."""

from __future__ import annotations

import base64

import nacl.signing
import pytest
from interop.keymat import make_keys

from memosim import (
    AuthMemoer,
    AuthMemoerDoer,
    Doer,
    Doist,
    Limits,
    Memoer,
    MemoerDoer,
    MemoerError,
    PeerMemoerDoer,
    SafePeerMemoerDoer,
    Tymist,
    make_keyage,
    openAM,
    openMemoer,
)
from memosim.core.codes import MemoDex


def keep_of(label: str) -> tuple[str, dict]:
    vid, keyage = make_keyage(make_keys(label).seed)
    return vid, {vid: keyage}


# ---- makeMID ------------------------------------------------------------
def test_makeMID_on_the_class_is_a_fresh_qualified_id_from_the_os():
    mids = {Memoer.makeMID() for _ in range(600)}  # more than one 256-id block
    assert len(mids) == 600
    for mid in mids:
        assert len(mid) == 24 and mid[:2] == "0A"
        assert base64.urlsafe_b64decode(mid)[:2] == b"\xd0\x00"  # code 0A, zero pad bits
    assert AuthMemoer.makeMID()[:2] == "0A"


def test_makeMID_on_an_instance_draws_from_its_midder_so_runs_repeat():
    raws = iter([bytes(range(16)), b"\xff" * 16])
    peer = Memoer(midder=lambda: next(raws))
    assert (
        peer.makeMID() == "0A" + base64.urlsafe_b64encode(b"\0\0" + bytes(range(16))).decode()[2:]
    )
    assert peer.makeMID() == "0AD" + "_" * 21


def test_makeMID_refuses_a_code_of_the_wrong_size_as_hio_does():
    with pytest.raises(ValueError):
        Memoer.makeMID(code="A")
    with pytest.raises(ValueError):
        Memoer(midder=lambda: bytes(16)).makeMID(code="0AA")
    assert Memoer(midder=lambda: bytes(16)).makeMID(code="1A") == "1A" + "A" * 22


# ---- private Base64 helpers --------------------------------------------
def test_key_helpers_make_the_strings_hio_makes():
    # keymat's strings equal hio 0.7.20's own encoders (tests/interop: test_hio_version_and_keys)
    for label in ("alice", "dave"):
        mat = make_keys(label, code="D")
        verkey = bytes(nacl.signing.SigningKey(mat.seed).verify_key)
        assert Memoer._encodeVID(raw=verkey, code="D") == mat.vid
        assert Memoer._encodeVID(raw=verkey) == "B" + mat.vid[1:]
        assert Memoer._encodeQVK(raw=verkey) == mat.qvk
        assert Memoer._encodeQSS(raw=mat.seed) == mat.qss
        assert Memoer._decodeVID(mat.vid) == (verkey, "D")
        assert Memoer._decodeQVK(mat.qvk.encode()) == (verkey, "B")
        assert Memoer._decodeQSS(mat.qss) == (mat.seed, "A")


def test_signature_helpers_round_trip_a_real_signature():
    vid, keep = keep_of("alice")
    peer = Memoer(keep=keep, vid=vid)
    sig = peer.sign(vid, b"Hello There")
    raw, code = Memoer._decodeSGN(sig)
    assert code == "0B" and len(raw) == 64
    assert Memoer._encodeSGN(raw=raw) == sig.decode()
    assert peer.verify(vid, Memoer._encodeSGN(raw=raw), b"Hello There")


@pytest.mark.parametrize(
    "call",
    [
        lambda: Memoer._encodeVID(raw=bytes(32), code="A"),
        lambda: Memoer._encodeVID(raw=bytes(31)),
        lambda: Memoer._encodeQVK(raw=bytes(32), code="D"),
        lambda: Memoer._encodeQSS(raw=bytes(33)),
        lambda: Memoer._encodeSGN(raw=bytes(64), code="0A"),
        lambda: Memoer._decodeVID("A" + "A" * 43),
        lambda: Memoer._decodeVID("B" + "A" * 42),
        lambda: Memoer._decodeQVK("B" + "A" * 42 + "!"),
        lambda: Memoer._decodeQSS("B" + "A" * 43),
        lambda: Memoer._decodeSGN("0B" + "A" * 85),
        lambda: Memoer._decodeSGN("0A" + "A" * 86),
    ],
)
def test_key_helpers_raise_MemoerError_on_bad_input(call):
    with pytest.raises(MemoerError):
        call()


def test_key_helpers_decode_checks_the_pad_bits():
    vid = Memoer._encodeVID(raw=b"\x01" * 32)
    assert Memoer._decodeVID(vid)[0] == b"\x01" * 32
    # 'B' followed by a digit whose top bits spill into the pad byte
    with pytest.raises(MemoerError):
        Memoer._decodeVID("B_" + vid[2:])


# ---- AuthMemoer and the context managers --------------------------------
def test_auth_memoer_signs_what_it_sends_and_drops_unsigned_grams():
    vid, keep = keep_of("alice")
    peer = AuthMemoer(echoic=True, keep=keep, vid=vid)
    assert peer.code == MemoDex.GramAuthZero and peer.authic
    peer.reopen()
    plain = Memoer(echoic=True)
    plain.reopen()
    plain.memoit("unsigned", "beta")
    plain.serviceAllTx()
    peer.echos.extend(plain.echos)  # an unsigned gram arrives
    peer.memoit("signed", "beta")
    peer.service()
    peer.service()
    assert list(peer.inbox) == [("signed", "beta", vid)]
    assert peer.stats.dropped["unsigned"] == 1


def test_open_memoer_and_open_am_open_then_close_and_take_a_class():
    with openMemoer(name="zeta", size=60) as zeta:
        assert type(zeta) is Memoer and zeta.opened and zeta.name == "zeta" and zeta.size == 60
    assert not zeta.opened
    vid, keep = keep_of("alice")
    with openAM(keep=keep, vid=vid) as am:
        assert type(am) is AuthMemoer and am.opened and am.name == "test" and am.authic
    assert not am.opened
    with openMemoer(cls=AuthMemoer) as other:
        assert type(other) is AuthMemoer
    with pytest.raises(RuntimeError), openMemoer(name="boom") as boom:
        raise RuntimeError
    assert not boom.opened


# ---- the Doers ---------------------------------------------------------
@pytest.mark.parametrize(
    "doer_cls, winds",
    [
        (MemoerDoer, True),
        (AuthMemoerDoer, True),
        (SafePeerMemoerDoer, True),
        (PeerMemoerDoer, False),
    ],
)
def test_doers_wind_the_peer_as_hio_does(doer_cls, winds):
    peer = Memoer()
    doer = doer_cls(peer=peer)
    tymist = Tymist(tock=1.0)
    doer.wind(tymist.tymen())
    tymist.tick()
    assert doer.tyme == 1.0
    assert (peer.tyme == 1.0) if winds else (peer.tymth is None)


def test_memoer_doer_services_its_peer_on_a_doist_and_closes_it():
    peer = Memoer(echoic=True)
    peer.memoit("Hello there.", "alpha")
    doer = MemoerDoer(peer=peer)
    seen = []

    class Watch(Doer):
        def recur(self, tyme):
            seen.append(peer.opened)
            return False

    doist = Doist(tock=0.25, real=False, limit=1.0)
    doist.do(doers=[doer, Watch()])
    assert seen and all(seen) and not peer.opened
    assert list(peer.inbox) == [("Hello there.", "alpha", None)]
    assert doist.tyme == 1.0


# ---- the hio-faithful option for repeated memo ids ------------------------
def echo_same_mid_twice(limits: Limits | None) -> list:
    peer = Memoer(limits=limits, midder=lambda: bytes(16), echoic=True)
    peer.reopen()
    for memo in ("first", "again"):
        peer.echos.append((peer.rend(memo)[0], "beta"))
        peer.serviceAllRx()
    return list(peer.inbox)


def test_a_repeated_memo_id_is_dropped_by_default_and_delivered_with_done_window_0():
    assert echo_same_mid_twice(None) == [("first", "beta", None)]
    assert echo_same_mid_twice(Limits(done_window=0)) == [
        ("first", "beta", None),
        ("again", "beta", None),
    ]
