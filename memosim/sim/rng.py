"""Named, independent random streams derived from one scenario seed.

Every random draw in a simulation comes from a stream named after its one
consumer (``link:a->b:loss``, ``peer:alice:mids``, ...). A stream's state is
seeded from SHA-256 over the seed and the name, so:

- adding, removing or reordering streams never shifts another stream;
- the same (seed, name) gives the same sequence on every machine and every
  CPython version (``random.Random`` is MT19937 seeded from an int by a fixed
  algorithm, and ``random()`` is the only draw this package relies on);
- nothing reads the OS RNG or the clock.

Two consumers must not share one name: each call to :meth:`Streams.stream`
returns a fresh generator, so two callers with the same name would draw the
same numbers.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable

__all__ = ["Streams", "derive_seed", "std_normal"]

#: Domain-separation prefix, bumped if the derivation ever changes.
DERIVATION = b"memosim.sim.rng/v1"


def derive_seed(seed: int, name: str) -> int:
    """Return the 256-bit integer seed of stream ``name`` under ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    material = b"\0".join((DERIVATION, str(seed).encode(), name.encode("utf-8")))
    return int.from_bytes(hashlib.sha256(material).digest(), "big")


def std_normal(rnd: Callable[[], float]) -> float:
    """One standard normal variate by Box-Muller from two draws of ``rnd``.

    The one normal sampler of the package (link delays, memo sizes): it uses
    only ``random()``, so seeded streams give the same variates everywhere.
    """
    return math.sqrt(-2.0 * math.log(1.0 - rnd())) * math.cos(math.tau * rnd())


class Streams:
    """Factory of named random streams for one scenario seed.

    Parameters:
        seed: the scenario seed (any int, negative allowed).
    """

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        derive_seed(seed, "")  # type check up front
        self.seed = seed

    def stream(self, name: str) -> random.Random:
        """Return a new generator for ``name``, independent of all other names."""
        return random.Random(derive_seed(self.seed, name))

    def randbytes(self, name: str) -> Callable[[int], bytes]:
        """Return a function ``f(n) -> bytes`` drawing from stream ``name``.

        Handy for memo ids: ``midder = streams.randbytes("peer:alice:mids")``
        and ``midder(16)``.
        """
        rng = self.stream(name)

        def draw(n: int = 16) -> bytes:
            return rng.getrandbits(8 * n).to_bytes(n, "big") if n else b""

        return draw

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed!r})"
