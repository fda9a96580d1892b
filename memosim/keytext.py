"""hio's private Base64 helpers for vids, keys and signatures, on memosim's Memoer.

hio 0.7.20's Memoer carries classmethods that turn raw Ed25519 material into
the qualified text a keep holds and back: `_encodeVID`/`_decodeVID` (vid:
code B, D or E + 43 chars), `_encodeQVK`/`_decodeQVK` (verifying key: B),
`_encodeQSS`/`_decodeQSS` (signing seed: A) and `_encodeSGN`/`_decodeSGN`
(signature: 0B + 86 chars). They are private by name, but code that builds a
keep by hand calls them (hio's own tests do), so memosim offers them with the
same signatures, results and MemoerError on bad input, computed with
memosim's own Base64 (memosim/core/b64.py). Memoer mixes KeyText in.
"""

from __future__ import annotations

from typing import Any

from .core import b64
from .core.engine import MemoerError

__all__ = ["KeyText"]


def _codec(
    codes: tuple[str, ...], rawsize: int, what: str
) -> tuple[classmethod[Any, Any, Any], classmethod[Any, Any, Any]]:
    """hio's _encodeX and _decodeX classmethods for one kind of qualified material."""
    textsize = len(b64.qualify(bytes(rawsize), codes[0]))

    def encode(cls: type, raw: bytes, code: str = codes[0]) -> str:
        if code not in codes:
            raise MemoerError(f"Invalid {what} code={code!r}, expected one of {codes}")
        if len(raw) != rawsize:
            raise MemoerError(f"Invalid raw {what} size {len(raw)}, expected {rawsize}")
        return b64.qualify(bytes(raw), code)

    def decode(cls: type, qb64: str | bytes) -> tuple[bytes, str]:
        if len(qb64) != textsize:
            raise MemoerError(f"Invalid {what} text size {len(qb64)}, expected {textsize}")
        try:
            return b64.unqualify(qb64, codes)
        except b64.B64Error as ex:
            raise MemoerError(f"Invalid {what}: {ex}") from ex

    encode.__doc__ = f"Qualified {what} ({textsize} chars) of {rawsize} raw bytes."
    decode.__doc__ = f"(raw, code) of a qualified {what}."
    return classmethod(encode), classmethod(decode)


class KeyText:
    """hio's `_encode*`/`_decode*` classmethods for qualified Base64 material."""

    _encodeVID, _decodeVID = _codec(b64.VID_CODES, 32, "vid")  # B, D or E
    _encodeQVK, _decodeQVK = _codec((b64.VERKEY_CODE,), 32, "qvk")  # Ed25519 verifying key
    _encodeQSS, _decodeQSS = _codec((b64.SEED_CODE,), 32, "qss")  # Ed25519 signing seed
    _encodeSGN, _decodeSGN = _codec((b64.SIG_CODE,), 64, "signature")  # Ed25519 signature
