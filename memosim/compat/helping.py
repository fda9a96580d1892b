"""The part of hio.help.helping that memogram code uses: Base64 code conversions.

hio's helping module is a grab bag of utilities; code around its memogram
transport (hio's own tests among it) uses only the two conversions between
a Base64 code's text characters and the bits they stand for at the front of
a binary (curt) header. memosim.compat.hio serves this module as
hio.help.helping; nothing else of hio.help is provided.
"""

from __future__ import annotations

from ..core import b64

__all__ = ["codeB2ToB64", "codeB64ToB2"]


def codeB64ToB2(text: str | bytes) -> bytes:
    """The sextets of Base64 text packed into the fewest bytes, left aligned
    (the last byte padded with zero bits), as a code sits at a header's front."""
    if isinstance(text, str):
        text = text.encode()
    nbits = 6 * len(text)
    nbytes = -(-nbits // 8)
    return (b64.b64_to_int(text) << (8 * nbytes - nbits)).to_bytes(nbytes, "big")


def codeB2ToB64(data: str | bytes, count: int) -> str:
    """The first count sextets of binary data as Base64 text (inverse of codeB64ToB2)."""
    if isinstance(data, str):
        data = data.encode()
    nbits = 6 * count
    nbytes = -(-nbits // 8)
    if nbytes > len(data):
        raise ValueError(f"{len(data)} bytes hold fewer than {count} sextets")
    value = int.from_bytes(data[:nbytes], "big") >> (8 * nbytes - nbits)
    return b64.int_to_b64(value, count).decode()
