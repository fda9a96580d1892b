"""core/surewire.py: the Sure payload and the Ack body and gram, byte for byte.

The layouts are checked against bytes built from the spec in surewire.py's
docstring (tests/helpers.py's ack_* helpers), not against the encoder itself.
How peers use these bytes (acking, retries) is tests/test_acking.py's.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from helpers import ack_checked, ack_fixed, ack_of, ack_spans, ack_timing, seed_of

from memosim import make_keyage
from memosim.core import b64, grams
from memosim.core.codes import MemoDex
from memosim.core.keys import Signer, Verifier
from memosim.core.surewire import (
    HOLD_UNIT,
    NO_UPTO,
    QUIET,
    SURE_PREFIX,
    Ack,
    AckError,
    capacity,
    decode,
    encode_body,
    flipped,
    hold_units,
    make_ack,
    ranges_of,
    sure_tag,
    unwrap,
    wrap,
)

ACK = MemoDex.Ack
ACK_AUTH = MemoDex.AckAuth
MID = "0A" + "B" * 22
TAG = bytes(range(16))  # a done ack's: the delivered memo's Sure tag
SIG_TEXT = 88  # qualified Ed25519 signature, text
SIG_CURT = 66


# ---------------------------------------------------------------- Sure payload
def test_sure_payload_is_version_tag_memo_with_the_tag_keyed_by_the_mid() -> None:
    payload = wrap(MID, b"hello")
    tag = hashlib.blake2b(
        b"hello", digest_size=16, key=MID.encode(), person=b"memosim-sure-v1"
    ).digest()
    assert payload == b"\x01" + tag + b"hello" and sure_tag(MID, b"hello") == tag
    assert len(payload) == SURE_PREFIX + 5
    assert unwrap(MID, payload) == b"hello"
    assert unwrap(MID, wrap(MID, b"")) == b""


def test_unwrap_refuses_payloads_that_are_not_intact_or_not_for_the_mid() -> None:
    payload = wrap(MID, b"hello")
    assert unwrap("0A" + "C" * 22, payload) is None  # another memo id
    assert unwrap(MID, payload[:-1]) is None  # lost a byte
    assert unwrap(MID, payload + b"!") is None  # gained one
    assert unwrap(MID, b"\x02" + payload[1:]) is None  # unknown version
    assert unwrap(MID, payload[: SURE_PREFIX - 1]) is None  # shorter than version and tag
    for at in range(len(payload)):
        damaged = bytearray(payload)
        damaged[at] ^= 0x40
        assert unwrap(MID, bytes(damaged)) is None


def test_flipped_spots_sure_and_ack_bytes_under_a_plain_code() -> None:
    assert flipped(MID, 1, wrap(MID, b"memo"))
    assert not flipped("0A" + "C" * 22, 1, wrap(MID, b"memo"))
    ack = encode_body(ACK, 3, MID, None, done=False, epoch=1, upto=3, ranges=[(0, 2)], limit=9)
    assert flipped(MID, 3, ack)  # the ack's neck became the memo's count
    zero = encode_body(ACK, 0, MID, None, done=True, epoch=0, upto=0, ranges=[], limit=9, tag=TAG)
    assert flipped(MID, 1, zero)  # a neck of 0 is read as count 1
    assert not flipped(MID, 4, ack)
    assert not flipped(MID, 1, b"") and not flipped(MID, 1, b"\x01 plain data")


# ---------------------------------------------------------------- ack bodies
def test_ranges_of_groups_consecutive_numbers() -> None:
    assert ranges_of([]) == []
    assert ranges_of([0]) == [(0, 1)]
    assert ranges_of([0, 1, 2, 5, 7, 8]) == [(0, 3), (5, 6), (7, 9)]


def test_body_round_trip_and_layout() -> None:
    # v3: version | flags | hold(2) | epoch(4) | upto(3) | ranges(6 each) | check(16)
    body = encode_body(
        ACK, 7, MID, None, done=False, epoch=0x01020304, upto=7, ranges=[(0, 3), (5, 6)], limit=10
    )
    payload = bytes([3, 0, 0, 0, 1, 2, 3, 4, 0, 0, 7]) + bytes([0, 0, 0, 0, 0, 3, 0, 0, 5, 0, 0, 6])
    assert body == ack_checked(ACK, 7, MID, None, payload)
    assert len(body) == 11 + 12 + 16
    assert decode(ACK, 7, MID, None, body) == Ack(False, 0x01020304, 7, [(0, 3), (5, 6)])
    # a done ack: flag bit 0, and the delivered memo's tag in place of ranges
    done = encode_body(ACK, 7, MID, None, done=True, epoch=0, upto=7, ranges=[], limit=10, tag=TAG)
    assert done == ack_checked(ACK, 7, MID, None, bytes([3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7]) + TAG)
    assert len(done) == 11 + 16 + 16
    assert decode(ACK, 7, MID, None, done) == Ack(True, 0, 7, [], tag=TAG)
    with pytest.raises(ValueError, match="16-byte tag"):  # a done ack without one is a bug
        encode_body(ACK, 7, MID, None, done=True, epoch=0, upto=7, ranges=[], limit=10)
    # a reset ack (holds nothing of the memo): epoch 0, no ranges, upto "all"
    reset = encode_body(ACK, 0, MID, None, done=False, epoch=0, upto=NO_UPTO, ranges=[], limit=10)
    assert decode(ACK, 0, MID, None, reset) == Ack(False, 0, 2**24 - 1, [])
    # over the limit: the lowest ranges, and upto stops where the first left out starts
    capped = encode_body(
        ACK, 9, MID, None, done=False, epoch=5, upto=9, ranges=[(0, 1), (2, 3), (4, 5)], limit=2
    )
    assert capped == encode_body(
        ACK, 9, MID, None, done=False, epoch=5, upto=4, ranges=[(0, 1), (2, 3)], limit=9
    )
    assert decode(ACK, 9, MID, None, capped) == Ack(False, 5, 4, [(0, 1), (2, 3)])
    # the check covers code, neck, mid and vid, not just the body
    for code, neck, mid, vid in (
        (ACK_AUTH, 7, MID, None),
        (ACK, 6, MID, None),
        (ACK, 7, "0A" + "C" * 22, None),
        (ACK, 7, MID, "B" * 44),
    ):
        with pytest.raises(AckError) as info:
            decode(code, neck, mid, vid, body)
        assert info.value.reason == "ack-check"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"", "ack-body"),  # shorter than the fixed fields and check
        (b"\x01" * 24, "ack-body"),
        (ack_checked(ACK, 3, MID, None, ack_fixed()) + b"\x00" * 5, "ack-body"),  # not whole ranges
        (ack_checked(ACK, 3, MID, None, ack_fixed())[:-1] + b"\x00", "ack-check"),  # check damaged
        (ack_fixed() + b"\x00" * 16, "ack-check"),
        (ack_checked(ACK, 3, MID, None, ack_fixed(version=0)), "ack-version"),
        (ack_checked(ACK, 3, MID, None, ack_fixed(version=1)), "ack-version"),  # Sure v1's acks
        (ack_checked(ACK, 3, MID, None, ack_fixed(version=2)), "ack-version"),  # Ack v2's
        (ack_checked(ACK, 3, MID, None, ack_fixed(version=4)), "ack-version"),
        (ack_checked(ACK, 3, MID, None, ack_fixed(done=True)), "ack-body"),  # done, no tag
        (ack_checked(ACK, 3, MID, None, ack_fixed(done=True) + TAG[:15]), "ack-body"),
        (ack_checked(ACK, 3, MID, None, ack_fixed(flags=4)), "ack-body"),  # unknown flag bit
        (ack_checked(ACK, 3, MID, None, ack_fixed(flags=3)), "ack-body"),  # done and quiet
        (ack_checked(ACK, 3, MID, None, ack_fixed(flags=0x81)), "ack-body"),
        (
            ack_checked(ACK, 3, MID, None, ack_fixed(done=True) + ack_spans((0, 3))),
            "ack-body",
        ),  # done+ranges
        (
            ack_checked(ACK, 3, MID, None, ack_fixed() + ack_spans((1, 1))),
            "ack-body",
        ),  # empty range
        (
            ack_checked(ACK, 3, MID, None, ack_fixed() + ack_spans((2, 1))),
            "ack-body",
        ),  # end before start
        (
            ack_checked(ACK, 3, MID, None, ack_fixed() + ack_spans((0, 3), (2, 4))),
            "ack-body",
        ),  # overlap
        (
            ack_checked(ACK, 3, MID, None, ack_fixed() + ack_spans((5, 6), (1, 2))),
            "ack-body",
        ),  # descending
    ],
)
def test_malformed_bodies_raise_ack_error_only(body: bytes, reason: str) -> None:
    with pytest.raises(AckError) as info:
        decode(ACK, 3, MID, None, body)
    assert info.value.reason == reason


def test_hold_and_quiet_round_trip() -> None:
    # hold is in units of 100 us, rounded, saturating at 2**16 - 1 units
    body = encode_body(
        ACK,
        4,
        MID,
        None,
        done=False,
        epoch=1,
        upto=4,
        ranges=[(0, 2)],
        limit=9,
        quiet=True,
        hold=0.0123,
    )
    assert body[:4] == bytes([3, QUIET, 0, 123])
    assert decode(ACK, 4, MID, None, body) == Ack(False, 1, 4, [(0, 2)], True, 123 * HOLD_UNIT)
    assert hold_units(0.01234) == 123 and hold_units(0.01236) == 124
    assert hold_units(10.0) == 2**16 - 1 and hold_units(-1.0) == 0
    assert hold_units(float("nan")) == 0
    # quiet means nothing for a done ack: it is not sent there
    done = encode_body(
        ACK, 4, MID, None, done=True, epoch=0, upto=4, ranges=[], limit=9, quiet=True, tag=TAG
    )
    assert done[1] == 1 and decode(ACK, 4, MID, None, done).quiet is False


def test_every_bit_flip_of_an_ack_body_fails_its_check() -> None:
    body = encode_body(
        ACK, 5, MID, None, done=False, epoch=3, upto=5, ranges=[(0, 2), (3, 4)], limit=9
    )
    assert decode(ACK, 5, MID, None, body) == Ack(False, 3, 5, [(0, 2), (3, 4)])
    reasons: Counter[str] = Counter()
    for bit in range(len(body) * 8):
        damaged = bytearray(body)
        damaged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(AckError) as info:
            decode(ACK, 5, MID, None, bytes(damaged))
        reasons[info.value.reason] += 1
    assert reasons == {"ack-check": len(body) * 8}


@pytest.mark.parametrize("curt", [False, True])
def test_ack_gram_layout_text_and_binary(curt: bool) -> None:
    gram = make_ack(
        MID, 3, done=False, epoch=1, upto=3, ranges=[(0, 1), (2, 3)], curt=curt, size=1240
    )
    head = b"bAAI" + b"AAAD" + MID.encode()  # code, neck 3, mid
    if curt:
        head = b64.decode(head)
    body = ack_checked(ACK, 3, MID, None, ack_fixed(epoch=1, upto=3) + ack_spans((0, 1), (2, 3)))
    assert gram == head + body
    assert len(gram) == (24 if curt else 32) + 27 + 12
    parsed = grams.parse(gram)
    assert parsed.code == ACK and parsed.curt is curt
    assert parsed.count == 3 and parsed.mid == MID and parsed.vid is None
    assert ack_of(gram) == (3, Ack(False, 1, 3, [(0, 1), (2, 3)]))
    done = make_ack(MID, 3, done=True, epoch=0, upto=3, ranges=[], curt=curt, size=1240, tag=TAG)
    assert done == head + ack_checked(ACK, 3, MID, None, ack_fixed(done=True, upto=3) + TAG)
    assert ack_of(done) == (3, Ack(True, 0, 3, []))
    assert ack_timing(done)[1].tag == TAG


@pytest.mark.parametrize("curt", [False, True])
def test_ack_auth_is_signed_over_code_through_body(curt: bool) -> None:
    vid, keyage = make_keyage(seed_of("bob"))
    keep = {vid: keyage}
    signer = Signer()
    gram = make_ack(
        MID,
        1,
        done=True,
        epoch=0,
        upto=1,
        ranges=[],
        curt=curt,
        size=1240,
        vid=vid,
        sign=lambda ser: signer.sign(keep, vid, ser),
        tag=TAG,
    )
    parsed = grams.parse(gram)
    assert parsed.code == ACK_AUTH and parsed.vid == vid and parsed.curt is curt
    sig = SIG_CURT if curt else SIG_TEXT
    assert parsed.signed == gram[:-sig]
    assert parsed.sig is not None and parsed.signed is not None
    assert Verifier().verify(keep, vid, parsed.sig, parsed.signed)
    # the body's check covers the signer's vid too
    assert parsed.body == ack_checked(ACK_AUTH, 1, MID, vid, ack_fixed(done=True, upto=1) + TAG)
    assert ack_of(gram) == (1, Ack(True, 0, 1, []))
    assert ack_timing(gram)[1].tag == TAG
    with pytest.raises(AckError) as info:
        decode(ACK_AUTH, 1, MID, None, parsed.body)
    assert info.value.reason == "ack-check"


def test_ack_capacity_leaves_room_for_the_fixed_fields_and_check() -> None:
    # (size - header/signature overhead - 27 fixed bytes) // 6, at least one
    assert capacity(1240, curt=False, signed=False) == (1240 - 32 - 27) // 6 == 196
    assert capacity(1240, curt=True, signed=False) == (1240 - 24 - 27) // 6 == 198
    assert capacity(1240, curt=False, signed=True) == (1240 - 164 - 27) // 6 == 174
    assert capacity(1240, curt=True, signed=True) == (1240 - 123 - 27) // 6 == 181
    assert capacity(100, curt=False, signed=False) == 6
    assert capacity(65, curt=False, signed=False) == 1
    assert capacity(64, curt=False, signed=False) == 1  # too small: still one
    assert capacity(10, curt=True, signed=True) == 1


def test_ack_body_is_capped_to_the_gram_size() -> None:
    ranges = [(n, n + 1) for n in range(0, 40, 2)]  # 20 ranges
    gram = make_ack(MID, 40, done=False, epoch=2, upto=40, ranges=ranges, curt=False, size=100)
    assert len(gram) == 32 + 27 + 6 * 6 <= 100
    # the 6 lowest ranges; upto says grams from 12 on are not described
    assert ack_of(gram) == (40, Ack(False, 2, 12, ranges[:6]))
    # a size too small for any range still carries one
    tiny = make_ack(MID, 40, done=False, epoch=2, upto=40, ranges=ranges, curt=False, size=10)
    assert ack_of(tiny) == (40, Ack(False, 2, 2, ranges[:1]))


def test_the_docs_ack_example_is_what_make_ack_makes() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "acked-delivery.md").read_text()
    lines = doc[doc.index("Example (mid as above, count 5") :].splitlines()[2:5]
    mid = "0AAAAQIDBAUGBwgJCgsMDQ4P"
    text = make_ack(
        mid, 5, done=False, epoch=7, upto=5, ranges=[(0, 2), (3, 5)], curt=False, size=1240
    )
    curt = make_ack(
        mid, 5, done=False, epoch=7, upto=5, ranges=[(0, 2), (3, 5)], curt=True, size=1240
    )
    assert lines[0].split(":", 1)[0].strip() == f"text  ({len(text)} bytes)"
    assert lines[0].split(":", 1)[1].split() == ["b'bAAI'", "b'AAAF'", f"b'{mid}'"]
    assert bytes.fromhex("".join(lines[1].split())) == text[32:]
    assert lines[2].strip().startswith(f"binary ({len(curt)} bytes): ")
    shown = lines[2].split(":", 1)[1].split("+")[0]
    assert bytes.fromhex("".join(shown.split())) == curt[: len(curt) - len(text) + 32]
    assert curt[len(curt) - len(text) + 32 :] == text[32:]
