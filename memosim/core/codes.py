"""Gram codes, header part sizes and limits, named as hio 0.7.20 names them.

The tables are the single source of truth for the wire layout in
../shared/spec/memogram-wire.md; the codec derives every offset from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, astuple, dataclass
from typing import Any, NamedTuple


class Versionage(NamedTuple):
    """Protocol version of a Memoer."""

    major: int
    minor: int


class Sizage(NamedTuple):
    """Text sizes of a gram's header parts: code, neck, mid, vid, signature."""

    bz: int
    nz: int
    mz: int
    vz: int
    az: int


@dataclass(frozen=True)
class MemoGramCodex:
    """Every gram code."""

    GramZero: str = "bAAA"
    Gram: str = "bAAB"
    GramAuthZero: str = "bAAC"
    GramAuth: str = "bAAD"
    GramSureZero: str = "bAAE"
    GramSure: str = "bAAF"
    GramSureAuthZero: str = "bAAG"
    GramSureAuth: str = "bAAH"
    Ack: str = "bAAI"
    AckAuth: str = "bAAJ"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


@dataclass(frozen=True)
class ZeroGramCodex:
    """Codes of a memo's zeroth gram (the one carrying the gram count)."""

    GramZero: str = "bAAA"
    GramAuthZero: str = "bAAC"
    GramSureZero: str = "bAAE"
    GramSureAuthZero: str = "bAAG"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


@dataclass(frozen=True)
class GramCodex:
    """Codes of a memo's later grams (carrying their gram number)."""

    Gram: str = "bAAB"
    GramAuth: str = "bAAD"
    GramSure: str = "bAAF"
    GramSureAuth: str = "bAAH"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


@dataclass(frozen=True)
class AuthGramCodex:
    """Signed codes."""

    GramAuthZero: str = "bAAC"
    GramAuth: str = "bAAD"
    GramSureAuthZero: str = "bAAG"
    GramSureAuth: str = "bAAH"
    AckAuth: str = "bAAJ"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


@dataclass(frozen=True)
class SureGramCodex:
    """Acked codes: the receiver acknowledges them and the sender retries."""

    GramSureZero: str = "bAAE"
    GramSure: str = "bAAF"
    GramSureAuthZero: str = "bAAG"
    GramSureAuth: str = "bAAH"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


@dataclass(frozen=True)
class AckCodex:
    """Acknowledgement codes."""

    Ack: str = "bAAI"
    AckAuth: str = "bAAJ"

    def __iter__(self) -> Iterator[str]:
        return iter(astuple(self))


MemoDex = MemoGramCodex()
ZeroDex = ZeroGramCodex()
GramDex = GramCodex()
AuthDex = AuthGramCodex()
SureDex = SureGramCodex()
AckDex = AckCodex()


def _fast_membership(codex: Any) -> frozenset[str]:
    """Give a codex class O(1) `in`; a dataclass would rebuild a tuple (astuple) per test."""
    members = frozenset(astuple(codex))
    type(codex).__contains__ = lambda self, code: code in members
    return members


for _codex in (MemoDex, ZeroDex, GramDex, AuthDex, SureDex, AckDex):
    _fast_membership(_codex)

ZERO_CODES = frozenset(ZeroDex)
LATER_CODES = frozenset(GramDex)
AUTH_CODES = frozenset(AuthDex)
SURE_CODES = frozenset(SureDex)
ACK_CODES = frozenset(AckDex)

Codes: dict[str, str] = asdict(MemoDex)
Names: dict[str, str] = {code: name for name, code in Codes.items()}

Sizes: dict[str, Sizage] = {
    MemoDex.GramZero: Sizage(4, 4, 24, 0, 0),
    MemoDex.Gram: Sizage(4, 4, 24, 0, 0),
    MemoDex.GramAuthZero: Sizage(4, 4, 24, 44, 88),
    MemoDex.GramAuth: Sizage(4, 4, 24, 0, 88),
    MemoDex.GramSureZero: Sizage(4, 4, 24, 0, 0),
    MemoDex.GramSure: Sizage(4, 4, 24, 0, 0),
    MemoDex.GramSureAuthZero: Sizage(4, 4, 24, 44, 88),
    MemoDex.GramSureAuth: Sizage(4, 4, 24, 0, 88),
    MemoDex.Ack: Sizage(4, 4, 24, 0, 0),
    MemoDex.AckAuth: Sizage(4, 4, 24, 44, 88),
}

# A memo's zeroth code fixes the code of all its later grams.
Pairs: dict[str, str] = {
    MemoDex.GramZero: MemoDex.Gram,
    MemoDex.GramAuthZero: MemoDex.GramAuth,
    MemoDex.GramSureZero: MemoDex.GramSure,
    MemoDex.GramSureAuthZero: MemoDex.GramSureAuth,
}

# Absolute limits (spec "Sizing").
MaxMemoSize = (2**30 - 1) * 4 + 8
MaxGramCount = 2**24 - 1
MaxGramSize = 2**16 - 1
BufSize = 2**16 - 1
UdpMaxGramSize = 1240  # IPv6 minimum MTU 1280 less its 40-byte header


def overhead(code: str, curt: bool = False) -> int:
    """Header plus signature bytes of a gram with this code."""
    oz = sum(Sizes[code])
    return 3 * oz // 4 if curt else oz
