"""Codec: Base64 primitives, gram layout, sizing and parsing."""

from __future__ import annotations

import pytest

from memosim.core import b64, grams
from memosim.core.codes import MemoDex, Sizes, overhead

MID = b64.mid_from_raw(bytes(range(16)))


def test_int_b64_round_trip_and_width():
    assert b64.int_to_b64(0, 4) == b"AAAA"
    assert b64.int_to_b64(2, 4) == b"AAAC"
    assert b64.int_to_b64(64, 4) == b"AABA"
    assert b64.b64_to_int(b"AABA") == 64
    assert b64.b64_to_int("__") == 4095
    with pytest.raises(b64.B64Error):
        b64.int_to_b64(64**4, 4)
    with pytest.raises(b64.B64Error):
        b64.b64_to_int(b"AA*A")


def test_qualified_ids_have_spec_lengths_and_codes():
    assert len(MID) == 24 and MID.startswith("0A")
    raw, code = b64.unqualify(MID, ("0A",))
    assert raw == bytes(range(16)) and code == "0A"
    assert len(b64.qualify(bytes(32), "B")) == 44
    assert len(b64.qualify(bytes(64), "0B")) == 88
    with pytest.raises(b64.B64Error):
        b64.unqualify("0A" + "_" * 22, ("0A",))  # non-zero pad bits


@pytest.mark.parametrize(
    "text", [b"AB+A", b"AB/A", b"ABC=", b"AB==", b"AB A", b"AB\nA", b"AB.A", b"A\x00BC", b"ABC"],
)
def test_strict_decode_refuses_characters_stdlib_would_skip(text):
    with pytest.raises(b64.B64Error):
        b64.decode(text)


def test_strict_decode_is_the_inverse_of_encode():
    raws = [bytes(range(i, i + 3 * (i % 7))) for i in range(60)] + [b"\xff" * 30, b"\xfb\xef\xbe"]
    for raw in raws:
        assert b64.decode(b64.encode(raw)) == raw


def test_parse_checks_a_mid_again_when_its_neck_changes_form():
    # the parser reuses the last mid it checked; a gram that repeats those mid
    # bytes behind a neck that is not Base64 must still be refused
    good = make_memo_grams()[1]
    grams.parse(good)
    bad = good[:4] + b"AA*B" + good[8:]
    with pytest.raises(grams.GramError) as info:
        grams.parse(bad)
    assert info.value.reason == "header"


def make_memo_grams():
    from conftest import make_memoer

    return make_memoer(size=38).rend("How ya doing?")


def test_spec_fact_hello_there_splits_in_two():
    out = grams.split(b"Hello there.", code="bAAA", curt=False, size=38, mid=MID)
    assert out == [
        b"bAAA" + b"AAAC" + MID.encode() + b"Hello ",
        b"bAAB" + b"AAAB" + MID.encode() + b"there.",
    ]


def test_spec_fact_how_ya_doing_splits_in_three():
    out = grams.split(b"How ya doing?", code="bAAA", curt=False, size=38, mid=MID)
    assert [grams.parse(g).body for g in out] == [b"How ya", b" doing", b"?"]
    assert grams.parse(out[0]).count == 3
    assert [grams.parse(g).num for g in out] == [0, 1, 2]


def test_binary_header_is_decoded_text_header():
    text = grams.split(b"abc", code="bAAA", curt=False, size=100, mid=MID)[0]
    binary = grams.split(b"abc", code="bAAA", curt=True, size=100, mid=MID)[0]
    assert binary[:24] == b64.decode(text[:32])
    assert binary[24:] == b"abc"
    assert grams.wiff(text) is False and grams.wiff(binary) is True


def test_binary_uses_true_overhead_for_every_gram():
    size = 120
    out = grams.split(b"x" * 192, code="bAAA", curt=True, size=size, mid=MID)
    assert [len(g) for g in out] == [120, 120]  # 96-byte bodies at 24-byte headers
    assert grams.parse(out[0]).count == 2


@pytest.mark.parametrize("code", list(MemoDex)[:8:2])
@pytest.mark.parametrize("curt", [False, True])
def test_sizing_follows_spec_formula(code, curt):
    size = 300
    lay = grams.sizing(code, curt, size)
    assert lay.zeroth_body == size - overhead(code, curt)
    for length in (0, 1, lay.zeroth_body, lay.zeroth_body + 1, 5000):
        expected = 1 if length <= lay.zeroth_body else -(
            -(length + lay.later_body - lay.zeroth_body) // lay.later_body
        )
        assert lay.count(length) == expected


def test_smallest_size_is_overhead_plus_one():
    with pytest.raises(ValueError):
        grams.sizing("bAAA", False, overhead("bAAA"))
    assert grams.sizing("bAAA", False, overhead("bAAA") + 1).zeroth_body == 1


def test_parse_reports_fields():
    gram = grams.split(b"hi", code="bAAE", curt=False, size=100, mid=MID)[0]
    parsed = grams.parse(gram)
    assert (parsed.code, parsed.mid, parsed.num, parsed.count, parsed.body) == (
        "bAAE", MID, 0, 1, b"hi")
    assert parsed.zeroth and not parsed.authed and parsed.sig is None


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
    ],
)
def test_parse_rejects_with_reason(data, reason):
    with pytest.raises(grams.GramError) as info:
        grams.parse(data)
    assert info.value.reason == reason


def test_sizes_table_matches_spec():
    assert sum(Sizes["bAAC"]) == 4 + 4 + 24 + 44 + 88
    assert sum(Sizes["bAAD"]) == 4 + 4 + 24 + 88
    assert overhead("bAAC", True) == 123
