"""Limits of one scenario (docs/scenarios.md, "Limits").

A typo or a hostile file is refused with one line instead of exhausting
memory or CPU; the parser checks each limit where the value is read.
"""

from __future__ import annotations

__all__ = [
    "LIMITS",
    "MAX_DEPTH",
    "MAX_DURATION_S",
    "MAX_EXPLORE_COUNT",
    "MAX_FILE_BYTES",
    "MAX_LINK_PAIRS",
    "MAX_MEMOS",
    "MAX_PASSES",
    "MAX_PEERS",
    "MAX_WORKLOAD_BYTES",
    "MIN_TOCK_S",
]

MAX_FILE_BYTES = 1 << 20
"""Largest scenario file (1 MiB)."""
MAX_DEPTH = 10
"""Tables and arrays nested inside each other, the document itself included."""
MAX_PEERS = 256
"""``[[peers]]`` entries."""
MAX_LINK_PAIRS = 65_536
"""Directed (src, dst) pairs covered by all ``[[links]]`` entries together."""
MAX_MEMOS = 100_000
"""Memos sent in one run (every workload and pair)."""
MAX_WORKLOAD_BYTES = 256 << 20
"""Bytes of memos one run may queue (count x pairs x largest memo, summed)."""
MAX_PASSES = 1_000_000
"""Doist passes of one run: duration_s / tock_s."""
MIN_TOCK_S = 1e-4
"""Shortest tock: a udp run paces one pass per tock in real time."""
MAX_DURATION_S = 86_400.0
"""Longest run (a day of tyme)."""
MAX_EXPLORE_COUNT = 100
"""Highest count an ``[explore]`` range may draw: partitions per run, outages per link."""
LIMITS = {
    "file bytes": MAX_FILE_BYTES,
    "nesting depth": MAX_DEPTH,
    "peers": MAX_PEERS,
    "link pairs": MAX_LINK_PAIRS,
    "memos per run": MAX_MEMOS,
    "memo bytes per run": MAX_WORKLOAD_BYTES,
    "passes per run": MAX_PASSES,
    "tock_s minimum": MIN_TOCK_S,
    "duration_s maximum": MAX_DURATION_S,
    "explore count maximum": MAX_EXPLORE_COUNT,
}
