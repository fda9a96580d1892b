"""Link impairment models with netem's vocabulary, built from plain dicts.

Each model is a small immutable class holding only parameters. A link turns
a model into a *draw function* with :meth:`bind`, giving it the link's own
named random stream; the function keeps whatever per-link state the model
needs (correlation memory, Gilbert-Elliott state, reorder gap counter).

A link spec is a TOML-friendly dict, validated by
:func:`build_link_impairments`::

    {"loss": {"rate": 0.01},
     "delay": {"base_s": 0.020, "jitter_s": 0.005, "distribution": "normal"},
     "reorder": {"rate": 0.1, "gap": 5},
     "duplicate": {"rate": 0.001},
     "corrupt": {"rate": 0.001, "deliver": False},
     "rate": {"bps": 1_000_000, "queue_limit": 64},
     "mtu": 1500,
     "schedule": [{"at": 5.0, "state": "down"}, {"at": 7.5, "state": "up"}]}

Validation uses :mod:`memosim.validation`; every error is a
:class:`~memosim.errors.ScenarioError` naming the offending key path, e.g.
``links[0].loss.rate: expected a number in [0, 1], found 1.5``.
docs/network.md describes every parameter and its netem counterpart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import MISSING, ScenarioError
from ..validation import (
    at,
    boolean,
    check_keys,
    choice,
    integer,
    is_number,
    nonneg,
    positive,
    table,
)
from .rng import std_normal

__all__ = [
    "IP_UDP_OVERHEAD",
    "BernoulliLoss",
    "CorruptModel",
    "DelayModel",
    "DuplicateModel",
    "GilbertElliottLoss",
    "LinkConfig",
    "RateLimit",
    "ReorderModel",
    "Schedule",
    "build_link_impairments",
]

#: Bytes an IPv4 header (no options) and a UDP header add to a payload.
IP_UDP_OVERHEAD = 28

DISTRIBUTIONS = ("uniform", "normal", "pareto", "lognormal")


# ---------------------------------------------------------------- validation


def _prob(d: Mapping[str, Any], key: str, path: str, default: Any = MISSING) -> float:
    x = d.get(key, default)
    if not is_number(x) or not 0.0 <= x <= 1.0:
        if is_number(x) and 2.0 <= x <= 100.0:  # a percentage: say how to write it
            raise ScenarioError(
                "", at(path, key), f"a number in [0, 1] (a fraction: {x / 100:g} for {x:g}%)", x
            )
        raise ScenarioError("", at(path, key), "a number in [0, 1]", x)
    return float(x)


def _keyed(x: Any, path: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    """``x`` when it is a table of ``known`` keys only."""
    d = table(x, path, f"a table with keys {', '.join(known)}")
    check_keys(d, path, known)
    return d


# -------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class BernoulliLoss:
    """Drop each datagram independently with probability ``rate``.

    netem ``loss random RATE [CORRELATION]``. With ``correlation`` c > 0
    each datagram repeats the previous datagram's fate with probability c
    and draws a fresh one otherwise. Losses then cluster (the chance that a
    loss follows a loss is c + (1 - c) * rate) while the long-run loss
    fraction stays ``rate``. netem instead smooths the uniform draw
    (u' = (1 - c) u + c u_prev), which lowers the loss fraction well below
    ``rate`` (at rate 0.1, c 0.5 it loses almost nothing); a testbed whose
    ``rate`` is not its loss rate would mislead, so we keep the mean.
    """

    rate: float
    correlation: float = 0.0

    def bind(self, rng: random.Random) -> Callable[[], bool]:
        rate, c, rnd = self.rate, self.correlation, rng.random
        if c == 0.0:
            return lambda: rnd() < rate
        last = rnd() < rate

        def lost() -> bool:
            nonlocal last
            if rnd() >= c:
                last = rnd() < rate
            return last

        return lost


@dataclass(frozen=True, slots=True)
class GilbertElliottLoss:
    """Two-state Markov loss (netem ``loss gemodel p r 1-h 1-k``).

    The chain is in state *good* or *bad*; it starts good. For each datagram
    it first moves (good -> bad with probability ``p``, bad -> good with
    probability ``r``), then drops the datagram with probability
    ``good_loss`` (netem 1-k) in the good state or ``bad_loss`` (netem 1-h)
    in the bad state. With the defaults (bad_loss 1, good_loss 0) the mean
    loss burst is 1/r datagrams and the loss rate is p / (p + r).
    """

    p: float
    r: float
    bad_loss: float = 1.0
    good_loss: float = 0.0

    def bind(self, rng: random.Random) -> Callable[[], bool]:
        p, r, bad_loss, good_loss, rnd = self.p, self.r, self.bad_loss, self.good_loss, rng.random
        bad = False

        def lost() -> bool:
            nonlocal bad
            if bad:
                if rnd() < r:
                    bad = False
            elif rnd() < p:
                bad = True
            prob = bad_loss if bad else good_loss
            if prob >= 1.0:
                return True
            if prob <= 0.0:
                return False
            return rnd() < prob

        return lost


@dataclass(frozen=True, slots=True)
class DelayModel:
    """Propagation delay ``base_s`` plus random jitter, in seconds.

    netem ``delay TIME [JITTER] [distribution DIST]``. ``jitter_s`` is the
    spread: the half-width for ``uniform`` (base +- jitter), the standard
    deviation for ``normal``, ``pareto`` and ``lognormal``. ``normal`` and
    ``uniform`` are symmetric around base and clipped at 0; ``pareto`` and
    ``lognormal`` are positive, right-skewed distributions with mean base
    and standard deviation jitter (pareto's tail is heavy). Jitter lets a
    later datagram overtake an earlier one unless ``keep_order`` is true,
    in which case a datagram never arrives before its link predecessor.
    """

    base_s: float
    jitter_s: float = 0.0
    distribution: str = "uniform"
    keep_order: bool = False

    def bind(self, rng: random.Random) -> Callable[[], float] | None:
        """Return a sampler of delays, or None when the delay is constant."""
        base, jit, rnd = self.base_s, self.jitter_s, rng.random
        if jit == 0.0:
            return None
        dist = self.distribution
        if dist == "uniform":
            lo, width = base - jit, 2.0 * jit

            def uniform() -> float:
                d = lo + width * rnd()
                return d if d > 0.0 else 0.0

            return uniform
        if dist == "normal":

            def normal() -> float:
                d = base + jit * std_normal(rnd)
                return d if d > 0.0 else 0.0

            return normal
        if dist == "lognormal":
            r = jit / base
            if r < 1e150:
                s2 = math.log1p(r * r)
            else:  # log r without forming r, which may overflow to inf
                s2 = 2.0 * (math.log(jit) - math.log(base))
            mu, sigma = math.log(base) - s2 / 2.0, math.sqrt(s2)
            exp = math.exp

            def lognormal() -> float:
                try:
                    return exp(mu + sigma * std_normal(rnd))
                except OverflowError:  # beyond the float range: never arrives
                    return math.inf

            return lognormal
        # pareto with mean base and standard deviation jit:
        # alpha = 1 + sqrt(1 + base^2 / jit^2), xm = base * (alpha - 1) / alpha
        ratio = base / jit
        if ratio > 1e12:  # spread far below float resolution: constant
            return None
        alpha = 1.0 + math.hypot(1.0, ratio)
        xm, inv = base * (alpha - 1.0) / alpha, -1.0 / alpha
        return lambda: xm * (1.0 - rnd()) ** inv


@dataclass(frozen=True, slots=True)
class ReorderModel:
    """netem ``reorder RATE gap GAP``: some datagrams skip the delay.

    Needs a delay. A datagram is a reorder candidate once ``gap - 1``
    datagrams have been delayed since the last reordered one (every datagram
    is a candidate when gap is 0 or 1); a candidate is sent without the
    delay with probability ``rate``, so it overtakes those still in flight.
    With rate 1 and gap N exactly every Nth datagram skips the delay.
    """

    rate: float
    gap: int = 0

    def bind(self, rng: random.Random) -> Callable[[], bool]:
        rate, need, rnd = self.rate, max(self.gap - 1, 0), rng.random
        count = 0

        def reordered() -> bool:
            nonlocal count
            if count >= need and rnd() < rate:
                count = 0
                return True
            count += 1
            return False

        return reordered


@dataclass(frozen=True, slots=True)
class DuplicateModel:
    """netem ``duplicate RATE``: with probability ``rate`` a second copy of
    the datagram is sent; the copy meets corruption, queue and delay on its
    own."""

    rate: float

    def bind(self, rng: random.Random) -> Callable[[], bool]:
        rate, rnd = self.rate, rng.random
        return lambda: rnd() < rate


@dataclass(frozen=True, slots=True)
class CorruptModel:
    """netem ``corrupt RATE``: with probability ``rate`` one random bit of the
    payload is flipped. A real UDP checksum would catch it: with ``deliver``
    false (the default) the receiver's stack drops the datagram on arrival
    (reason ``corrupt``); with ``deliver`` true the flipped payload is
    delivered, as if checksums were off."""

    rate: float
    deliver: bool = False

    def bind(self, rng: random.Random) -> Callable[[bytes], bytes | None]:
        """Return ``f(data)``: the corrupted payload, or None if untouched."""
        rate, rnd = self.rate, rng.random

        def corrupt(data: bytes) -> bytes | None:
            if rnd() >= rate or not data:
                return None
            bit = int(rnd() * (len(data) * 8))
            flipped = bytearray(data)
            flipped[bit >> 3] ^= 1 << (bit & 7)
            return bytes(flipped)

        return corrupt


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A bottleneck: a FIFO queue served at ``bps`` bits per second.

    Serialising a datagram takes (payload + ``overhead``) * 8 / bps seconds
    (overhead defaults to the 28 bytes of IPv4 and UDP headers, like netem's
    ``rate RATE packetoverhead N``). At most ``queue_limit`` datagrams are in
    the queue, counting the one being serialised; a datagram arriving at a
    full queue is dropped (tail drop, reason ``queue``; netem ``limit``).
    Propagation delay starts when serialisation ends.
    """

    bps: float
    queue_limit: int = 64
    overhead: int = IP_UDP_OVERHEAD


@dataclass(frozen=True, slots=True)
class Schedule:
    """Link down/up changes at sim times; a datagram entering the link while
    it is down is dropped (reason ``down``). ``windows`` holds the down
    periods as [start, end) pairs, end = inf when it never comes back."""

    windows: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """All impairments of one directional link; None means absent."""

    loss: BernoulliLoss | GilbertElliottLoss | None = None
    delay: DelayModel | None = None
    reorder: ReorderModel | None = None
    duplicate: DuplicateModel | None = None
    corrupt: CorruptModel | None = None
    rate: RateLimit | None = None
    mtu: int | None = None
    schedule: Schedule | None = None

    @property
    def clean(self) -> bool:
        """True when the link neither drops, delays nor alters anything."""
        return all(getattr(self, f) is None for f in self.__slots__)


# ------------------------------------------------------------------- builder

KEYS = ("loss", "delay", "reorder", "duplicate", "corrupt", "rate", "mtu", "schedule")


def build_link_impairments(
    spec: Mapping[str, Any] | LinkConfig | None, path: str = ""
) -> LinkConfig:
    """Validate a link spec dict and return its :class:`LinkConfig`.

    ``path`` is the key path of ``spec`` in the caller's document (e.g.
    ``links[0]``) and prefixes the key path of every
    :class:`~memosim.errors.ScenarioError` (raised without a file).
    """
    if spec is None:
        return LinkConfig()
    if isinstance(spec, LinkConfig):
        return spec
    spec = _keyed(spec, path, KEYS)
    out: dict[str, Any] = {}
    for key in KEYS:
        if key in spec:
            out[key] = _BUILDERS[key](spec[key], at(path, key))
    if "reorder" in out and "delay" not in out:
        raise ScenarioError(
            "", at(path, "reorder"), "a delay on the same link (as in netem)", spec["reorder"]
        )
    return LinkConfig(**out)


def _build_loss(x: Any, path: str) -> BernoulliLoss | GilbertElliottLoss:
    if isinstance(x, Mapping) and x.get("model", "bernoulli") == "gilbert_elliott":
        d = _keyed(x, path, ("model", "p", "r", "bad_loss", "good_loss"))
        p = _prob(d, "p", path)
        r = _prob(d, "r", path, 1.0 - p)  # netem: r defaults to 1 - p
        return GilbertElliottLoss(
            p, r, _prob(d, "bad_loss", path, 1.0), _prob(d, "good_loss", path, 0.0)
        )
    d = _keyed(x, path, ("model", "rate", "correlation"))
    choice(d.get("model", "bernoulli"), at(path, "model"), ("bernoulli", "gilbert_elliott"))
    return BernoulliLoss(_prob(d, "rate", path), _prob(d, "correlation", path, 0.0))


def _build_delay(x: Any, path: str) -> DelayModel:
    d = _keyed(x, path, ("base_s", "jitter_s", "distribution", "keep_order"))
    base = nonneg(d, "base_s", path)
    jitter = nonneg(d, "jitter_s", path, 0.0)
    dist = choice(d.get("distribution", "uniform"), at(path, "distribution"), DISTRIBUTIONS)
    if dist in ("pareto", "lognormal") and jitter > 0 and base <= 0:
        raise ScenarioError(
            "", at(path, "base_s"), f"a number > 0 (the mean of the {dist} delay)", d["base_s"]
        )
    return DelayModel(base, jitter, dist, boolean(d, "keep_order", path, False))


def _build_reorder(x: Any, path: str) -> ReorderModel:
    d = _keyed(x, path, ("rate", "gap"))
    return ReorderModel(_prob(d, "rate", path), integer(d, "gap", path, 0, default=0))


def _build_duplicate(x: Any, path: str) -> DuplicateModel:
    d = _keyed(x, path, ("rate",))
    return DuplicateModel(_prob(d, "rate", path))


def _build_corrupt(x: Any, path: str) -> CorruptModel:
    d = _keyed(x, path, ("rate", "deliver"))
    return CorruptModel(_prob(d, "rate", path), boolean(d, "deliver", path, False))


def _build_rate(x: Any, path: str) -> RateLimit:
    d = _keyed(x, path, ("bps", "queue_limit", "overhead"))
    return RateLimit(
        positive(d, "bps", path),
        integer(d, "queue_limit", path, 1, default=64),
        integer(d, "overhead", path, 0, default=IP_UDP_OVERHEAD),
    )


def _build_mtu(x: Any, path: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < IP_UDP_OVERHEAD + 1:
        raise ScenarioError(
            "", path, f"an integer >= {IP_UDP_OVERHEAD + 1} (IPv4 datagram bytes)", x
        )
    return x


def _build_schedule(x: Any, path: str) -> Schedule:
    if not isinstance(x, (list, tuple)):
        raise ScenarioError("", path, 'an array of tables {at = seconds, state = "down" | "up"}', x)
    windows: list[tuple[float, float]] = []
    down_since: float | None = None
    prev = 0.0
    for i, item in enumerate(x):
        p = f"{path}[{i}]"
        d = _keyed(item, p, ("at", "state"))
        t = nonneg(d, "at", p)
        if t < prev:
            raise ScenarioError(
                "", at(p, "at"), f"a time >= {prev!r} (entries in time order)", d["at"]
            )
        prev = t
        if choice(d.get("state", MISSING), at(p, "state"), ("down", "up")) == "down":
            if down_since is None:
                down_since = t
        elif down_since is not None:
            if t > down_since:
                windows.append((down_since, t))
            down_since = None
    if down_since is not None:
        windows.append((down_since, math.inf))
    return Schedule(tuple(windows))


_BUILDERS: dict[str, Callable[[Any, str], Any]] = {
    "loss": _build_loss,
    "delay": _build_delay,
    "reorder": _build_reorder,
    "duplicate": _build_duplicate,
    "corrupt": _build_corrupt,
    "rate": _build_rate,
    "mtu": _build_mtu,
    "schedule": _build_schedule,
}
