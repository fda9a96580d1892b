"""Plots of runs and sweeps, drawn with matplotlib's Agg canvas (no pyplot, no display).

Every function returns a :class:`matplotlib.figure.Figure` (shown inline by
Jupyter) and :func:`save` writes one to a PNG. Nothing here touches pyplot's
global state, so plotting is safe in scripts, tests, worker processes and
notebooks whatever backend they use.

- :func:`latency_cdf`: per Doer, the fraction of *sent* memos delivered within
  a latency; a curve levels off at the Doer's delivery ratio.
- :func:`delivery_over_time`: per Doer, memos delivered so far against tyme,
  with the memos sent so far for reference.
- :func:`sweep_metric`: one metric's mean with its 95% confidence interval
  against the first swept parameter, one line per Doer (and per combination
  of the other swept parameters).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .runner import ScenarioResult

__all__ = [
    "DOER_COLORS",
    "SWEEP_PLOTS",
    "delivery_over_time",
    "latency_cdf",
    "param_label",
    "save",
    "sweep_metric",
]

#: A fixed colour per Doer, so every plot of a project agrees.
DOER_COLORS = {"PeerMemoerDoer": "tab:orange", "SafePeerMemoerDoer": "tab:blue"}
_OTHER_COLORS = ("tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_STYLES = ("-", "--", ":", "-.")

#: The sweep plots: (file, metric column stem, y label, scale of the values).
SWEEP_PLOTS = (
    ("sweep_delivery.png", "delivery_ratio", "delivery ratio", 1.0),
    ("sweep_latency.png", "latency_p99_s", "latency p99 (ms)", 1000.0),
    ("sweep_retransmissions.png", "retransmissions_per_memo", "grams retransmitted per memo", 1.0),
    ("sweep_overhead.png", "overhead_ratio", "overhead ratio (wire bytes / delivered bytes)", 1.0),
)


def _figure(size: tuple[float, float] = (7.0, 4.5)) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    return fig, ax


def _color(doer: str, order: Sequence[str]) -> str:
    if doer in DOER_COLORS:
        return DOER_COLORS[doer]
    others = [d for d in order if d not in DOER_COLORS]
    return _OTHER_COLORS[others.index(doer) % len(_OTHER_COLORS)] if doer in others else "black"


def _title(ax: Axes, what: str, title: str | None) -> None:
    ax.set_title(f"{what}\n{title}" if title else what, fontsize=10)


def save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write fig as a PNG; return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi, format="png", metadata={"Software": None})
    return path


def _latencies(rows: Sequence[Mapping[str, Any]]) -> list[float]:
    return sorted(float(r["latency_s"]) for r in rows if r.get("latency_s") not in ("", None))


def _head(result: ScenarioResult) -> str:
    doc = result.summary()
    return f"{doc['scenario']}, seed {doc['seed']}, {doc['backend']}"


def latency_cdf(result: ScenarioResult, *, title: str | None = None) -> Figure:
    """Latency CDF per Doer, as a fraction of the memos sent (lost memos never arrive)."""
    fig, ax = _figure()
    doers = [r.doer for r in result.runs]
    series = [(run, _latencies(run.rows)) for run in result.runs]
    everything = [x for _, lat in series for x in lat]
    top_ms = max(everything) * 1000 if everything else 1.0
    for run, lat in series:
        sent = len(run.rows)
        if not sent:
            continue
        xs = [x * 1000 for x in lat]
        ys = [(i + 1) / sent for i in range(len(lat))]
        p99 = (run.summary.get("latency_s") or {}).get("p99")
        label = f"{run.doer}: {len(lat)}/{sent} delivered"
        if p99 is not None:
            label += f", p99 {p99 * 1000:.0f} ms"
        if xs:
            # Fire and forget shares its first steps with acked delivery: dashed
            # and on top, so neither curve hides the other.
            plain = run.doer == "PeerMemoerDoer"
            ax.step(
                [xs[0], *xs, top_ms],
                [0.0, *ys, ys[-1]],
                where="post",
                color=_color(run.doer, doers),
                label=label,
                linewidth=2.2 if plain else 1.6,
                linestyle="--" if plain else "-",
                zorder=3 if plain else 2,
            )
        else:
            ax.plot([], [], color=_color(run.doer, doers), label=label)
    positive = [x for x in everything if x > 0]
    if positive and len(positive) == len(everything) and max(positive) / min(positive) > 30:
        ax.set_xscale("log")
    elif everything:
        ax.set_xlim(left=0)
    else:
        ax.set_xlim(0, 1)
    ax.axhline(1.0, color="gray", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1.04)
    ax.set_xlabel("latency, memo queued to memo delivered (ms)")
    ax.set_ylabel("fraction of memos sent delivered within")
    if not everything:
        ax.text(0.5, 0.5, "no memo delivered", transform=ax.transAxes, ha="center")
    ax.legend(loc="lower right", fontsize=8)
    _title(ax, f"Latency CDF ({_head(result)})", title)
    return fig


def _cumulative(times: Sequence[float], end: float) -> tuple[list[float], list[int]]:
    ts = sorted(times)
    xs = [0.0, *ts, max(end, ts[-1] if ts else 0.0)]
    ys = [0, *range(1, len(ts) + 1), len(ts)]
    return xs, ys


def delivery_over_time(result: ScenarioResult, *, title: str | None = None) -> Figure:
    """Cumulative memos delivered against tyme per Doer, and memos sent (dashed)."""
    fig, ax = _figure()
    doers = [r.doer for r in result.runs]
    end = max([float(r.summary.get("sim_s") or 0.0) for r in result.runs] + [0.0])
    sents = [sorted(float(row["sent_s"]) for row in run.rows) for run in result.runs]
    if sents and all(s == sents[0] for s in sents):
        xs, ys = _cumulative(sents[0], end)
        ax.step(
            xs,
            ys,
            where="post",
            color="gray",
            linestyle="--",
            linewidth=1.2,
            label="sent (every Doer)",
        )
    else:
        for run, sent in zip(result.runs, sents):
            xs, ys = _cumulative(sent, end)
            ax.step(
                xs,
                ys,
                where="post",
                color=_color(run.doer, doers),
                linestyle="--",
                linewidth=1.0,
                alpha=0.7,
                label=f"sent ({run.doer})",
            )
    for run in result.runs:
        xs, ys = _cumulative(run.deliveries, end)
        ax.step(
            xs,
            ys,
            where="post",
            color=_color(run.doer, doers),
            linewidth=1.6,
            label=f"delivered ({run.doer}): {len(run.deliveries)}",
        )
    # Show the traffic, not the quiet tail of duration_s after the last event.
    last = max(
        [t for sent in sents for t in sent[-1:]]
        + [t for run in result.runs for t in run.deliveries[-1:]]
        + [0.0]
    )
    right = min(end, last * 1.08 + 0.02 * end) if last > 0 else end
    ax.set_xlim(0, right or None)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("memos (cumulative)")
    ax.legend(loc="lower right", fontsize=8)
    _title(ax, f"Memos delivered over time ({_head(result)})", title)
    return fig


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _point(x: Any) -> Any:
    """A swept value as a dict key: a table or array (unhashable) by its TOML text."""
    return _short(x) if isinstance(x, (dict, list)) else x


def sweep_metric(
    rows: Sequence[Mapping[str, Any]],
    params: Sequence[str],
    metric: str,
    *,
    ylabel: str | None = None,
    scale: float = 1.0,
    title: str | None = None,
) -> Figure:
    """Mean of `metric` (columns <metric>_mean, <metric>_ci95) against params[0].

    One line per Doer and per combination of the other params; error bars are
    the 95% confidence intervals (absent when a point has a single seed).
    """
    fig, ax = _figure()
    xparam, others = params[0], list(params[1:])
    xvalues = list(dict.fromkeys(_point(r[xparam]) for r in rows))
    numeric = all(_is_number(v) for v in xvalues)
    where = {v: (float(v) if numeric else i) for i, v in enumerate(xvalues)}
    doers = list(dict.fromkeys(r["doer"] for r in rows))
    combos = list(dict.fromkeys(tuple(_point(r[p]) for p in others) for r in rows))
    for (di, doer), (ci, combo) in itertools.product(enumerate(doers), enumerate(combos)):
        pts = [
            r for r in rows if r["doer"] == doer and tuple(_point(r[p]) for p in others) == combo
        ]
        pts = [r for r in pts if r.get(f"{metric}_mean") is not None]
        if not pts:
            continue
        xs = [where[_point(r[xparam])] for r in pts]
        ys = [r[f"{metric}_mean"] * scale for r in pts]
        # The interval clipped to the metric's range (no negative latency, no
        # delivery ratio above 1): asymmetric bars below and above the mean.
        top = 1.0 * scale if metric == "delivery_ratio" else float("inf")
        halves = [(r.get(f"{metric}_ci95") or 0.0) * scale for r in pts]
        errs = [
            [min(h, y) for y, h in zip(ys, halves)],
            [min(h, max(top - y, 0.0)) for y, h in zip(ys, halves)],
        ]
        label = doer
        if others:
            label += ", " + ", ".join(f"{p}={_short(v)}" for p, v in zip(others, combo))
        ax.errorbar(
            xs,
            ys,
            yerr=errs,
            color=_color(doer, doers),
            linestyle=_STYLES[ci % len(_STYLES)],
            marker=_MARKERS[(di + ci) % len(_MARKERS)],
            capsize=4,
            linewidth=1.4,
            markersize=5,
            label=label,
        )
    if not numeric:
        ax.set_xticks(range(len(xvalues)), [_short(v) for v in xvalues])
        ax.set_xlim(-0.5, len(xvalues) - 0.5)
    ax.set_xlabel(param_label(xparam))
    ax.set_ylabel(ylabel or metric)
    if metric == "delivery_ratio":
        ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.05)
    else:
        ax.set_ylim(bottom=0)
    n = sorted({int(r["n"]) for r in rows if r.get("n") is not None})
    seeds = f"{n[0]} seed{'s' if n[0] != 1 else ''}" if len(n) == 1 else "seeds vary"
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no values (nothing delivered)", transform=ax.transAxes, ha="center")
    _title(ax, f"{ylabel or metric} vs {param_label(xparam)} (mean, 95% CI over {seeds})", title)
    return fig


#: Units of a swept key by its last part (a suffix _s is seconds).
_UNITS = {
    "rate": "fraction",
    "correlation": "fraction",
    "p": "fraction",
    "r": "fraction",
    "bad_loss": "fraction",
    "good_loss": "fraction",
    "gram_size": "bytes",
    "bytes": "bytes",
    "min": "bytes",
    "max": "bytes",
    "median": "bytes",
    "mtu": "bytes",
    "bps": "bit/s",
    "overhead": "bytes",
    "queue_limit": "bytes",
    "count": "memos per pair",
}


def param_label(path: str) -> str:
    """An axis label for a swept key path, with its unit: "links.0.loss.rate" ->
    "links[0] loss rate (fraction)", "links.0.delay.base_s" -> "links[0] delay
    base (s)", "workload.0.rate_per_s" -> "workload[0] rate (per s)"."""
    words: list[str] = []
    for part in re.sub(r"\[(\d+)\]", r".\1", path).split("."):
        if part.isdigit() and words:
            words[-1] += f"[{part}]"
        else:
            words.append(part)
    leaf, unit = words[-1], ""
    if leaf.endswith("_per_s"):
        leaf, unit = leaf[: -len("_per_s")], "per s"
    elif leaf.endswith("_s"):
        leaf, unit = leaf[: -len("_s")], "s"
    elif len(words) > 1 and words[-2] == "rate" and leaf in ("bps", "overhead", "queue_limit"):
        unit = _UNITS[leaf]
    elif leaf in _UNITS and leaf not in ("bps", "overhead", "queue_limit"):
        unit = _UNITS[leaf]
    words[-1] = leaf
    text = " ".join(w.replace("_", " ") for w in words)
    return f"{text} ({unit})" if unit else text


def _short(v: object) -> str:
    from ..errors import show

    return v if isinstance(v, str) else show(v)
