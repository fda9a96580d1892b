"""What every explore run must keep, checked on one Doer's finished sim run.

- Acked delivery (a Doer that promises it, doers.promises_acked, with
  acked codes on every sender): no memo lost silently, none delivered twice,
  none delivered corrupt (report.BREACH_KEYS). A memo reported in the
  sender's ``failures`` keeps the promise, delivered or not. A memo still
  in flight at the end keeps it only while its sender's ``max_tyme`` since
  it was queued has not passed (:func:`stuck`): a sender that never gives
  up would otherwise hide every loss as "in flight".
- Every Doer: nothing raised out of the run (the task catches it), and what
  remote peers make a peer hold stays within its Limits, sampled every
  pass (:class:`MemoryWatch`).
- The network: every datagram is accounted for, ``sent + duplicated =
  delivered + dropped + in flight at the end`` (:func:`conservation`).

Each check gives violations as short lines (``"2 lost silently"``); none
means the run kept every invariant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .report import BREACH_KEYS

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["MemoryWatch", "acked_violations", "conservation", "stuck"]


def acked_violations(summary: Mapping[str, Any]) -> list[str]:
    """How a promising run broke acked delivery (empty: it kept it)."""
    out = []
    for key, name in BREACH_KEYS:
        count = summary.get(key) or 0
        if count > 0:
            out.append(f"{count:,} {name}")
    return out


def stuck(rows: Iterable[Mapping[str, Any]], scenario: Scenario) -> list[str]:
    """Memos (memos.csv rows) in flight at the end whose sender's max_tyme
    had passed since they were queued: a wound sender fails a Sure memo
    max_tyme after it was rended, in the pass it was queued in, so one
    still held two passes later will never be settled."""
    end, slack = scenario.duration_s, 2 * scenario.tock_s
    late = sum(
        1
        for r in rows
        if r["outcome"] == "in_flight"
        and r["sent_s"] + scenario.peer(r["src"]).retry.max_tyme + slack < end
    )
    return [f"{late:,} stuck past max_tyme"] if late else []


def conservation(counters: Mapping[str, Any], in_flight: int) -> list[str]:
    """The network's totals balance: every datagram sent (and every duplicate
    copy) was delivered, dropped, or is still in flight."""
    t = counters.get("total", {})
    came = t.get("sent", 0) + t.get("duplicated", 0)
    went = t.get("delivered", 0) + sum(t.get("dropped", {}).values()) + in_flight
    if came == went:
        return []
    return [
        f"network: {came:,} sent (with duplicates) but {went:,} delivered, dropped or in flight"
    ]


class MemoryWatch:
    """Samples every peer's held state each pass (as the run's progress hook)
    and keeps the first excess over its Limits: partial and one-gram memos
    held, their bytes, and the delivered memo ids remembered."""

    def __init__(self) -> None:
        self.peers: Mapping[str, Any] = {}
        self.breach: str | None = None

    def __call__(self, peers: Mapping[str, Any]) -> None:  # run_sim's watch hook
        self.peers = peers

    def update(self, tyme: float, _delivered: int) -> None:  # the Collector's progress call
        if self.breach is None:
            self.check(tyme)

    def check(self, tyme: float) -> None:
        for name, peer in self.peers.items():
            rx, lim = peer.engine.rx, peer.engine.limits
            held = (
                ("partial memos", len(rx), lim.max_memos),
                ("bytes of partial memos", rx.nbytes, lim.max_bytes),
                ("bytes of one-gram memos", rx.whole_bytes, lim.max_bytes),
                ("delivered ids", len(rx.done), lim.done_window),
                ("delivered Sure ids", len(rx.sure), lim.sure_window * lim.sure_sources),
            )
            for what, n, bound in held:
                if n > bound:
                    self.breach = (
                        f"memory: {name} held {n:,} {what} at {tyme:g} s (bound {bound:,})"
                    )
                    return

    def violations(self) -> list[str]:
        return [] if self.breach is None else [self.breach]
