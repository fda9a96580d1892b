"""Deterministic Ed25519 key material in hio's qualified Base64 forms (PyNaCl).

The interop tests give the same strings to memosim and to hio:

- vid: ``B`` + 43 chars of the 32-byte verifying key (left-pad one zero byte,
  base64url, drop the first char): a non-transferable vid, its own verkey;
  with ``code="D"`` the same key under the ``D`` code, whose verkey a receiver
  must look up in its keep;
- qvk: ``B`` + 43 chars of the verifying key;
- qss: ``A`` + 43 chars of the 32-byte signing seed.
"""

from __future__ import annotations

import base64
import hashlib
from typing import NamedTuple

import nacl.signing


class KeyMat(NamedTuple):
    vid: str
    qvk: str
    qss: str
    seed: bytes

    def keep_json(self) -> dict[str, list[str]]:
        """keep for hio_driver: {vid: [qvk, qss]}."""
        return {self.vid: [self.qvk, self.qss]}


def qb64_32(code: str, raw: bytes) -> str:
    """One code char + 43 Base64 chars of 32 raw bytes (CESR left pad)."""
    if len(raw) != 32 or len(code) != 1:
        raise ValueError("want a one-char code and 32 raw bytes")
    return code + base64.urlsafe_b64encode(b"\x00" + raw).decode()[1:]


def seed_for(label: str) -> bytes:
    """A fixed 32-byte seed derived from a label, so tests need no RNG."""
    return hashlib.sha256(b"memosim-interop:" + label.encode()).digest()


def make_keys(seed: bytes | str = "alice", code: str = "B") -> KeyMat:
    """Key strings for ``seed`` (32 bytes, or a label turned into a seed)."""
    if isinstance(seed, str):
        seed = seed_for(seed)
    verkey = bytes(nacl.signing.SigningKey(seed).verify_key)
    return KeyMat(
        vid=qb64_32(code, verkey),
        qvk=qb64_32("B", verkey),
        qss=qb64_32("A", seed),
        seed=seed,
    )
