"""The validated shape of a scenario: peers, links, partitions, workloads.

Every part is a frozen dataclass built by :mod:`memosim.testbed.scenario_parse`
(never by hand: the parser is what guarantees its invariants) and held by a
:class:`~memosim.testbed.scenario.Scenario`. docs/scenarios.md documents every
field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..core import codes, grams
from ..core.limits import Limits
from ..core.retry import RetryPolicy
from ..sim import impairments as _imp
from ..sim.rng import std_normal

__all__ = [
    "ALL",
    "DEFAULT_HOST",
    "DOERS",
    "GRAM_KEYS",
    "IMPLS",
    "MAX_GRAM_SIZE",
    "MAX_MEMO_BYTES",
    "SIZE_DISTS",
    "SIZE_KEYS",
    "LinkSpec",
    "PartitionSpec",
    "PeerDefaults",
    "PeerSpec",
    "SizeSpec",
    "WorkloadSpec",
    "freeze",
    "thaw",
    "zero_code",
]

#: The Doer classes a scenario may compare.
DOERS = ("PeerMemoerDoer", "SafePeerMemoerDoer")
#: The PeerMemoer implementations a peer may run (``impl``).
IMPLS = ("memosim", "hio")
#: Host of a peer that names none: every scenario also runs over UDP loopback.
DEFAULT_HOST = "127.0.0.1"
#: Largest gram, header and signature included: the UDP limit (IPv6 MTU 1280 - 40).
MAX_GRAM_SIZE = codes.UdpMaxGramSize
#: Largest memo: a receiver with default Limits holds no more partial bytes per source.
MAX_MEMO_BYTES = Limits().max_bytes_per_source
#: Memo size distributions of a workload.
SIZE_DISTS = ("fixed", "uniform", "lognormal")
#: Wildcard peer reference: every peer (in links and workloads).
ALL = "*"

#: The gram settings a peer may set itself (else [defaults] gives them).
GRAM_KEYS = ("gram_size", "curt", "signed", "acked")
#: The keys of a memo_size table, by distribution (dist first).
SIZE_KEYS = {
    "fixed": ("dist", "bytes"),
    "uniform": ("dist", "min", "max"),
    "lognormal": ("dist", "median", "sigma", "min", "max"),
}


def zero_code(signed: bool, acked: bool) -> str:
    """The zeroth-gram code of a peer with these settings."""
    dex = codes.MemoDex
    if signed:
        return dex.GramSureAuthZero if acked else dex.GramAuthZero
    return dex.GramSureZero if acked else dex.GramZero


def freeze(x: Any) -> Any:
    """A read-only copy of a document part (tables become mapping proxies)."""
    if isinstance(x, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return tuple(freeze(v) for v in x)
    return x


def thaw(x: Any) -> Any:
    """A plain, editable copy of a document part (dicts and lists)."""
    if isinstance(x, Mapping):
        return {k: thaw(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [thaw(v) for v in x]
    return x


# ------------------------------------------------------------------- model


class _Grams:
    """What a peer's gram settings imply (shared by PeerDefaults and PeerSpec)."""

    gram_size: int
    curt: bool
    signed: bool
    acked: bool

    @property
    def code(self) -> str:
        """The zeroth-gram code this peer sends (its later grams use the paired code)."""
        return zero_code(self.signed, self.acked)

    @property
    def overhead(self) -> int:
        """Header and signature bytes of the zeroth gram (the larger overhead)."""
        return codes.overhead(self.code, self.curt)

    @property
    def bodies(self) -> tuple[int, int]:
        """Body bytes of a full zeroth gram and of a full later gram."""
        s = grams.sizing(self.code, self.curt, self.gram_size)
        return s.zeroth_body, s.later_body

    def gram_count(self, memo_bytes: int) -> int:
        """Grams a memo of this many bytes is split into."""
        zeroth, later = self.bodies
        if memo_bytes <= zeroth:
            return 1
        return 1 + -(-(memo_bytes - zeroth) // later)


@dataclass(frozen=True)
class PeerDefaults(_Grams):
    """The ``[defaults]`` table: gram settings of every peer that sets none."""

    gram_size: int = MAX_GRAM_SIZE
    """Largest gram in bytes, header and signature included (hio's ``size``)."""
    curt: bool = False
    """Binary (Base2) headers instead of text (Base64) headers."""
    signed: bool = False
    """Signed (Auth) codes; keys come from the run seed and the peer name."""
    acked: bool = True
    """Acked (Sure) codes; plain codes when false."""


@dataclass(frozen=True)
class PeerSpec(_Grams):
    """One ``[[peers]]`` entry with its gram settings resolved."""

    name: str
    host: str
    port: int
    gram_size: int
    curt: bool
    signed: bool
    acked: bool
    overrides: tuple[str, ...] = ()
    """Which of gram_size, curt, signed, acked the entry sets itself."""
    retry: RetryPolicy = RetryPolicy()
    """Its retry policy: RetryPolicy's defaults, then [retry], then its own retry."""
    retry_set: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The retry keys the entry sets itself (read-only)."""
    interfaces: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Its ``egress`` and ``ingress`` tables as written (read-only), those it has."""
    egress: _imp.LinkConfig | None = None
    """Its egress interface (rate, loss, delay), shared by every link from it."""
    ingress: _imp.LinkConfig | None = None
    """Its ingress interface, shared by every link into it."""
    impl: str = "memosim"
    """Whose PeerMemoer runs this peer: ``"memosim"`` or ``"hio"`` (hio 0.7.20's own)."""

    @property
    def addr(self) -> tuple[str, int]:
        """(host, port): where the peer listens."""
        return (self.host, self.port)


@dataclass(frozen=True)
class LinkSpec:
    """One ``[[links]]`` entry as written, ends resolved to peer names."""

    src: str
    """Sending peer's name, or ``"*"`` for every peer."""
    dst: str
    """Receiving peer's name, or ``"*"`` for every peer."""
    both: bool
    """Also applies from dst to src."""
    impairments: Mapping[str, Any]
    """The validated impairment tables (loss, delay, ...) as written, read-only."""
    config: _imp.LinkConfig
    """The same impairments built by memosim.sim.impairments."""

    @property
    def specificity(self) -> int:
        """2 for name -> name, 1 when one end is ``"*"``, 0 for ``"*" -> "*"``."""
        return (self.src != ALL) + (self.dst != ALL)


@dataclass(frozen=True)
class PartitionSpec:
    """One ``[[partitions]]`` entry: ``peers`` are cut off from all others."""

    peers: tuple[str, ...]
    start_s: float
    end_s: float | None
    """None: the partition never heals."""

    def active(self, t: float) -> bool:
        """True at tyme t in [start_s, end_s)."""
        return self.start_s <= t and (self.end_s is None or t < self.end_s)

    def cuts(self, a: str, b: str, t: float) -> bool:
        """True when this partition drops traffic between peers a and b at tyme t."""
        return self.active(t) and ((a in self.peers) != (b in self.peers))


@dataclass(frozen=True)
class SizeSpec:
    """A memo size distribution, in bytes."""

    dist: str
    """One of SIZE_DISTS."""
    bytes: int | None = None
    """fixed: every memo's size."""
    min: int | None = None
    """uniform, lognormal: smallest size."""
    max: int | None = None
    """uniform, lognormal: largest size."""
    median: float | None = None
    """lognormal: median size."""
    sigma: float | None = None
    """lognormal: standard deviation of the size's natural log."""

    @property
    def largest(self) -> int:
        """Largest memo this distribution gives."""
        return self.bytes if self.dist == "fixed" else self.max  # type: ignore[return-value]

    @property
    def smallest(self) -> int:
        """Smallest memo this distribution gives."""
        return self.bytes if self.dist == "fixed" else self.min  # type: ignore[return-value]

    def sample(self, rng: Any) -> int:
        """Draw one size using only ``rng.random()`` (seeded streams stay portable)."""
        if self.dist == "fixed":
            return self.bytes  # type: ignore[return-value]
        lo, hi = self.min, self.max
        assert lo is not None and hi is not None
        if self.dist == "uniform":
            return min(hi, lo + int(rng.random() * (hi - lo + 1)))
        assert self.median is not None and self.sigma is not None
        z = std_normal(rng.random)
        try:
            return max(lo, min(hi, round(self.median * math.exp(self.sigma * z))))
        except OverflowError:  # a huge sigma: exp past the float range, clamped to max
            return hi

    def to_dict(self) -> dict[str, Any]:
        """The ``memo_size`` table."""
        out: dict[str, Any] = {"dist": self.dist}
        for key in SIZE_KEYS[self.dist][1:]:
            out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class WorkloadSpec:
    """One ``[[workload]]`` entry: each (src, dst) pair sends ``count`` memos."""

    src: str | tuple[str, ...]
    """``"*"`` or the sending peers' names."""
    dst: str | tuple[str, ...]
    """``"*"`` or the receiving peers' names."""
    count: int
    """Memos sent by each (src, dst) pair."""
    interval_s: float | None
    """Tyme between one pair's memos (given instead of rate_per_s)."""
    rate_per_s: float | None
    """Memos per second of one pair (given instead of interval_s)."""
    start_s: float
    """Tyme of each pair's first memo."""
    memo_size: SizeSpec
    pairs: tuple[tuple[str, str], ...]
    """Every (src, dst) pair, src != dst, in peer order."""

    @property
    def period_s(self) -> float:
        """Tyme between one pair's successive memos."""
        if self.interval_s is not None:
            return self.interval_s
        return 1.0 / self.rate_per_s  # type: ignore[operator]

    @property
    def end_s(self) -> float:
        """Tyme of the last memo (start_s when count is 0 or 1)."""
        return self.start_s + max(self.count - 1, 0) * self.period_s

    def times(self) -> tuple[float, ...]:
        """Tymes at which each pair queues its memos."""
        period = self.period_s
        return tuple(self.start_s + i * period for i in range(self.count))
