"""The table `memosim sweep` prints: each combination and Doer, mean and 95% interval.

An interval that a metric's range clips (a ratio cannot exceed 1, a
latency cannot go below 0) is shown as [low, high] rather than as a +-
that would suggest impossible values; the CSV keeps mean and half-width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import show
from .metrics import shown_ratio
from .report import breaches, format_rows

__all__ = ["sweep_breaches", "sweep_table"]


def _pm(
    digits: int, scale: float = 1.0, top: float | None = None
) -> Callable[[dict[str, Any], str], str]:
    """mean +- half-width; an interval reaching below 0 (or above top) is shown
    clipped, as [low, high], so no cell suggests a negative latency. A metric
    with a top is a ratio in [0, 1]: its mean reads 1 only when it is 1."""

    def fmt(row: dict[str, Any], stem: str) -> str:
        mean, half = row.get(f"{stem}_mean"), row.get(f"{stem}_ci95")
        if mean is None:
            return "-"
        text = f"{mean * scale:.{digits}f}" if top is None else shown_ratio(mean, digits)
        if half is None:
            return text
        lo, hi = mean - half, mean + half
        if lo < 0 or (top is not None and hi > top):
            lo, hi = max(lo, 0.0), hi if top is None else min(hi, top)
            return f"{text} [{lo * scale:.{digits}f}, {hi * scale:.{digits}f}]"
        return f"{text} +- {half * scale:.{digits}f}"

    return fmt


def sweep_table(result: Any) -> str:
    """The rows of a sweep as a plain-text table (mean +- 95% CI half-width)."""

    def value(v: Any) -> str:
        return v if isinstance(v, str) else show(v)

    stats = (
        ("delivery ratio", "delivery_ratio", _pm(4, top=1.0)),
        ("p99 latency (ms)", "latency_p99_s", _pm(1, 1000.0)),
        ("retx per memo", "retransmissions_per_memo", _pm(3)),
        ("overhead ratio", "overhead_ratio", _pm(3)),
    )
    cols: list[Any] = [(p, p, value) for p in result.paths]
    cols += [("doer", "doer", str), ("n", "n", str)]
    cols += [(head, f"={stem}", str) for head, stem, _ in stats]
    shown = [row | {f"={stem}": fmt(row, stem) for _, stem, fmt in stats} for row in result.rows]
    table: str = format_rows(shown, cols)
    return "\n".join([table, *sweep_breaches(result)])


def sweep_breaches(result: Any) -> list[str]:
    """A ``BREACH`` line per run of the sweep that broke the delivery promise
    (report.breaches, as under memosim run's table): a mean delivery ratio
    cannot tell a memo lost silently from one still in flight at the end."""
    out = []
    for run in getattr(result, "runs", ()):
        broken = breaches(run)
        if broken:
            where = " ".join(f"{p}={show(run[p])}" for p in result.paths)
            out.append(f"BREACH  {where} seed {run['seed']} {run['doer']}: " + ", ".join(broken))
    return out
