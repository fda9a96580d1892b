"""Counters of what a Memoer received, dropped (by reason), delivered and sent.

Plain integers and one Counter, so a snapshot is cheap and serialises as
JSON for metrics and regression data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields


@dataclass
class Stats:
    """Per-Memoer counters. `dropped` is keyed by reason tag."""

    grams_received: int = 0
    bytes_received: int = 0
    grams_sent: int = 0
    bytes_sent: int = 0
    memos_sent: int = 0
    memos_delivered: int = 0
    memos_expired: int = 0
    memos_evicted: int = 0
    acks_sent: int = 0
    acks_received: int = 0
    grams_retransmitted: int = 0
    memos_failed: int = 0
    loss_events: int = 0  # congestion windows cut by a loss event
    persistent_congestion: int = 0  # congestion windows collapsed to the minimum
    window_sum: int = 0  # the window in force at each first send of a gram, summed
    window_sends: int = 0  # first sends of grams under a window (window_sum's count)
    dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready snapshot."""
        out: dict[str, object] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name != "dropped"
        }
        out["dropped"] = dict(sorted(self.dropped.items()))
        return out
