"""core/grams.py: splitting memos into grams, parsing one gram, sizing, wiff."""

from __future__ import annotations

import hashlib

import pytest

from memosim.core import b64, grams
from memosim.core.codes import MaxGramCount, MaxMemoSize, MemoDex, Pairs, Sizes, overhead

MID = b64.mid_from_raw(bytes(range(16)))
VID = "B" + "A" * 43  # a 'B' vid: only its form matters here, nothing verifies


def fake_sign(ser: bytes) -> bytes:
    """64 bytes that depend on what is signed; grams only places them."""
    return hashlib.sha512(ser).digest()


def test_spec_fact_hello_there_splits_in_two() -> None:
    out = grams.split(b"Hello there.", code="bAAA", curt=False, size=38, mid=MID)
    assert out == [
        b"bAAA" + b"AAAC" + MID.encode() + b"Hello ",
        b"bAAB" + b"AAAB" + MID.encode() + b"there.",
    ]


def test_spec_fact_how_ya_doing_splits_in_three() -> None:
    out = grams.split(b"How ya doing?", code="bAAA", curt=False, size=38, mid=MID)
    assert [grams.parse(g).body for g in out] == [b"How ya", b" doing", b"?"]
    assert grams.parse(out[0]).count == 3
    assert [grams.parse(g).num for g in out] == [0, 1, 2]


def test_an_empty_memo_is_one_gram_with_an_empty_body() -> None:
    (gram,) = grams.split(b"", code="bAAA", curt=False, size=38, mid=MID)
    parsed = grams.parse(gram)
    assert (parsed.count, parsed.num, parsed.body) == (1, 0, b"")


def test_binary_header_is_decoded_text_header() -> None:
    text = grams.split(b"abc", code="bAAA", curt=False, size=100, mid=MID)[0]
    binary = grams.split(b"abc", code="bAAA", curt=True, size=100, mid=MID)[0]
    assert binary[:24] == b64.decode(text[:32])
    assert binary[24:] == b"abc"
    assert grams.wiff(text) is False and grams.wiff(binary) is True


@pytest.mark.parametrize(
    "data,reason", [(b"", "empty"), (b"zzzz", "encoding"), (b"\x00", "encoding")]
)
def test_wiff_refuses_what_is_neither_header(data: bytes, reason: str) -> None:
    with pytest.raises(grams.GramError) as info:
        grams.wiff(data)
    assert info.value.reason == reason


def test_binary_uses_true_overhead_for_every_gram() -> None:
    out = grams.split(b"x" * 192, code="bAAA", curt=True, size=120, mid=MID)
    assert [len(g) for g in out] == [120, 120]  # 96-byte bodies at 24-byte headers
    assert grams.parse(out[0]).count == 2


@pytest.mark.parametrize("code", list(MemoDex)[:8:2])
@pytest.mark.parametrize("curt", [False, True])
def test_sizing_follows_spec_formula(code: str, curt: bool) -> None:
    size = 300
    lay = grams.sizing(code, curt, size)
    assert lay.zeroth_body == size - overhead(code, curt)
    assert lay.later_body == size - overhead(Pairs[code], curt)
    for length in (0, 1, lay.zeroth_body, lay.zeroth_body + 1, 5000):
        expected = (
            1
            if length <= lay.zeroth_body
            else -(-(length + lay.later_body - lay.zeroth_body) // lay.later_body)
        )
        assert lay.count(length) == expected


def test_max_memo_is_what_the_largest_count_carries_capped_by_the_spec() -> None:
    lay = grams.sizing("bAAA", False, 38)
    assert lay.max_memo == 6 * (MaxGramCount - 1) + 6
    assert lay.count(lay.max_memo) == MaxGramCount
    assert grams.sizing("bAAA", False, 2**16 - 1).max_memo == MaxMemoSize


def test_smallest_size_is_overhead_plus_one() -> None:
    with pytest.raises(ValueError):
        grams.sizing("bAAA", False, overhead("bAAA"))
    assert grams.sizing("bAAA", False, overhead("bAAA") + 1).zeroth_body == 1


def test_parse_reports_fields() -> None:
    gram = grams.split(b"hi", code="bAAE", curt=False, size=100, mid=MID)[0]
    parsed = grams.parse(gram)
    assert (parsed.code, parsed.mid, parsed.num, parsed.count, parsed.body) == (
        "bAAE",
        MID,
        0,
        1,
        b"hi",
    )
    assert parsed.zeroth and not parsed.authed and parsed.sig is None
    assert parsed.signed is None and parsed.vid is None and parsed.curt is False
    later = grams.parse(grams.split(b"x" * 200, code="bAAE", curt=True, size=100, mid=MID)[1])
    assert (later.code, later.num, later.count, later.curt) == ("bAAF", 1, None, True)
    assert not later.zeroth
    assert grams.parse(bytearray(gram)) == parsed  # any bytes-like datagram


@pytest.mark.parametrize("curt", [False, True])
def test_signed_grams_carry_vid_and_a_signature_over_code_through_body(curt: bool) -> None:
    out = grams.split(
        b"y" * 300, code="bAAC", curt=curt, size=400, mid=MID, vid=VID, sign=fake_sign
    )
    zeroth, later = (grams.parse(g) for g in out)
    assert zeroth.vid == VID and later.vid is None  # only the zeroth names the signer
    for gram, parsed in zip(out, (zeroth, later)):
        assert parsed.authed and parsed.sig == fake_sign(parsed.signed or b"")
        assert gram == (parsed.signed or b"") + grams.sig_bytes(parsed.sig or b"", curt)
    assert zeroth.body + later.body == b"y" * 300
    assert grams.vid_bytes(VID, curt) in out[0]
    with pytest.raises(ValueError, match="needs a signer"):
        grams.split(b"y", code="bAAC", curt=curt, size=400, mid=MID, vid=VID)


def test_sig_and_vid_bytes_are_the_qualified_text_or_its_decoding() -> None:
    raw = bytes(range(64))
    assert grams.sig_bytes(raw, True) == b"\xd0\x10" + raw
    assert grams.sig_bytes(raw, False) == b64.qualify(raw, "0B").encode()
    assert grams.vid_bytes(VID, False) == VID.encode()
    assert grams.vid_bytes(VID, True) == b64.decode(VID.encode())
    assert grams.one_gram_head("bAAA", False) == b"bAAAAAAB"
    assert grams.one_gram_head("bAAA", True) == b64.decode(b"bAAAAAAB")


def test_gram_numbers_past_4096_keep_their_necks() -> None:
    # numbers below 4096 come from a table; larger ones are encoded on the spot
    memo = bytes(6 * 4100)
    out = grams.split(memo, code="bAAA", curt=False, size=38, mid=MID)
    assert len(out) == 4100 and grams.parse(out[0]).count == 4100
    assert [grams.parse(out[n]).num for n in (4095, 4096, 4099)] == [4095, 4096, 4099]
    assert grams.neck_bytes(4096, False) == b64.int_to_b64(4096, 4)
    assert grams.neck_bytes(4096, True) == (4096).to_bytes(3, "big")


def test_parse_checks_a_mid_again_when_its_neck_changes_form() -> None:
    # the parser reuses the last mid it checked; a gram that repeats those mid
    # bytes behind a neck that is not Base64 must still be refused
    good = grams.split(b"How ya doing?", code="bAAA", curt=False, size=38, mid=MID)[1]
    grams.parse(good)
    bad = good[:4] + b"AA*B" + good[8:]
    with pytest.raises(grams.GramError) as info:
        grams.parse(bad)
    assert info.value.reason == "header"


def signed_gram(curt: bool) -> bytes:
    return grams.split(b"z", code="bAAC", curt=curt, size=400, mid=MID, vid=VID, sign=fake_sign)[0]


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"zzzz", "encoding"),
        (b"bAAZ" + b"A" * 40, "code"),
        (b"bAAA" + b"AAAB", "short"),
        (b"bAAAAA*B" + MID.encode(), "header"),
        (b"bAAAAAAB" + b"1A" + MID.encode()[2:], "mid"),
        (b64.decode(b"bAAA") + b"\0\0\1" + b"\xff" * 18, "mid"),
        (b64.decode(b"bAAA") + b"\0\0\1", "short"),
        (b"bAAC" + b"AAAB" + MID.encode() + b"Z" * 44 + b"0B" + b"A" * 86, "vid"),
        (signed_gram(False)[:-88] + b"1B" + signed_gram(False)[-86:], "sig"),
        (signed_gram(False)[:-86] + b"_" + signed_gram(False)[-85:], "sig"),  # pad bits set
        (signed_gram(False)[:-1] + b"*", "sig"),
        (signed_gram(True)[:-66] + b"\xd0\x11" + signed_gram(True)[-64:], "sig"),
        (signed_gram(True)[:24] + b"\xff" + signed_gram(True)[25:], "vid"),
    ],
)
def test_parse_rejects_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(grams.GramError) as info:
        grams.parse(data)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError) and str(info.value).startswith(reason)


def test_ack_grams_read_their_neck_as_count() -> None:
    gram = b"bAAI" + b"AAAH" + MID.encode() + b"\x01" * 25
    parsed = grams.parse(gram)
    assert (parsed.code, parsed.num, parsed.count, parsed.body) == ("bAAI", 0, 7, b"\x01" * 25)
    assert not parsed.zeroth


@pytest.mark.parametrize("curt", [False, True])
@pytest.mark.parametrize("code", sorted(Pairs))
def test_mid_of_reads_the_mid_parse_reads(code: str, curt: bool) -> None:
    signed = Sizes[code].az > 0
    out = grams.split(
        b"m" * 2500,
        code=code,
        curt=curt,
        size=1240,
        mid=MID,
        vid=VID if Sizes[code].vz else None,
        sign=fake_sign if signed else None,
    )
    assert len(out) > 1
    assert [grams.mid_of(g) for g in out] == [grams.parse(g).mid for g in out] == [MID] * len(out)


@pytest.mark.parametrize(
    "data",
    [b"", b"bAAA", b"bAAAAAAB" + b"?" * 24, b"\x6c\x00\x00\x00\x00\x01" + b"\x00" * 18, b"z" * 40],
)
def test_mid_of_refuses_a_header_without_a_mid(data: bytes) -> None:
    with pytest.raises(grams.GramError):
        grams.mid_of(data)
