"""The ``[explore]`` table: the ranges ``memosim explore`` draws each run's faults from.

Swarm testing needs, per scenario, how wild the network may get: for each
impairment the chance that a link has it in a run and the range its
strength is drawn from, how many partitions and link outages, and how far
the workload may be scaled down. A scenario without the table, or a key it
leaves out, gets :data:`DEFAULTS` (docs/scenarios.md lists them). The table
is checked like the rest of a scenario file: one
:class:`~memosim.errors.ScenarioError` naming the key path
(``explore.loss.rate``), what was expected and what was found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..errors import ScenarioError, show
from ..sim.impairments import IP_UDP_OVERHEAD
from ..validation import check_keys, is_number, table
from .limits import MAX_EXPLORE_COUNT
from .retry_table import resolve_retry

#: Largest integer an "ints" range may reach (a window, a queue, a number of tries).
MAX_EXPLORE_INT = 100_000
#: Largest IPv4 datagram (an "mtu" range).
MAX_MTU = 65_535

__all__ = ["DEFAULTS", "FIELDS", "check_retry_draws", "parse_explore"]

# Each entry: key -> {field: (kind, default)}; kinds below.
#  "p": a probability in [0, 1]; "frac": a range [lo, hi] within [0, 1];
#  "secs": a range of seconds >= 0; "count": a range of integers >= 0;
#  "scale": a range within (0, 1]; "bps": a range of bits per second > 0;
#  "ints": a range of integers >= 1; "mtu": a range of IPv4 datagram sizes.
FIELDS: dict[str, dict[str, tuple[str, Any]]] = {
    "loss": {"p": ("p", 0.7), "rate": ("frac", (0.0, 0.3))},
    "gilbert_elliott": {
        "p": ("p", 0.3),
        "enter": ("frac", (0.005, 0.05)),
        "leave": ("frac", (0.1, 0.6)),
    },
    "delay": {
        "p": ("p", 1.0),
        "base_s": ("secs", (0.001, 0.05)),
        "jitter_s": ("secs", (0.0, 0.02)),
    },
    "duplicate": {"p": ("p", 0.4), "rate": ("frac", (0.0, 0.5))},
    "reorder": {"p": ("p", 0.4), "rate": ("frac", (0.0, 0.5))},
    "corrupt": {"p": ("p", 0.3), "rate": ("frac", (0.0, 0.05)), "deliver": ("p", 0.5)},
    "partitions": {"count": ("count", (0, 2)), "length_s": ("secs", (0.5, 10.0))},
    "link_down": {
        "p": ("p", 0.2),
        "count": ("count", (1, 2)),
        "length_s": ("secs", (0.5, 20.0)),
    },
    "workload": {"count": ("scale", (0.2, 1.0)), "size": ("scale", (0.1, 1.0))},
    # off unless the table turns them on (p = 0): a bottleneck, a small MTU and
    # the retry settings change what is under test, not only how hostile the
    # network is; each draws from a stream of its own, so turning one on
    # leaves every other draw of a run as it was
    "rate": {
        "p": ("p", 0.0),
        "bps": ("bps", (100_000.0, 10_000_000.0)),
        "queue_limit": ("ints", (4, 128)),
    },
    "mtu": {"p": ("p", 0.0), "bytes": ("mtu", (576, 1500))},
    "retry": {
        "p": ("p", 0.0),
        "fast": ("p", 0.5),
        "window": ("ints", (1, 64)),
        "newreno": ("p", 0.5),
        "max_tries": ("ints", (2, 10)),
    },
}

#: Every field's default, as parse_explore returns them.
DEFAULTS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {k: MappingProxyType({f: d for f, (_kind, d) in v.items()}) for k, v in FIELDS.items()}
)

_EXPECTED = {
    "p": "a probability in [0, 1]",
    "frac": "a range [low, high] with 0 <= low <= high <= 1",
    "secs": "a range [low, high] of seconds with 0 <= low <= high",
    "count": f"a range [low, high] of integers with 0 <= low <= high <= {MAX_EXPLORE_COUNT}",
    "scale": "a range [low, high] of factors with 0 < low <= high <= 1",
    "bps": "a range [low, high] of bits per second with 1 <= low <= high",
    "ints": f"a range [low, high] of integers with 1 <= low <= high <= {MAX_EXPLORE_INT:,}",
    "mtu": f"a range [low, high] of integers with {IP_UDP_OVERHEAD + 1} <= low <= high <= {MAX_MTU}",
}


def _range_ok(kind: str, x: Any) -> bool:
    if not isinstance(x, (list, tuple)) or len(x) != 2 or not all(is_number(v) for v in x):
        return False
    lo: float = x[0]
    hi: float = x[1]
    if lo > hi:
        return False
    if kind == "frac":
        return 0 <= lo and hi <= 1
    if kind == "secs":
        return lo >= 0
    ints = isinstance(lo, int) and isinstance(hi, int)
    if kind == "count":
        return ints and lo >= 0 and hi <= MAX_EXPLORE_COUNT
    if kind == "ints":
        return ints and lo >= 1 and hi <= MAX_EXPLORE_INT
    if kind == "mtu":
        return ints and lo > IP_UDP_OVERHEAD and hi <= MAX_MTU
    if kind == "bps":
        return 1 <= lo and math.isfinite(hi)  # drawn as whole bits per second
    return 0 < lo and hi <= 1  # scale


def _field(kind: str, x: Any, path: str) -> Any:
    if kind == "p":
        if not is_number(x) or not 0 <= x <= 1:
            raise ScenarioError("", path, _EXPECTED[kind], x)
        return float(x)
    if not _range_ok(kind, x):
        raise ScenarioError("", path, _EXPECTED[kind], x)
    lo, hi = x
    return (int(lo), int(hi)) if kind in ("count", "ints", "mtu") else (float(lo), float(hi))


def parse_explore(x: Any, path: str = "explore") -> Mapping[str, Mapping[str, Any]]:
    """The ranges of an ``[explore]`` table, every absent key at its default."""
    d = table(x, path, "a table [explore]")
    check_keys(d, path, tuple(FIELDS))
    out: dict[str, Mapping[str, Any]] = {}
    for key, fields in FIELDS.items():
        sub_path = f"{path}.{key}"
        sub = table(d.get(key, {}), sub_path, f"a table {{{', '.join(fields)}}}")
        check_keys(sub, sub_path, tuple(fields))
        out[key] = MappingProxyType(
            {
                f: _field(kind, sub[f], f"{sub_path}.{f}") if f in sub else default
                for f, (kind, default) in fields.items()
            }
        )
    return MappingProxyType(out)


def check_retry_draws(
    ranges: Mapping[str, Mapping[str, Any]],
    top: Mapping[str, Any],
    owns: list[tuple[str, Mapping[str, Any]]],
) -> None:
    """Refuse a retry draw the file's settings cannot run. A drawn policy
    brings its own default ack_delay, which the file's max_rto must exceed;
    found only when a run's document was parsed, it stopped an exploration
    whose file `memosim validate` passed. owns: (path, a peer's own retry)."""
    retry = ranges["retry"]
    if not retry["p"] > 0:
        return
    for policy, need, chance in (("fast", 0, retry["fast"]), ("rto", 1, 1.0 - retry["fast"])):
        drawn = {"policy": policy}  # as explore_draw lays it over the file's tables
        for path, own in owns if chance > 0 else ():
            try:
                resolve_retry({**top, **drawn}, {**own, **drawn} if own else {}, path)
            except ScenarioError as ex:
                what = f"{ex.path}: expected {ex.expected}, found {show(ex.found)}"
                why = f'a drawn policy "{policy}" makes {what}'
                raise ScenarioError(
                    "", "explore.retry.fast", f"a chance of {need} ({why})", retry["fast"]
                ) from None


def explore_dict(ranges: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The ranges as a plain document (tuples as lists), for to_dict and files."""
    return {
        k: {f: list(v) if isinstance(v, tuple) else v for f, v in fields.items()}
        for k, fields in ranges.items()
    }
