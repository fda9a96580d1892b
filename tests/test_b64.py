"""core/b64.py: Base64 digits, strict decoding and qualified identifiers."""

from __future__ import annotations

import pytest

from memosim.core import b64


def test_int_b64_round_trip_and_width() -> None:
    assert b64.int_to_b64(0, 4) == b"AAAA"
    assert b64.int_to_b64(2, 4) == b"AAAC"
    assert b64.int_to_b64(64, 4) == b"AABA"
    assert b64.b64_to_int(b"AABA") == 64
    assert b64.b64_to_int("__") == 4095
    with pytest.raises(b64.B64Error):
        b64.int_to_b64(64**4, 4)
    with pytest.raises(b64.B64Error):
        b64.b64_to_int(b"AA*A")


def test_qualified_ids_have_spec_lengths_and_codes() -> None:
    mid = b64.mid_from_raw(bytes(range(16)))
    assert len(mid) == 24 and mid.startswith("0A")
    raw, code = b64.unqualify(mid, ("0A",))
    assert raw == bytes(range(16)) and code == "0A"
    assert len(b64.qualify(bytes(32), "B")) == 44
    assert len(b64.qualify(bytes(64), "0B")) == 88
    with pytest.raises(b64.B64Error):
        b64.unqualify("0A" + "_" * 22, ("0A",))  # non-zero pad bits


@pytest.mark.parametrize(
    "text",
    [b"AB+A", b"AB/A", b"ABC=", b"AB==", b"AB A", b"AB\nA", b"AB.A", b"A\x00BC", b"ABC"],
)
def test_strict_decode_refuses_characters_stdlib_would_skip(text: bytes) -> None:
    with pytest.raises(b64.B64Error):
        b64.decode(text)


def test_strict_decode_is_the_inverse_of_encode() -> None:
    raws = [bytes(range(i, i + 3 * (i % 7))) for i in range(60)] + [b"\xff" * 30, b"\xfb\xef\xbe"]
    for raw in raws:
        assert b64.decode(b64.encode(raw)) == raw
